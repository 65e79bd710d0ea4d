package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/apitest"
)

// Tests that need keyhold as a real process, one they can kill with
// SIGKILL, run the test binary itself as the child: with childEnv set to
// "1", TestMain runs the command line os.Args[1:] (any command, such as
// "serve --db …") as main would, and exits with its code. With
// childAddrEnv naming a file, a serving child writes its listening
// address there once it listens.
const (
	childEnv     = "KEYHOLD_TEST_CHILD"
	childAddrEnv = "KEYHOLD_TEST_CHILD_ADDR_FILE"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(childMain())
	}
	dir, err := os.MkdirTemp("", "keyhold-test-key")
	if err != nil {
		panic(err)
	}
	pgKeyFile = filepath.Join(dir, "secret.key")
	if err := os.WriteFile(pgKeyFile, []byte(newKey()), 0o600); err != nil {
		panic(err)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// pgKeyFile is the secret key file of every serve on PostgreSQL in these
// tests, which need one: all the replicas of one database share it.
var pgKeyFile string

// withKeyFile adds --secret-key-file pgKeyFile to serve args that name a
// PostgreSQL database but no key file.
func withKeyFile(args []string) []string {
	pg := false
	for i, a := range args {
		switch {
		case a == "--secret-key-file" || strings.HasPrefix(a, "--secret-key-file="):
			return args
		case strings.HasPrefix(a, "--db=postgres"):
			pg = true
		case a == "--db" && i+1 < len(args) && strings.HasPrefix(args[i+1], "postgres"):
			pg = true
		}
	}
	if !pg {
		return args
	}
	return append(slices.Clip(args), "--secret-key-file", pgKeyFile)
}

func childMain() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	h := &hooks{}
	if file := os.Getenv(childAddrEnv); file != "" {
		h.onListen = func(a net.Addr) {
			// Written whole, then renamed: the parent never reads half.
			if err := os.WriteFile(file+".tmp", []byte(a.String()), 0o600); err == nil {
				_ = os.Rename(file+".tmp", file)
			}
		}
	}
	return run(ctx, os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr}, os.Getenv, h)
}

// child is `keyhold serve` running as a separate process.
type child struct {
	cmd      *exec.Cmd
	url      string
	out, err *apitest.Buffer
	exited   chan struct{} // closed when the process is gone
	waitErr  error         // set before exited closes
	client   *http.Client
}

// startChild runs the test binary as keyhold with args, a serve command
// line (see TestMain), and waits until it listens and /readyz answers 200,
// at most until ctx ends. n tells this start's address file from the
// others' in dir. The child is killed at cleanup if it still runs.
func startChild(ctx context.Context, t *testing.T, dir string, n int, args ...string) *child {
	t.Helper()
	addrFile := filepath.Join(dir, fmt.Sprintf("addr-%d", n))
	c := &child{out: &apitest.Buffer{}, err: &apitest.Buffer{}, exited: make(chan struct{}),
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 8}}}
	c.cmd = exec.Command(os.Args[0], withKeyFile(args)...)
	c.cmd.Env = append(os.Environ(), childEnv+"=1", childAddrEnv+"="+addrFile)
	c.cmd.Stdout, c.cmd.Stderr = c.out, c.err
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.waitErr = c.cmd.Wait(); close(c.exited) }()
	t.Cleanup(c.kill)
	for c.url == "" {
		if b, err := os.ReadFile(addrFile); err == nil {
			c.url = "http://" + string(b)
			break
		}
		select {
		case <-c.exited:
			t.Fatalf("serve exited before listening (%v): %s", c.waitErr, c.err.String())
		case <-ctx.Done():
			t.Fatalf("serve did not listen: %s", c.err.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	for {
		if status, _, err := c.do(ctx, "GET", "/readyz", "", ""); err == nil && status == 200 {
			return c
		}
		select {
		case <-ctx.Done():
			t.Fatalf("serve did not become ready: %s", c.err.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (c *child) kill() {
	_ = c.cmd.Process.Kill() // fails only when it is gone already
	<-c.exited
	c.client.CloseIdleConnections()
}

// stop ends the child as an operator would, with SIGTERM.
func (c *child) stop(t *testing.T) {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
		if c.waitErr != nil {
			t.Errorf("serve after SIGTERM: %v: %s", c.waitErr, c.err.String())
		}
	case <-time.After(60 * time.Second):
		c.kill()
		t.Errorf("serve did not stop on SIGTERM")
	}
}

// do sends one request; err is set when no response came.
func (c *child) do(ctx context.Context, method, path, token, body string) (int, map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.url+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	var m map[string]any
	if res.StatusCode == http.StatusOK || res.StatusCode == http.StatusCreated {
		if err := json.NewDecoder(res.Body).Decode(&m); err != nil && res.ContentLength != 0 {
			return res.StatusCode, nil, fmt.Errorf("read the answer: %w", err)
		}
	}
	return res.StatusCode, m, nil
}
