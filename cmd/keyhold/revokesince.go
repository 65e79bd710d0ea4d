package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyhold/keyhold/internal/cmdenv"
	"github.com/keyhold/keyhold/service"
	"github.com/keyhold/keyhold/store"
)

// revokeSinceCommand revokes, straight in the database, every token
// created or rotated at or after a point in time: after a restore, the
// tokens minted after the backup are gone, but those revoked after it live
// again, and this is how an operator closes what can be closed before the
// server answers (docs/operations.md, Restore).
func revokeSinceCommand(io stdio) *cobra.Command {
	var db, dbPasswordFile, since string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "revoke-since --since TIME",
		Short: "Revoke every token created or rotated at or after TIME, in the database",
		Long: `Revoke-since revokes every unrevoked token, of system accounts and of users,
created at or after --since, or rotated to a successor created then. Each is
audited (token.revoked) and announced to webhooks (token.revoked, reason
revoke_since); every replica drops it through the change feed. It needs no
server or login, only --db (or KEYHOLD_DB). Run it after a restore, before
serving, with the time the backup was taken, or after a compromise with the
time it began. --dry-run only counts.`,
		Example: `  keyhold tokens revoke-since --db sqlite:data/keyhold.db --since 2026-12-01T02:00:00Z --dry-run
  KEYHOLD_DB=postgres://… keyhold tokens revoke-since --since 2026-12-01T02:00:00Z`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			at, err := time.Parse(time.RFC3339, since)
			if err != nil {
				return &exitError{fmt.Sprintf("--since: want an RFC 3339 time such as 2026-12-01T02:00:00Z, got %q", since)}
			}
			password, err := loadDBPassword(dbPasswordFile, db)
			if err != nil {
				return err
			}
			st, err := store.OpenMigrated(cmd.Context(), db, store.Options{Password: password})
			if err != nil {
				return err
			}
			defer func() { err = errors.Join(err, st.Close()) }()
			svc := service.New(service.Config{Store: st})
			n, err := svc.Tokens.RevokeTokensSince(service.AsSystem(cmd.Context()), at, dryRun)
			if dryRun {
				_, _ = fmt.Fprintf(io.out, "%d tokens were created or rotated at or after %s; none was revoked (--dry-run).\n", n, at.UTC().Format(time.RFC3339Nano))
				return err
			}
			_, _ = fmt.Fprintf(io.out, "Revoked %d tokens created or rotated at or after %s.\n", n, at.UTC().Format(time.RFC3339Nano))
			return err
		},
	}
	cmd.Flags().StringVar(&db, "db", cmdenv.DefaultDB, "database: sqlite:PATH, a bare path, or postgres://…")
	cmd.Flags().StringVar(&dbPasswordFile, "db-password-file", "", dbPasswordFileUsage)
	cmd.Flags().StringVar(&since, "since", "", "RFC 3339 time, e.g. 2026-12-01T02:00:00Z, fractions of a second allowed (required)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "count the tokens, revoke none")
	_ = cmd.MarkFlagRequired("since")
	return cmd
}
