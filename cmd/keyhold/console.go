package main

import (
	"bufio"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/cmdenv"
	"github.com/keyhold/keyhold/service"
	"github.com/keyhold/keyhold/store"
)

// consoleURL returns the base URL browsers use, without a trailing slash:
// --public-url, or http:// (https:// when serving TLS) and the listen
// address.
func consoleURL(public, listen string, tls bool) (string, error) {
	if public == "" && tls {
		return "https://" + listen, nil
	}
	if public == "" {
		return "http://" + listen, nil
	}
	u, err := url.Parse(public)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("--public-url: %q is not an http(s) URL", public)
	}
	return strings.TrimRight(public, "/"), nil
}

func printSetupLink(io stdio, base, secret string) error {
	_, err := fmt.Fprintf(io.out, `The first admin sets a console password here (one use, valid 24 hours):

    %s

`, keyhold.SetupURL(base, secret))
	return err
}

// addLocal attaches cmd, a command on the database, to the group command
// of that name, creating the group when no other part of the tree has.
func addLocal(root *cobra.Command, group, short string, cmd *cobra.Command, getenv func(string) string) {
	var g *cobra.Command
	for _, c := range root.Commands() {
		if c.Name() == group {
			g = c
		}
	}
	if g == nil {
		g = &cobra.Command{Use: group, Short: short}
		root.AddCommand(g)
	}
	// A local command beside the remote ones: KEYHOLD_DB applies to it as
	// to serve, which the remote commands' own hook would not do.
	cmd.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error { return cmdenv.FlagsFromEnv(cmd, getenv) }
	g.AddCommand(cmd)
}

// setPasswordCommand is the break-glass way into the console: it sets a
// user's password straight in the database, reading it from stdin.
func setPasswordCommand(io stdio) *cobra.Command {
	var db, dbPasswordFile, email string
	cmd := &cobra.Command{
		Use:   "set-password",
		Short: "Set a user's console password in the database (reads the password from stdin)",
		Long: `Set-password is the break-glass way into the console: it writes the user's
password (argon2id) straight into the database, ends their console sessions,
and needs no server or login, only --db (or KEYHOLD_DB).`,
		Example: `  keyhold users set-password --db sqlite:data/keyhold.db --email admin@localhost < password.txt
  printf '%s\n' "$NEW_PASSWORD" | KEYHOLD_DB=postgres://… keyhold users set-password --email ops@example.com`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			line, err := bufio.NewReader(io.in).ReadString('\n')
			if err != nil && line == "" {
				return fmt.Errorf("read the password from stdin: %w", err)
			}
			password := strings.TrimRight(line, "\r\n")
			dbPassword, err := loadDBPassword(dbPasswordFile, db)
			if err != nil {
				return err
			}
			store, err := store.OpenMigrated(cmd.Context(), db, store.Options{Password: dbPassword})
			if err != nil {
				return err
			}
			defer func() { err = errors.Join(err, store.Close()) }()
			svc := service.New(service.Config{Store: store})
			u, err := svc.Sessions.SetPassword(service.AsSystem(cmd.Context()), email, password)
			if err != nil {
				return err
			}
			_, _ = fmt.Fprintf(io.out, "Password set for %s; their console sessions ended.\n", u.Email) // a note; the password is set
			return nil
		},
	}
	cmd.Flags().StringVar(&db, "db", cmdenv.DefaultDB, "database: sqlite:PATH, a bare path, or postgres://…")
	cmd.Flags().StringVar(&dbPasswordFile, "db-password-file", "", dbPasswordFileUsage)
	cmd.Flags().StringVar(&email, "email", "", "email of the user")
	_ = cmd.MarkFlagRequired("email")
	return cmd
}
