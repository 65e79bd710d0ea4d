package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/keyhold/keyhold/auditverify"
)

// ExitUnverified is the exit code of an audit log that does not verify.
const ExitUnverified = 6

func (a *app) auditVerify() *cobra.Command {
	var bundle, trusted string
	var keys []string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Verify the audit log: every event, every checkpoint, and consistency with a trusted checkpoint",
		Long: `Verify the audit log of the configured server (KEYHOLD_SERVER and
KEYHOLD_TOKEN, or a profile; the token needs audit:read), or of a bundle
written by "keyhold audit export", without trusting either: every event is
hashed anew into its leaf, the tree is rebuilt from the leaves, and each
signed checkpoint is checked against it. Every event that is modified,
missing or reordered is named with its seq.

--trusted names a checkpoint kept outside keyhold (from an audit.checkpoint
webhook, or an earlier "keyhold audit checkpoint"): the log must extend it.
--key pins the checkpoint verifier keys (GET /v1/audit/keys, saved
earlier); without it the keys come from the log being verified. Without
both, whoever holds keyhold's secret key file could re-sign a rewritten
log, and the report says so.

Exit code 0 only when everything verifies; 6 when something does not.`,
		Example: `  keyhold audit checkpoint > trusted.txt        # keep it somewhere else
  curl -s $KEYHOLD_SERVER/v1/audit/keys > keys.txt
  keyhold audit verify --trusted trusted.txt --key keys.txt
  keyhold audit export > audit.json && keyhold audit verify --bundle audit.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var o auditverify.Options
			if trusted != "" {
				raw, err := os.ReadFile(trusted)
				if err != nil {
					return usageErrorf("--trusted: %v", err)
				}
				o.Trusted = raw
			}
			for _, k := range keys {
				vks, err := readKeys(k)
				if err != nil {
					return usageErrorf("--key: %v", err)
				}
				o.Keys = append(o.Keys, vks...)
			}
			verify := func(b *auditverify.Bundle) error {
				r := auditverify.Verify(b, o)
				if a.output == "json" {
					enc := json.NewEncoder(a.Out)
					enc.SetIndent("", "  ")
					if err := enc.Encode(r); err != nil {
						return err
					}
				} else if err := r.Write(a.Out); err != nil {
					return err
				}
				if !r.OK() {
					return &ExitError{Code: ExitUnverified, Err: fmt.Errorf("the audit log does not verify: %d problems", len(r.Problems))}
				}
				return nil
			}
			if bundle != "" {
				f, err := os.Open(bundle)
				if err != nil {
					return usageErrorf("--bundle: %v", err)
				}
				defer func() { _ = f.Close() }()
				b, err := auditverify.ReadBundle(f)
				if err != nil {
					return usageErr(err)
				}
				return verify(b)
			}
			return a.remote(cmd, args, func(x *call) error {
				b, err := auditverify.Fetch(x.ctx, x.c, a.Now())
				if err != nil {
					return err
				}
				return verify(b)
			})
		},
	}
	cmd.Flags().StringVar(&bundle, "bundle", "", "verify this bundle (keyhold audit export) instead of the server")
	cmd.Flags().StringVar(&trusted, "trusted", "", "file of a checkpoint kept outside keyhold, which the log must extend")
	cmd.Flags().StringArrayVar(&keys, "key", nil, "checkpoint verifier key (name+id+key), or a file of them one per line; repeatable")
	return cmd
}

// readKeys reads verifier keys given as themselves or as a file of them.
func readKeys(s string) ([]string, error) {
	if strings.Count(s, "+") == 2 && !strings.ContainsAny(s, "/\n") {
		return []string{s}, nil
	}
	raw, err := os.ReadFile(s)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, line := range strings.Split(string(raw), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	if len(out) == 0 {
		return nil, errors.New(s + " holds no key")
	}
	return out, nil
}

func (a *app) auditExport() *cobra.Command {
	var f auditFilters
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write the audit log as a bundle that keyhold audit verify checks offline",
		Long: `Write the audit log as one JSON bundle that "keyhold audit verify --bundle"
checks offline: the public keys, every signed checkpoint, and every leaf with
its stored hash and its event (or "pruned" where retention dropped it).

With filters, the bundle holds only the events they select, each page with
the latest checkpoint and the inclusion proof of each event in its tree:
the verifier then proves each event is in the log (not that none was left
out, which only the whole log shows).`,
		Example: `  keyhold audit export > audit-2026-12.json
  keyhold audit export --actor ci-bot --since 30d > ci-bot.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := a.auditOptions(&f, 0)
			if err != nil {
				return err
			}
			return a.remote(cmd, args, func(x *call) error {
				var b *auditverify.Bundle
				if len(o.Query) == 0 {
					if b, err = auditverify.Fetch(x.ctx, x.c, a.Now()); err != nil {
						return err
					}
				} else {
					b = &auditverify.Bundle{Version: auditverify.BundleVersion, Server: x.c.BaseURL, ExportedAt: a.Now().UTC(), Filter: o.Query.Encode()}
					if b.Keys, err = x.c.AuditKeys(x.ctx); err != nil {
						return err
					}
					if b.Pages, err = x.c.AuditEventPages(x.ctx, o); err != nil {
						return err
					}
				}
				return json.NewEncoder(a.Out).Encode(b)
			})
		},
	}
	f.flags(cmd)
	return cmd
}

func (a *app) auditCheckpoint() *cobra.Command {
	return &cobra.Command{
		Use:     "checkpoint",
		Short:   "Print the latest signed checkpoint, to keep outside keyhold",
		Example: `  keyhold audit checkpoint > /mnt/worm/keyhold-$(date +%F).txt`,
		Args:    cobra.NoArgs,
		RunE: a.run(func(x *call) error {
			cp, err := x.c.LatestAuditCheckpoint(x.ctx)
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(a.Out, cp.Checkpoint)
			return err
		}),
	}
}

func (a *app) auditKeys() *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "The audit log's signing keys",
		Example: `  keyhold audit keys rotate checkpoint`}
	rotate := &cobra.Command{
		Use:   "rotate checkpoint|entry",
		Short: "Retire the checkpoint key or the entry key and make a new one (Organization Admin)",
		Long: `Retire the current checkpoint key (which signs checkpoints) or entry key
(which signs exported entries) and make a new one. The retired key stays
published, so what it signed keeps verifying; pin the new one too.`,
		Example: `  keyhold audit keys rotate checkpoint
  keyhold audit keys rotate entry -o json`,
		Args: cobra.ExactArgs(1),
		RunE: a.run(func(x *call) error {
			k, err := x.c.RotateAuditKey(x.ctx, x.args[0])
			if err != nil {
				return err
			}
			return a.print(view{data: k, header: []string{"ID", "PURPOSE", "NAME", "VERIFIER KEY"},
				rows: [][]string{{k.ID, k.Purpose, k.Name, k.VerifierKey}}, ids: []string{k.ID}})
		}),
	}
	cmd.AddCommand(rotate)
	return cmd
}
