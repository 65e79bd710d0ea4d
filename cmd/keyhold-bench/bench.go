package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/bench"
	"github.com/keyhold/keyhold/internal/cmdenv"
	"github.com/keyhold/keyhold/service"
	"github.com/keyhold/keyhold/store"
)

func benchSeedCommand(io stdio) *cobra.Command {
	var dbURL, out, adminOut, adminEmail, profile string
	var cfg bench.SeedConfig
	cmd := &cobra.Command{
		Use:   "seed",
		Short: "Write a synthetic organization of accounts, teams, roles and tokens, and the token values to --out",
		Long: `Write a synthetic organization with BulkLoad: --accounts system accounts with
one direct role each, --teams teams with one role each, each account in one
team, and --tokens tokens spread over the accounts. The token values go to
--out, one a line, mode 0600; the database keeps only their digests.

An empty database is first initialized as 'keyhold init' does, and the first
admin's personal access token is written to --admin-out (mode 0600). A
database that is already initialized gets the synthetic organization added.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			if out == "" {
				return &exitError{"--out is required"}
			}
			if cfg.Tokens < 0 || cfg.Accounts < 0 || cfg.Teams < 0 {
				return &exitError{"--tokens, --accounts and --teams must not be negative"}
			}
			if profile != "" {
				stop, err := startCPUProfile(profile)
				if err != nil {
					return err
				}
				defer func() { err = errors.Join(err, stop()) }()
			}
			return benchSeed(cmd.Context(), io, dbURL, out, adminOut, adminEmail, cfg)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&dbURL, "db", cmdenv.DefaultDB, "database: sqlite:PATH, a bare path, or postgres://…")
	fl.IntVar(&cfg.Tokens, "tokens", 1000, "number of tokens")
	fl.IntVar(&cfg.Accounts, "accounts", 0, "number of system accounts (default tokens/10)")
	fl.IntVar(&cfg.Teams, "teams", 0, "number of teams (default tokens/100)")
	fl.StringVar(&out, "out", "", "file to write the token values to, one a line (required)")
	fl.StringVar(&adminOut, "admin-out", "", "file to write the first admin's token to, when the database was empty (default stdout)")
	fl.StringVar(&adminEmail, "admin-email", "admin@localhost", "email of the first admin, when the database is empty")
	fl.StringVar(&profile, "cpuprofile", "", "write a CPU profile of the seed to this file (go tool pprof)")
	return cmd
}

// benchSeed seeds the database. Its notes on stderr drop a failed write:
// the work is done either way.
func benchSeed(ctx context.Context, io stdio, dbURL, out, adminOut, adminEmail string, cfg bench.SeedConfig) (err error) {
	start := time.Now()
	db, err := store.OpenMigrated(ctx, dbURL, store.Options{})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	tok, err := service.New(service.Config{Store: db}).Orgs.Bootstrap(service.AsSystem(ctx), service.BootstrapInput{OrgName: "keyhold-bench", AdminEmail: adminEmail})
	switch {
	case err == nil && adminOut != "":
		if err := bench.WriteTokens(adminOut, []string{tok.Value}); err != nil {
			return err
		}
		_, _ = fmt.Fprintf(io.err, "Initialized the database; the first admin's token is in %s.\n", adminOut)
	case err == nil:
		_, _ = fmt.Fprintf(io.err, "Initialized the database; the first admin's token:\n")
		// The only copy of the admin's token: a failed write fails the seed.
		if _, err := fmt.Fprintln(io.out, tok.Value); err != nil {
			return fmt.Errorf("print the first admin's token: %w", err)
		}
	case keyhold.ErrorCode(err) != keyhold.ECONFLICT:
		return fmt.Errorf("bootstrap: %w", err)
	}
	res, err := bench.Seed(ctx, db, cfg)
	if err != nil {
		return err
	}
	if err := bench.WriteTokens(out, res.Values); err != nil {
		return err
	}
	_, _ = fmt.Fprintf(io.err, "Seeded %d tokens, %d accounts and %d teams in %s (generate %s, bulk load %s); values in %s.\n",
		len(res.Values), res.Accounts, res.Teams, time.Since(start).Round(time.Millisecond),
		res.Generate.Round(time.Millisecond), res.BulkLoad.Round(time.Millisecond), out)
	_, _ = fmt.Fprintf(io.err, "result seconds=%.2f tokens=%d\n", time.Since(start).Seconds(), len(res.Values))
	return nil
}

// startCPUProfile profiles this process until stop is called, which
// returns the error of closing the profile's file.
func startCPUProfile(path string) (stop func() error, err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		return nil, errors.Join(err, f.Close())
	}
	return func() error { pprof.StopCPUProfile(); return f.Close() }, nil
}

func benchLoadCommand(io stdio) *cobra.Command {
	var urls, tokens string
	var cfg bench.LoadConfig
	cmd := &cobra.Command{
		Use:   "load",
		Short: "Load loopback servers with GET requests in a closed loop, tokens drawn at random from --tokens",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if urls == "" || tokens == "" {
				return &exitError{"--url and --tokens are required"}
			}
			cfg.URLs = strings.Split(urls, ",")
			var err error
			if cfg.Tokens, err = bench.ReadTokens(tokens); err != nil {
				return err
			}
			res, err := bench.Load(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			// The result is the command's answer: a failed write fails it.
			if _, err := fmt.Fprintf(io.out, "%s %s: %d connections, %s, %d tokens\n", strings.Join(cfg.URLs, ","), cfg.Path, cfg.Concurrency, cfg.Duration, len(cfg.Tokens)); err != nil {
				return err
			}
			_, err = fmt.Fprint(io.out, res)
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&urls, "url", "", "base URL of the server, http://127.0.0.1:PORT; several, comma-separated, share the connections (loopback only)")
	fl.StringVar(&tokens, "tokens", "", "file of token values, one a line")
	fl.StringVar(&cfg.Path, "path", bench.DefaultPath, "request path and query")
	fl.IntVar(&cfg.Concurrency, "concurrency", 64, "connections, each with one request in flight")
	fl.DurationVar(&cfg.Duration, "duration", 10*time.Second, "measured time (at most 1h)")
	fl.DurationVar(&cfg.Warmup, "warmup", time.Second, "unmeasured time before it")
	return cmd
}

func benchBaselineCommand(io stdio) *cobra.Command {
	var listen, tokens string
	cmd := &cobra.Command{
		Use:   "baseline",
		Short: "Serve the minimal comparison server: SHA-256 of the bearer token looked up in a map, 200 or 401",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if tokens == "" {
				return &exitError{"--tokens is required"}
			}
			values, err := bench.ReadTokens(tokens)
			if err != nil {
				return err
			}
			b := bench.NewBaseline(values)
			return b.Serve(cmd.Context(), listen, func(a net.Addr) {
				_, _ = fmt.Fprintf(io.err, "baseline listening addr=%s tokens=%d\n", a, len(values))
			})
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8081", "loopback address to listen on")
	cmd.Flags().StringVar(&tokens, "tokens", "", "file of token values to accept, one a line")
	return cmd
}

func benchRevokeCommand(io stdio) *cobra.Command {
	var urls string
	var timeout time.Duration
	var cfg bench.RevokeConfig
	cmd := &cobra.Command{
		Use:   "revoke",
		Short: "Measure how soon a token deleted through the first replica is refused by the others",
		Long: `Create a system account and --count tokens through the first of --urls,
then wait until every other replica accepts each; then delete them one at a
time through the first replica (at most one per --pace) and poll the others
until each refuses the token. Prints the distribution of the time from each
DELETE's 204 until all other replicas refuse. --admin (or KEYHOLD_ADMIN) is a token allowed to
manage system accounts.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if urls == "" || cfg.Admin == "" {
				return &exitError{"--urls and --admin (or KEYHOLD_ADMIN) are required"}
			}
			cfg.URLs, cfg.Progress = strings.Split(urls, ","), io.err
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			res, err := bench.Revoke(ctx, cfg)
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(io.out, res) // the answer: a failed write fails the command
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&urls, "urls", "", "comma-separated base URLs of the replicas; writes go through the first (loopback only)")
	fl.StringVar(&cfg.Admin, "admin", "", "admin token (prefer KEYHOLD_ADMIN: a flag shows in the process list)")
	fl.IntVar(&cfg.Count, "count", 200, "tokens to create and delete")
	fl.DurationVar(&cfg.Poll, "poll", 2*time.Millisecond, "pause between two checks of a replica")
	fl.DurationVar(&cfg.Bound, "bound", 10*time.Second, "how long to watch for the refusal of one deleted token before counting it late")
	fl.DurationVar(&cfg.AcceptBound, "accept-bound", time.Minute, "how long a new token may take to be accepted by every replica before it is left out")
	fl.DurationVar(&cfg.Pace, "pace", 0, "least time between the starts of two deletions, so that a run spans the replicas' periodic work")
	fl.DurationVar(&timeout, "timeout", 10*time.Minute, "bound of the whole run")
	return cmd
}
