package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/cmdenv"
	"github.com/keyhold/keyhold/service"
	"github.com/keyhold/keyhold/store"
)

func initCommand(io stdio) *cobra.Command {
	var dbURL, dbPasswordFile, email, org string
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Initialize an empty database and print the first admin's personal access token on stdout",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			if email == "" {
				return &exitError{"--admin-email (or KEYHOLD_ADMIN_EMAIL) is required"}
			}
			ctx := cmd.Context()
			password, err := loadDBPassword(dbPasswordFile, dbURL)
			if err != nil {
				return err
			}
			db, err := store.OpenMigrated(ctx, dbURL, store.Options{Password: password})
			if err != nil {
				return err
			}
			defer func() { err = errors.Join(err, db.Close()) }()
			svc := service.New(service.Config{Store: db})
			tok, err := svc.Orgs.Bootstrap(service.AsSystem(ctx), service.BootstrapInput{OrgName: org, AdminEmail: email})
			if keyhold.ErrorCode(err) == keyhold.ECONFLICT {
				return &exitError{"the database is already initialized; nothing was changed"}
			} else if err != nil {
				return err
			}
			_, _ = fmt.Fprintf(io.err, "Initialized organization %q with admin %s.\n", org, email) // a note
			// The only copy of the admin's token: a failed write fails init.
			if _, err := fmt.Fprintln(io.out, tok.Value); err != nil {
				return fmt.Errorf("print the first admin's token: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dbURL, "db", cmdenv.DefaultDB, "database: sqlite:PATH, a bare path, or postgres://…")
	cmd.Flags().StringVar(&dbPasswordFile, "db-password-file", "", dbPasswordFileUsage)
	cmd.Flags().StringVar(&email, "admin-email", "", "email of the first admin (required)")
	cmd.Flags().StringVar(&org, "org-name", "keyhold", "name of the organization")
	return cmd
}

func migrateCommand(io stdio) *cobra.Command {
	var dbURL, dbPasswordFile string
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Bring the database schema up to date",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			password, err := loadDBPassword(dbPasswordFile, dbURL)
			if err != nil {
				return err
			}
			db, err := store.OpenMigrated(cmd.Context(), dbURL, store.Options{Password: password})
			if err != nil {
				return err
			}
			_, _ = fmt.Fprintln(io.err, "The schema is up to date.") // a note; done either way
			return db.Close()
		},
	}
	cmd.Flags().StringVar(&dbURL, "db", cmdenv.DefaultDB, "database: sqlite:PATH, a bare path, or postgres://…")
	cmd.Flags().StringVar(&dbPasswordFile, "db-password-file", "", dbPasswordFileUsage)
	return cmd
}

func backupCommand(io stdio) *cobra.Command {
	var dbURL, out string
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Take a consistent online snapshot of a SQLite database",
		Long:  "Take a consistent online snapshot of a SQLite database while the server runs. For PostgreSQL use pg_dump (see docs/operations.md).",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			if out == "" {
				return &exitError{"--out (or KEYHOLD_OUT) is required"}
			}
			db, err := store.Open(cmd.Context(), dbURL, store.Options{})
			if err != nil {
				return err
			}
			defer func() { err = errors.Join(err, db.Close()) }()
			if err := db.Backup(cmd.Context(), out); err != nil {
				return err
			}
			_, _ = fmt.Fprintf(io.err, "Wrote a snapshot to %s.\n", out) // a note; the snapshot is written
			return nil
		},
	}
	cmd.Flags().StringVar(&dbURL, "db", cmdenv.DefaultDB, "database: sqlite:PATH or a bare path")
	cmd.Flags().StringVar(&out, "out", "", "file to write the snapshot to (required; must not exist)")
	return cmd
}
