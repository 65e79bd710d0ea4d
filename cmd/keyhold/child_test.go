package main

import (
	"context"
	"net"
	"os"
	"os/signal"
	"syscall"
	"testing"
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
	os.Exit(m.Run())
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
