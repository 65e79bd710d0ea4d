package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyhold/keyhold/client"
)

func (a *app) policyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "token-policy",
		Short:   "Read and change the lifetime policy of system-account tokens",
		Example: "  keyhold token-policy get\n  keyhold token-policy set --max-lifetime 90d --default-lifetime 30d",
	}
	get := &cobra.Command{
		Use:     "get",
		Short:   "Show the token policy",
		Example: "  keyhold token-policy get\n  keyhold token-policy get -o json",
		Args:    cobra.NoArgs,
		RunE: a.run(func(x *call) error {
			p, err := x.c.GetTokenPolicy(x.ctx)
			if err != nil {
				return err
			}
			return a.print(a.policyView(p))
		}),
	}
	var maxLife, defLife string
	var allow bool
	set := &cobra.Command{
		Use:   "set",
		Short: "Change the token policy; it applies to tokens created afterwards",
		Long: `Set changes the given fields and keeps the others as they are (the API
replaces the whole policy; set reads it first).`,
		Example: `  keyhold token-policy set --max-lifetime 90d --default-lifetime 30d
  keyhold token-policy set --allow-non-expiring=false`,
		Args: cobra.NoArgs,
		RunE: a.run(func(x *call) error {
			p, err := x.c.GetTokenPolicy(x.ctx)
			if err != nil {
				return err
			}
			for _, f := range []struct {
				flag, value string
				dst         *int64
			}{{"max-lifetime", maxLife, &p.MaxLifetimeSeconds}, {"default-lifetime", defLife, &p.DefaultLifetimeSeconds}} {
				if !x.cmd.Flags().Changed(f.flag) {
					continue
				}
				d, err := parseLifetime(f.value)
				if err != nil {
					return err
				}
				*f.dst = int64(d / time.Second)
			}
			if x.cmd.Flags().Changed("allow-non-expiring") {
				p.AllowNonExpiring = allow
			}
			if p, err = x.c.SetTokenPolicy(x.ctx, *p); err != nil {
				return err
			}
			return a.print(a.policyView(p))
		}),
	}
	set.Flags().StringVar(&maxLife, "max-lifetime", "", "the longest lifetime a token may have, e.g. 365d")
	set.Flags().StringVar(&defLife, "default-lifetime", "", "the lifetime of a token created without an expiry, e.g. 90d")
	set.Flags().BoolVar(&allow, "allow-non-expiring", false, "allow tokens that never expire")
	cmd.AddCommand(get, set)
	return cmd
}

func (a *app) policyView(p *client.TokenPolicy) view {
	return view{data: p, header: []string{"MAX LIFETIME", "DEFAULT LIFETIME", "ALLOW NON-EXPIRING"},
		rows: [][]string{{span(time.Duration(p.MaxLifetimeSeconds) * time.Second), span(time.Duration(p.DefaultLifetimeSeconds) * time.Second), yesNo(p.AllowNonExpiring)}}}
}

// tokenPattern is what secret scanners look for (docs/api.md, Token format).
var tokenPattern = regexp.MustCompile(`\b(?:spat|kpat)_[0-9A-Za-z]{49}\b`)

func (a *app) leakCommand() *cobra.Command {
	var file, source string
	cmd := &cobra.Command{
		Use:   "leak-report",
		Short: "Report leaked token values: every live one is revoked at once",
		Long: `Leak-report reads text from standard input or --file, finds every keyhold
token value in it (spat_… and kpat_…), and reports them to the server, which
revokes every live one. Any text works: a log, a diff, a paste. The report
needs no login, only --server or a configured server. The answer counts the
values; it never names a token.`,
		Example: `  keyhold leak-report --file build.log --source "CI log of job 1234"
  git show HEAD | keyhold leak-report
  pbpaste | keyhold leak-report`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in := a.In
			if file != "" {
				f, err := os.Open(file)
				if err != nil {
					return err
				}
				defer func() { _ = f.Close() }() // read only: the reads report
				in = f
			}
			values, err := scanTokens(in)
			if err != nil {
				return err
			}
			if len(values) == 0 {
				return usageErrorf("no token values found in the input")
			}
			t, err := a.target()
			if err != nil {
				return err
			}
			c := client.New(t.Server, "") // holding the token is proof enough
			c.HTTP = a.HTTP
			total := client.LeakReport{}
			for i := 0; i < len(values); i += 1000 {
				r, err := c.ReportLeak(ctx(cmd), values[i:min(i+1000, len(values))], source)
				if err != nil {
					return err
				}
				total.Received += r.Received
				total.Revoked += r.Revoked
			}
			return a.print(view{data: total, ids: nil, header: []string{"RECEIVED", "REVOKED"},
				rows: [][]string{{fmt.Sprint(total.Received), fmt.Sprint(total.Revoked)}}})
		},
	}
	cmd.Flags().StringVar(&file, "file", "", "read this file instead of standard input")
	cmd.Flags().StringVar(&source, "source", "", "where the values were found, for the audit trail")
	return cmd
}

// scanTokens returns the distinct token values in r.
func scanTokens(r io.Reader) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		for _, v := range tokenPattern.FindAllString(sc.Text(), -1) {
			if !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read input: %w", err)
	}
	return out, nil
}
