package cli

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyhold/keyhold/client"
)

func (a *app) auditCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Read the audit trail",
		Example: `  keyhold audit list --action token.created --since 24h
  keyhold audit tail --outcome denied
  keyhold audit verify --trusted trusted.txt --key keys.txt`,
	}
	cmd.AddCommand(a.auditList(), a.auditTail(), a.auditVerify(), a.auditExport(), a.auditCheckpoint(), a.auditKeys())
	return cmd
}

// auditFilters are the filters audit list and tail share.
type auditFilters struct {
	action, actor, actorID, targetType, targetID, outcome, since, until, credential string
}

func (f *auditFilters) flags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.action, "action", "", "only this action, e.g. token.created, auth.failed")
	cmd.Flags().StringVar(&f.actor, "actor", "", "only events by this actor name")
	cmd.Flags().StringVar(&f.actorID, "actor-id", "", "only events by this actor id")
	cmd.Flags().StringVar(&f.targetType, "target-type", "", "only events on this target type, e.g. system_account")
	cmd.Flags().StringVar(&f.targetID, "target-id", "", "only events on this target id")
	cmd.Flags().StringVar(&f.outcome, "outcome", "", "success, failure or denied")
	cmd.Flags().StringVar(&f.credential, "credential", "", "only events of this credential: a token id, or a fingerprint (64 hex, sha256(sha256(token)))")
	cmd.Flags().StringVar(&f.since, "since", "", "only events at or after this: a duration ago (24h, 7d) or RFC 3339")
	cmd.Flags().StringVar(&f.until, "until", "", "only events before this: a duration ago or RFC 3339")
}

func (a *app) instant(flag, s string) (string, error) {
	if s == "" {
		return "", nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC().Format(time.RFC3339Nano), nil
	}
	d, err := parseLifetime(s)
	if err != nil {
		return "", usageErrorf("--%s: want a duration such as 24h or 7d, or an RFC 3339 time", flag)
	}
	return a.Now().Add(-d).UTC().Format(time.RFC3339Nano), nil
}

func (a *app) auditOptions(f *auditFilters, limit int) (client.ListOptions, error) {
	since, err := a.instant("since", f.since)
	if err != nil {
		return client.ListOptions{}, err
	}
	until, err := a.instant("until", f.until)
	if err != nil {
		return client.ListOptions{}, err
	}
	return listOptions(limit, [3]string{"action", "eq", f.action}, [3]string{"actor_name", "eq", f.actor},
		[3]string{"actor_id", "eq", f.actorID}, [3]string{"target_type", "eq", f.targetType},
		[3]string{"target_id", "eq", f.targetID}, [3]string{"outcome", "eq", f.outcome},
		[3]string{credentialField(f.credential), "eq", f.credential},
		[3]string{"occurred_at", "gte", since}, [3]string{"occurred_at", "lt", until}), nil
}

func (a *app) auditRows(list []client.AuditEvent) [][]string {
	var rows [][]string
	for _, e := range list {
		target := e.TargetName
		if target == "" {
			target = e.TargetID
		}
		if e.TargetType != "" {
			target = e.TargetType + " " + target
		}
		actor := e.ActorName
		if actor == "" {
			actor = e.ActorType
		}
		rows = append(rows, []string{a.ago(&e.OccurredAt), actor, e.Action, orDash(target), e.Outcome, fmt.Sprint(e.Count), orDash(e.ClientIP),
			orDash(credentialText(e.Credential)), orDash(changesText(e.Changes))})
	}
	return rows
}

var auditHeader = []string{"WHEN", "ACTOR", "ACTION", "TARGET", "OUTCOME", "COUNT", "CLIENT", "CREDENTIAL", "CHANGES"}

// credentialText is the credential as a table shows it: the method and
// the fingerprint's first 8 hex digits (-o json has it whole, and the id).
func credentialText(c *client.AuditCredential) string {
	if c == nil {
		return ""
	}
	fp := c.Fingerprint
	if len(fp) > 8 {
		fp = fp[:8]
	}
	return strings.TrimSpace(c.Method + " " + fp)
}

// changesText is an event's changes as a table shows them, by field:
// "name: "a" → "b"", a secret field as "changed".
func changesText(changes map[string]client.AuditChange) string {
	var parts []string
	for _, field := range slices.Sorted(maps.Keys(changes)) {
		c := changes[field]
		if c.Changed && c.Before == nil && c.After == nil {
			parts = append(parts, field+": changed")
			continue
		}
		parts = append(parts, fmt.Sprintf("%s: %s → %s", field, orNull(c.Before), orNull(c.After)))
	}
	return strings.Join(parts, "; ")
}

func orNull(v []byte) string {
	if len(v) == 0 {
		return "null"
	}
	return string(v)
}

func (a *app) auditList() *cobra.Command {
	var f auditFilters
	var limit int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List audit events, newest first",
		Example: `  keyhold audit list --limit 20
  keyhold audit list --actor ci-bot --outcome denied --since 7d
  keyhold audit list --action system_account.deleted -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := a.auditOptions(&f, limit)
			if err != nil {
				return err
			}
			return a.remote(cmd, args, func(x *call) error {
				list, err := x.c.ListAuditEvents(x.ctx, o)
				if err != nil {
					return err
				}
				v := view{data: list, header: auditHeader, rows: a.auditRows(list)}
				for _, e := range list {
					v.ids = append(v.ids, e.ID)
				}
				return a.print(v)
			})
		},
	}
	f.flags(cmd)
	cmd.Flags().IntVar(&limit, "limit", 50, "list at most this many (0: all)")
	return cmd
}

func (a *app) auditTail() *cobra.Command {
	var f auditFilters
	var last int
	var interval time.Duration
	cmd := &cobra.Command{
		Use:   "tail",
		Short: "Print the latest audit events, then follow new ones until interrupted",
		Long: `Tail prints the --last events (oldest first), then asks the server for new
events every --interval and prints them as they come, until interrupted
(Ctrl-C). With -o json it prints one JSON object per line.`,
		Example: `  keyhold audit tail
  keyhold audit tail --outcome denied --interval 5s
  keyhold audit tail -o json | jq .action`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if interval <= 0 {
				return usageErrorf("--interval must be positive")
			}
			o, err := a.auditOptions(&f, last)
			if err != nil {
				return err
			}
			return a.remote(cmd, args, func(x *call) error { return a.tail(x, o, interval) })
		},
	}
	f.flags(cmd)
	cmd.Flags().IntVar(&last, "last", 10, "how many past events to print first")
	cmd.Flags().DurationVar(&interval, "interval", 2*time.Second, "how often to ask for new events")
	return cmd
}

// tail polls for events newer than the newest seen. Events that share
// the newest timestamp are told apart by id, so none is printed twice.
func (a *app) tail(x *call, o client.ListOptions, interval time.Duration) error {
	ctx := x.ctx
	seen := map[string]bool{}
	var newest time.Time
	header := a.output == "table" && !a.quiet
	first := true
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		q := o
		if !first {
			q = o.Where("occurred_at", "gte", newest.UTC().Format(time.RFC3339Nano))
			q.Limit = 0
		}
		list, err := x.c.ListAuditEvents(ctx, q)
		if ctx.Err() != nil {
			return nil
		} else if err != nil {
			return err
		}
		var fresh []client.AuditEvent
		for _, e := range list {
			if !seen[e.ID] {
				fresh = append(fresh, e)
			}
		}
		slices.Reverse(fresh) // oldest first, as a log reads
		if err := a.printEvents(fresh, &header); err != nil {
			return err
		}
		for _, e := range fresh {
			seen[e.ID] = true
			if e.OccurredAt.After(newest) {
				newest = e.OccurredAt
			}
		}
		if first && newest.IsZero() {
			newest = a.Now().Add(-time.Minute)
		}
		first = false
		if a.AfterPoll != nil {
			a.AfterPoll()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

func (a *app) printEvents(list []client.AuditEvent, header *bool) error {
	if len(list) == 0 {
		return nil
	}
	switch {
	case a.output == "json":
		for _, e := range list {
			if err := writeJSONLine(a.Out, e); err != nil {
				return err
			}
		}
		return nil
	case a.output == "yaml":
		return writeYAML(a.Out, list)
	case a.quiet:
		for _, e := range list {
			if _, err := fmt.Fprintln(a.Out, clean(e.ID)); err != nil {
				return err
			}
		}
		return nil
	}
	// Fixed widths, so that rows printed poll after poll stay aligned.
	if *header {
		if err := a.eventLine(auditHeader); err != nil {
			return err
		}
		*header = false
	}
	for _, r := range a.auditRows(list) {
		if err := a.eventLine(r); err != nil {
			return err
		}
	}
	return nil
}

func (a *app) eventLine(r []string) error {
	_, err := fmt.Fprintf(a.Out, "%-12s  %-20s  %-28s  %-36s  %-8s  %5s  %s\n", cleanArgs([]any{r[0], r[1], r[2], r[3], r[4], r[5], r[6]})...)
	return err
}

// credentialField is the filter a --credential value is for: a
// fingerprint is 64 lowercase hex digits, anything else a token id.
func credentialField(v string) string {
	if len(v) == 64 && strings.Trim(v, "0123456789abcdef") == "" {
		return "credential_fingerprint"
	}
	return "credential_id"
}
