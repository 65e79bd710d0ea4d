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

func benchMintCommand(io stdio) *cobra.Command {
	var cfg bench.MintConfig
	cmd := &cobra.Command{
		Use:   "mint",
		Short: "Measure write throughput: --concurrency clients create tokens over HTTP in a closed loop",
		Long: `Create one system account per client through --url, then have each client
create access tokens for its account (POST /v3/system-accounts/{id}/access-tokens),
one request in flight each, for --warmup and then --duration. Prints the tokens
created per second in the measured window and their latency. --admin (or
KEYHOLD_ADMIN) is a token allowed to manage system accounts. Use a fresh
database per run: the accounts and tokens stay.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg.URL == "" || cfg.Admin == "" {
				return &exitError{"--url and --admin (or KEYHOLD_ADMIN) are required"}
			}
			res, err := bench.Mint(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(io.out, res) // the answer: a failed write fails the command
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&cfg.URL, "url", "", "base URL of the server, http://127.0.0.1:PORT (loopback only)")
	fl.StringVar(&cfg.Admin, "admin", "", "admin token (prefer KEYHOLD_ADMIN: a flag shows in the process list)")
	fl.IntVar(&cfg.Concurrency, "concurrency", 8, "clients, each with one request in flight")
	fl.DurationVar(&cfg.Duration, "duration", 20*time.Second, "measured time")
	fl.DurationVar(&cfg.Warmup, "warmup", 5*time.Second, "unmeasured time before it")
	return cmd
}

func benchSoakCommand(io stdio) *cobra.Command {
	var csvPath, pngPath string
	var cfg bench.SoakConfig
	cmd := &cobra.Command{
		Use:   "soak",
		Short: "Hold a mixed load (90% decisions, 9% reads, 1% writes) for --duration, sampling the server's resources; CSV, PNG and a verdict",
		Long: `Create --accounts system accounts through the API, each with the Viewer role on
a control plane of its own and live tokens (at most --max-tokens), then run
--concurrency workers in a closed loop for --duration:
  90% decisions: GET /v1/authorize with a live token, with no query or asking
      for the account's role (200) or for a control plane it has no role on
      (403); both are expected answers;
   9% reads: a page of system accounts, an account's tokens, a page of audit
      events;
   1% writes: mint a token (deleting the account's oldest beyond the cap),
      rotate one with a 60-second overlap, delete one.
Any transport error, 5xx or other unexpected status is an error.

Every --sample it scrapes the server's /metrics (RSS, goroutines, open
descriptors, heap in use) and the client's latencies of the interval, and
writes a row to --csv. At the end it draws --png and prints a verdict on the
samples after --warmup: no errors; RSS, goroutines and descriptors flat; the
decisions' p99 stable (bench/README.md, "Soak", tells the rules). It exits 1
when the verdict fails. --admin-token (or KEYHOLD_ADMIN_TOKEN) is a token
allowed to manage system accounts and read the audit log. Loopback only.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg.URL == "" || cfg.Admin == "" || csvPath == "" || pngPath == "" {
				return &exitError{"--url, --admin-token (or KEYHOLD_ADMIN_TOKEN), --csv and --png are required"}
			}
			if _, err := bench.CheckLoopbackURL(cfg.URL); err != nil {
				return err
			}
			f, err := os.Create(csvPath)
			if err != nil {
				return err
			}
			cfg.CSV, cfg.Progress = f, io.err
			res, err := bench.Soak(cmd.Context(), cfg)
			if cerr := f.Close(); err == nil && cerr != nil {
				err = fmt.Errorf("write %s: %w", csvPath, cerr)
			}
			if err != nil {
				return err
			}
			if err := writePNG(pngPath, res); err != nil {
				return err
			}
			v := res.Verdict()
			for _, e := range res.FirstErrors {
				_, _ = fmt.Fprintf(io.err, "error: %s\n", e)
			}
			if _, err := fmt.Fprintf(io.out, "samples in %s, plot in %s\n%s", csvPath, pngPath, v); err != nil {
				return err
			}
			if !v.OK {
				return &exitError{"soak: the verdict is FAIL"}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&cfg.URL, "url", "", "base URL of the server, http://127.0.0.1:PORT (loopback only)")
	fl.StringVar(&cfg.Admin, "admin-token", "", "admin token (prefer KEYHOLD_ADMIN_TOKEN: a flag shows in the process list)")
	fl.DurationVar(&cfg.Duration, "duration", 30*time.Minute, "the whole run, warm-up included (at most 12h)")
	fl.DurationVar(&cfg.Sample, "sample", 10*time.Second, "interval between two samples")
	fl.DurationVar(&cfg.Warmup, "warmup", 2*time.Minute, "first part of the run, sampled and plotted but left out of the verdict")
	fl.IntVar(&cfg.Concurrency, "concurrency", 16, "workers, each with one request in flight")
	fl.IntVar(&cfg.Accounts, "accounts", 50, "system accounts made for the run")
	fl.IntVar(&cfg.MaxTokens, "max-tokens", 4, "live tokens per account at most; each starts with half")
	fl.StringVar(&csvPath, "csv", "", "file to write the samples to, one row each (required)")
	fl.StringVar(&pngPath, "png", "", "file to draw the plot in (required)")
	return cmd
}

func writePNG(path string, res *bench.SoakResult) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := res.WritePNG(f); err != nil {
		return errors.Join(err, f.Close())
	}
	return f.Close()
}
