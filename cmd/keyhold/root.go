package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/cli"
	"github.com/keyhold/keyhold/internal/cmdenv"
)

type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// hooks let in-process tests learn what a real run would print or bind.
type hooks struct {
	onListen func(addr net.Addr)
	// onLDAPListen is told the address of each LDAP listener ("ldap",
	// "ldaps") before onListen.
	onLDAPListen func(scheme string, addr net.Addr)
	// now is the clock of the remote commands' relative times.
	now func() time.Time
	// afterPoll is called after each poll of "keyhold audit tail".
	afterPoll func()
	// hup, when set, stands for the process's SIGHUP: serve reloads its
	// TLS files on each value.
	hup <-chan os.Signal
}

// exitError carries a message for stderr and a non-zero exit code.
type exitError struct{ msg string }

func (e *exitError) Error() string { return e.msg }

// run executes the command line and returns the process exit code.
func run(ctx context.Context, args []string, io stdio, getenv func(string) string, h *hooks) int {
	if h == nil {
		h = &hooks{}
	}
	root := &cobra.Command{
		Use:           "keyhold",
		Short:         "keyhold serves identities for automation: system accounts, their tokens, roles and teams",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return cmdenv.Resolve(cmd, getenv)
		},
	}
	root.SetArgs(args)
	root.SetIn(io.in)
	root.SetOut(io.out)
	root.SetErr(io.err)
	root.AddCommand(serveCommand(io, h), initCommand(io), migrateCommand(io), backupCommand(io), healthcheckCommand(io))
	root.AddCommand(cli.Commands(cli.Options{In: io.in, Out: io.out, Err: io.err, Getenv: getenv, Now: h.now, AfterPoll: h.afterPoll})...)
	addLocal(root, "users", "Manage users", setPasswordCommand(io), getenv)
	addLocal(root, "tokens", "Manage tokens", revokeSinceCommand(io), getenv)
	if err := root.ExecuteContext(ctx); err != nil {
		if code := cli.ExitCode(err); code != cli.ExitFailure || errors.As(err, new(*cli.ExitError)) {
			cli.PrintError(io.err, err)
			return code
		}
		// The last word of a failing run; there is nowhere else to say it.
		var kerr *keyhold.Error
		if errors.As(err, &kerr) && len(kerr.Fields) > 0 {
			_, _ = fmt.Fprintf(io.err, "keyhold: %s: %s\n", kerr.Fields[0].Field, kerr.Fields[0].Reason)
		} else {
			_, _ = fmt.Fprintf(io.err, "keyhold: %v\n", err)
		}
		return 1
	}
	return 0
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})), nil
}
