package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/keyhold/keyhold/client"
)

func (a *app) loginCommand() *cobra.Command {
	var server string
	cmd := &cobra.Command{
		Use:   "login --server URL",
		Short: "Store a server and a token in a profile, after checking the token",
		Long: `Login reads a token (a system account's spat_… or a personal kpat_…) from
standard input, or from a prompt that does not echo when standard input is a
terminal, checks it with GET /v1/whoami, and stores the server and the token
in the profile (default "default") of config.json in the user's configuration
directory, with file mode 0600. The profile becomes the current one.`,
		Example: `  keyhold login --server https://keyhold.example.com
  echo "$KEYHOLD_ADMIN_TOKEN" | keyhold login --server https://keyhold.example.com
  keyhold login --profile staging --server https://keyhold.staging.example.com < token.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if server == "" {
				server = a.Getenv("KEYHOLD_SERVER")
			}
			if server == "" {
				return usageErrorf("--server URL is required")
			}
			server = strings.TrimRight(server, "/")
			token, err := a.readSecret("Token: ")
			if err != nil {
				return err
			}
			c := client.New(server, token)
			c.HTTP = a.HTTP
			me, err := c.WhoAmI(ctx(cmd))
			if err != nil {
				return err
			}
			cfg, path, err := a.loadConfig()
			if err != nil {
				return err
			}
			name := a.profileName(cfg)
			cfg.Profiles[name] = &profile{Server: server, Token: token, PrincipalType: me.PrincipalType, PrincipalName: me.PrincipalName}
			cfg.Current = name
			if err := cfg.save(path); err != nil {
				return err
			}
			// The profile is saved; the note on stderr is a courtesy.
			_, _ = fmt.Fprintf(a.Err, "Logged in to %s as %s (%s); profile %q saved in %s.\n", server, clean(me.PrincipalName), principalWords(me.PrincipalType), name, path)
			return nil
		},
	}
	cmd.Flags().StringVar(&server, "server", "", "the server's URL (env KEYHOLD_SERVER)")
	return cmd
}

// readSecret reads one line: from a no-echo prompt on a terminal, else
// from standard input.
func (a *app) readSecret(prompt string) (string, error) {
	if f, ok := a.In.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		// The prompt and the newline after the hidden input are for the
		// eye; the token is read whether or not they were written.
		_, _ = fmt.Fprint(a.Err, prompt)
		raw, err := term.ReadPassword(int(f.Fd()))
		_, _ = fmt.Fprintln(a.Err)
		if err != nil {
			return "", fmt.Errorf("read token: %w", err)
		}
		return strings.TrimSpace(string(raw)), nil
	}
	line, err := bufio.NewReader(a.In).ReadString('\n')
	line = strings.TrimSpace(line)
	if line == "" {
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read token: %w", err)
		}
		return "", usageErrorf("no token on standard input")
	}
	return line, nil
}

func principalWords(t string) string {
	if t == "system_account" {
		return "system account"
	}
	return t
}

func (a *app) logoutCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "Forget the current profile's token",
		Long: `Logout removes the profile (the current one, or --profile) from config.json.
The token itself stays valid on the server; delete it there to revoke it.`,
		Example: `  keyhold logout
  keyhold logout --profile staging`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, path, err := a.loadConfig()
			if err != nil {
				return err
			}
			name := a.profileName(cfg)
			if cfg.Profiles[name] == nil {
				return notFoundf("profile %q not found", name)
			}
			delete(cfg.Profiles, name)
			if cfg.Current == name {
				cfg.Current = ""
			}
			if err := cfg.save(path); err != nil {
				return err
			}
			_, _ = fmt.Fprintf(a.Err, "Logged out of profile %q.\n", name) // done; a courtesy
			return nil
		},
	}
}

func (a *app) authCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "auth",
		Short: "Inspect the credentials in use",
		Example: `  keyhold auth status
  keyhold auth status -o json`,
	}
	status := &cobra.Command{
		Use:   "status",
		Short: "Show the server, the profile and who the token belongs to",
		Long: `Status checks the token with GET /v1/whoami and shows who it belongs to, and
where the server and token came from (a profile or KEYHOLD_SERVER and
KEYHOLD_TOKEN). It never prints the token. Exit code 3 when the token is
missing or refused.`,
		Example: `  keyhold auth status
  KEYHOLD_TOKEN=spat_… keyhold auth status -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := a.target()
			if err != nil {
				return err
			}
			return a.remote(cmd, args, func(x *call) error {
				me, err := x.c.WhoAmI(x.ctx)
				if err != nil {
					return err
				}
				out := struct {
					Profile    string `json:"profile"`
					Server     string `json:"server"`
					ServerFrom string `json:"server_from"`
					TokenFrom  string `json:"token_from"`
					*client.WhoAmI
				}{t.Profile, t.Server, t.ServerFrom, t.TokenFrom, me}
				return a.print(view{data: out, ids: []string{me.PrincipalID},
					header: []string{"PROFILE", "PRINCIPAL", "TYPE", "TOKEN", "TOKEN FROM", "SERVER"},
					rows:   [][]string{{t.Profile, me.PrincipalName, principalWords(me.PrincipalType), me.TokenType + " " + me.TokenID, t.TokenFrom, t.Server}}})
			})
		},
	}
	cmd.AddCommand(status)
	return cmd
}
