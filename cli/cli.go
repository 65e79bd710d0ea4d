// Package cli is the command tree of keyhold's remote commands: login and
// profiles, system accounts, tokens, roles, teams, users, audit, the token
// policy and leak reports. It talks to a server only through package
// client, never to the store or the service.
package cli

import (
	"context"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyhold/keyhold/client"
)

// Options are everything the commands take from their surroundings, so
// that tests can run them in-process.
type Options struct {
	In       io.Reader
	Out, Err io.Writer
	// Getenv reads KEYHOLD_SERVER, KEYHOLD_TOKEN, KEYHOLD_PROFILE and
	// KEYHOLD_CONFIG_DIR; nil means os.Getenv.
	Getenv func(string) string
	// Now is the clock for relative times; nil means time.Now.
	Now func() time.Time
	// HTTP sends API requests; nil means http.DefaultClient.
	HTTP *http.Client
	// AfterPoll, when set, is called after each poll of audit tail.
	AfterPoll func()
}

// app is the state shared by one run of the command tree.
type app struct {
	Options
	profile string
	output  string
	quiet   bool
	// resolved lazily by client()
	c *client.Client
}

// Commands returns the remote commands, to mount under the root command.
func Commands(o Options) []*cobra.Command {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.In == nil {
		o.In = eofReader{}
	}
	// Whatever the server holds reaches the terminal escaped.
	o.Out, o.Err = escaper{o.Out}, escaper{o.Err}
	a := &app{Options: o}
	cmds := []*cobra.Command{
		a.loginCommand(), a.logoutCommand(), a.authCommand(),
		a.accountsCommand(), a.tokensCommand(), a.rolesCommand(), a.teamsCommand(),
		a.usersCommand(), a.auditCommand(), a.policyCommand(), a.leakCommand(), a.webhooksCommand(),
	}
	for _, c := range cmds {
		c.PersistentFlags().StringVar(&a.profile, "profile", "", "configuration profile to use (default: the current one; env KEYHOLD_PROFILE)")
		c.PersistentFlags().StringVarP(&a.output, "output", "o", "table", "output format: table, json or yaml")
		c.PersistentFlags().BoolVarP(&a.quiet, "quiet", "q", false, "print only ids (or only the token)")
		// The nearest PersistentPreRunE wins, so the root's KEYHOLD_<FLAG>
		// mapping does not turn KEYHOLD_NAME into --name here.
		c.PersistentPreRunE = a.prerun
		c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr(err) })
		wrap(c)
	}
	return cmds
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

func (a *app) prerun(cmd *cobra.Command, _ []string) error {
	switch a.output {
	case "table", "json", "yaml":
	default:
		return usageErrorf("--output must be table, json or yaml, not %q", a.output)
	}
	// Cobra checks these after this hook, without an exit code of their own.
	if err := cmd.ValidateRequiredFlags(); err != nil {
		return usageErr(err)
	}
	if err := cmd.ValidateFlagGroups(); err != nil {
		return usageErr(err)
	}
	return nil
}

// wrap makes every command's error carry an exit code, and gives group
// commands a RunE that refuses unknown subcommands.
func wrap(c *cobra.Command) {
	if c.HasSubCommands() && c.RunE == nil && c.Run == nil {
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unknown command %q for %q", args[0], cmd.CommandPath())
			}
			return cmd.Help()
		}
	}
	if c.Args != nil {
		args := c.Args
		c.Args = func(cmd *cobra.Command, as []string) error {
			if err := args(cmd, as); err != nil {
				return usageErr(err)
			}
			return nil
		}
	}
	if run := c.RunE; run != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error { return classify(run(cmd, args)) }
	}
	for _, sub := range c.Commands() {
		wrap(sub)
	}
}

// ctx returns the command's context.
func ctx(cmd *cobra.Command) context.Context {
	if c := cmd.Context(); c != nil {
		return c
	}
	return context.Background()
}
