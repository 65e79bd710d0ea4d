// Command keyhold-bench holds keyhold's performance tools: it seeds a
// synthetic organization, loads servers, serves the comparison baseline,
// measures revocation and soaks a server under a mixed load;
// bench/README.md tells how they make its figures. They are fixtures for
// this machine's loopback, never for a server elsewhere. It is a command of its own so that the keyhold server
// links no benchmark code (deps_test.go keeps it so).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/keyhold/keyhold/internal/cmdenv"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr}, os.Getenv)
	stop()
	os.Exit(code)
}

type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// exitError carries a message for stderr and a non-zero exit code.
type exitError struct{ msg string }

func (e *exitError) Error() string { return e.msg }

// run executes the command line and returns the process exit code.
func run(ctx context.Context, args []string, io stdio, getenv func(string) string) int {
	root := &cobra.Command{
		Use:           "keyhold-bench",
		Short:         "Performance tools: seed a synthetic organization, load a server, measure revocation and write throughput, soak a server (bench/README.md)",
		SilenceUsage:  true,
		SilenceErrors: true,
		// The tools run from scripts; a completion command would only
		// stand in their list.
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return cmdenv.FlagsFromEnv(cmd, getenv)
		},
	}
	root.SetArgs(args)
	root.SetIn(io.in)
	root.SetOut(io.out)
	root.SetErr(io.err)
	root.AddCommand(benchSeedCommand(io), benchLoadCommand(io), benchBaselineCommand(io), benchRevokeCommand(io), benchMintCommand(io), benchSoakCommand(io))
	if err := root.ExecuteContext(ctx); err != nil {
		_, _ = fmt.Fprintf(io.err, "keyhold-bench: %v\n", err) // the last word; nowhere else to say it
		return 1
	}
	return 0
}
