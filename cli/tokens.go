package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyhold/keyhold/client"
)

func (a *app) tokensCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "tokens",
		Aliases: []string{"token"},
		Short:   "Manage the access tokens of system accounts",
		Example: `  keyhold tokens list ci-bot
  keyhold tokens create ci-bot --name deploy --save-to deploy.token
  keyhold tokens rotate ci-bot deploy --overlap 24h
  keyhold tokens expiring --within-days 30`,
	}
	cmd.AddCommand(a.tokList(), a.tokGet(), a.tokCreate(), a.tokRotate(), a.tokDelete(), a.tokExpiring())
	return cmd
}

func (a *app) tokensView(list []client.AccessToken, data any) view {
	v := view{data: data, header: []string{"NAME", "ID", "STATE", "EXPIRES", "LAST USED", "CREATED"}}
	for _, t := range list {
		v.ids = append(v.ids, t.ID)
		ends := t.ExpiresAt
		if t.State == "ROTATING" && t.RotationDeadline != nil && (ends == nil || t.RotationDeadline.Before(*ends)) {
			ends = t.RotationDeadline // a rotated token stops at the end of its overlap
		}
		v.rows = append(v.rows, []string{t.Name, t.ID, t.State, a.until(ends), a.ago(t.LastUsedAt), a.ago(&t.CreatedAt)})
	}
	return v
}

func (a *app) tokList() *cobra.Command {
	var limit int
	var contains string
	cmd := &cobra.Command{
		Use:               "list ACCOUNT",
		Short:             "List a system account's tokens",
		Example:           "  keyhold tokens list ci-bot\n  keyhold tokens list ci-bot --name-contains deploy -o json",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeAccounts,
		RunE: a.run(on((*call).account, func(x *call, s *client.SystemAccount) error {
			list, err := x.c.ListAccessTokens(x.ctx, s.ID, listOptions(limit, [3]string{"name", "contains", contains}))
			if err != nil {
				return err
			}
			return a.print(a.tokensView(list, list))
		})),
	}
	cmd.Flags().IntVar(&limit, "limit", 0, "list at most this many (0: all)")
	cmd.Flags().StringVar(&contains, "name-contains", "", "only tokens whose name contains this, ignoring case")
	return cmd
}

func (a *app) tokGet() *cobra.Command {
	return &cobra.Command{
		Use:               "get ACCOUNT TOKEN",
		Short:             "Show one token of a system account, by name or id (never its value)",
		Example:           "  keyhold tokens get ci-bot deploy -o yaml",
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: a.completeAccounts,
		RunE: a.run(onAccessToken(func(_ *call, _ *client.SystemAccount, t *client.AccessToken) error {
			return a.print(a.tokensView([]client.AccessToken{*t}, t))
		})),
	}
}

func (a *app) tokCreate() *cobra.Command {
	var in client.AccessTokenCreate
	var expiresIn, expiresAt, saveTo string
	var scopes []string
	cmd := &cobra.Command{
		Use:   "create ACCOUNT --name NAME",
		Short: "Mint a token for a system account and print its value once",
		Long: `Create mints a token and prints its value once, on standard output: keep it
now, it cannot be read again. With -o json or -o yaml the value is the field
"token". With --save-to FILE it goes to a new file of mode 0600 instead,
created before the token is minted (an existing file is never overwritten,
and a file that cannot be created mints nothing). Without --expires-in or
--expires-at, the server's token policy decides the expiry.`,
		Example: `  keyhold tokens create ci-bot --name deploy
  keyhold tokens create ci-bot --name deploy --expires-in 30d --save-to deploy.token
  keyhold tokens create ci-bot --name gw --scope Viewer:Control\ Planes:*:* --allowed-cidr 10.0.0.0/8
  export KONNECT_TOKEN=$(keyhold tokens create ci-bot --name ci -q)`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeAccounts,
		RunE: func(cmd *cobra.Command, args []string) error {
			if in.Name == "" {
				return usageErrorf("--name is required")
			}
			var err error
			if in.ExpiresAt, err = a.expiry(expiresIn, expiresAt); err != nil {
				return err
			}
			for _, s := range scopes {
				p, err := parsePermission(s)
				if err != nil {
					return err
				}
				in.Scope = append(in.Scope, p)
			}
			return a.remote(cmd, args, on((*call).account, func(x *call, s *client.SystemAccount) error {
				file, err := reserve(saveTo)
				if err != nil {
					return err
				}
				t, err := x.c.CreateAccessToken(x.ctx, s.ID, in)
				if err != nil {
					file.abandon()
					return err
				}
				return a.secret(t, file, fmt.Sprintf("Created token %q (%s) for %s, expiring %s.", t.Name, t.ID, s.Name, a.until(t.ExpiresAt)))
			}))
		},
	}
	cmd.Flags().StringVar(&in.Name, "name", "", "the token's name, unique among the account's active tokens (required)")
	cmd.Flags().StringVar(&expiresIn, "expires-in", "", "lifetime, e.g. 30d, 12h (default: the token policy's)")
	cmd.Flags().StringVar(&expiresAt, "expires-at", "", "expiry as RFC 3339, e.g. 2030-01-01T00:00:00Z")
	cmd.Flags().BoolVar(&in.NeverExpires, "never-expires", false, "a token without expiry, if the token policy allows it")
	cmd.Flags().StringVar(&in.Intent, "intent", "", "api (30 minutes) or app_password (one year) for the default lifetime")
	cmd.Flags().StringArrayVar(&scopes, "scope", nil, "restrict the token to a role the account holds: ROLE:ENTITY_TYPE:ENTITY_ID:REGION (repeatable)")
	cmd.Flags().StringSliceVar(&in.AllowedCIDRs, "allowed-cidr", nil, "accept the token only from these networks (repeatable)")
	cmd.Flags().BoolVar(&in.AutoRotate, "auto-rotate", false, "mint a successor before expiry and deliver it to the account's token.auto_rotated webhook")
	cmd.Flags().StringVar(&saveTo, "save-to", "", "write the value to this new file (mode 0600) instead of standard output")
	return cmd
}

func (a *app) tokRotate() *cobra.Command {
	var overlap, idle, saveTo string
	cmd := &cobra.Command{
		Use:   "rotate ACCOUNT TOKEN",
		Short: "Mint a successor of a token; the old one works until the overlap ends",
		Long: `Rotate mints a successor with the same name and prints its value once, as
create does. The old token is ROTATING and keeps working for the overlap
(default 24h), or until the successor is in use and the old one has been
idle for --revoke-when-idle.`,
		Example: `  keyhold tokens rotate ci-bot deploy
  keyhold tokens rotate ci-bot deploy --overlap 1h --revoke-when-idle 10m --save-to deploy.new`,
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: a.completeAccounts,
		RunE: func(cmd *cobra.Command, args []string) error {
			var in client.TokenRotate
			for _, f := range []struct {
				flag string
				dst  **int64
			}{{overlap, &in.OverlapSeconds}, {idle, &in.RevokeWhenIdleSeconds}} {
				if f.flag == "" {
					continue
				}
				d, err := parseLifetime(f.flag)
				if err != nil {
					return err
				}
				s := int64(d / time.Second)
				*f.dst = &s
			}
			return a.remote(cmd, args, onAccessToken(func(x *call, s *client.SystemAccount, old *client.AccessToken) error {
				file, err := reserve(saveTo)
				if err != nil {
					return err
				}
				t, err := x.c.RotateAccessToken(x.ctx, s.ID, old.ID, in)
				if err != nil {
					file.abandon()
					return err
				}
				return a.secret(t, file, fmt.Sprintf("Rotated token %q of %s: successor %s; the old token works until the overlap ends.", t.Name, s.Name, t.ID))
			}))
		},
	}
	cmd.Flags().StringVar(&overlap, "overlap", "", "how long the old token keeps working, e.g. 24h, 7d (default 24h)")
	cmd.Flags().StringVar(&idle, "revoke-when-idle", "", "revoke the old token earlier, once idle this long while the successor is in use")
	cmd.Flags().StringVar(&saveTo, "save-to", "", "write the value to this new file (mode 0600) instead of standard output")
	return cmd
}

func (a *app) tokDelete() *cobra.Command {
	return &cobra.Command{
		Use:               "delete ACCOUNT TOKEN",
		Short:             "Delete a token; it stops working at once",
		Example:           "  keyhold tokens delete ci-bot deploy",
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: a.completeAccounts,
		RunE: a.run(onAccessToken(func(x *call, s *client.SystemAccount, t *client.AccessToken) error {
			if err := x.c.DeleteAccessToken(x.ctx, s.ID, t.ID); err != nil {
				return err
			}
			a.done("Deleted token %q (%s) of %s.", t.Name, t.ID, s.Name)
			return nil
		})),
	}
}

func (a *app) tokExpiring() *cobra.Command {
	var days, limit int
	cmd := &cobra.Command{
		Use:     "expiring --within-days N",
		Short:   "List tokens of every account and user that expire within N days",
		Example: "  keyhold tokens expiring --within-days 30\n  keyhold tokens expiring --within-days 7 -o json",
		Args:    cobra.NoArgs,
		RunE: a.run(func(x *call) error {
			list, err := x.c.ListExpiringTokens(x.ctx, days, client.ListOptions{Limit: limit})
			if err != nil {
				return err
			}
			v := view{data: list, header: []string{"OWNER", "OWNER TYPE", "TOKEN", "ID", "TYPE", "EXPIRES", "LAST USED"}}
			for _, t := range list {
				v.ids = append(v.ids, t.ID)
				v.rows = append(v.rows, []string{t.OwnerName, principalWords(t.OwnerType), t.Name, t.ID, t.TokenType, a.until(t.ExpiresAt), a.ago(t.LastUsedAt)})
			}
			return a.print(v)
		}),
	}
	cmd.Flags().IntVar(&days, "within-days", 30, "how many days ahead to look (1–3650)")
	cmd.Flags().IntVar(&limit, "limit", 0, "list at most this many (0: all)")
	return cmd
}

// secret prints a new token once: its value on stdout (or in the JSON as
// "token"), or into the --save-to file, if any. The summary goes to stderr
// and never holds the value.
func (a *app) secret(t *client.AccessTokenCreated, file *saveFile, summary string) error {
	if err := file.save(&t.Token); err != nil {
		return err
	}
	var data any = t
	if file != nil {
		data = &t.AccessToken // the value is in the file, not in -o json
	}
	return a.printSecret(data, t.Token, summary+file.note())
}

// printSecret prints data for -o json|yaml, else value (if any) alone on
// stdout and the summary on stderr unless -q.
func (a *app) printSecret(data any, value, summary string) error {
	if a.output != "table" {
		return a.print(view{data: data})
	}
	if !a.quiet {
		_, _ = fmt.Fprintln(a.Err, clean(summary)) // a note; the value is what counts
	}
	if value != "" {
		// The only copy of the value: a failed write fails the command.
		if _, err := fmt.Fprintln(a.Out, clean(value)); err != nil {
			return err
		}
	}
	return nil
}

// saveFile is the new file of --save-to. It is created, empty and of mode
// 0600, before anything is minted, so that a path that cannot be created,
// or a file that exists, is refused while refusing loses nothing: a value
// minted and then not saved would be lost, and its token left working.
type saveFile struct {
	path string
	f    *os.File
}

// reserve creates the file of --save-to; nil for none.
func reserve(path string) (*saveFile, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, &ExitError{Code: ExitConflict, Err: fmt.Errorf("--save-to %s: the file exists; refusing to overwrite it", path)}
	} else if err != nil {
		return nil, usageErr(fmt.Errorf("--save-to: %w; nothing was minted", err))
	}
	return &saveFile{path: path, f: f}, nil
}

// abandon removes the file again when nothing was minted.
func (s *saveFile) abandon() {
	if s != nil {
		_ = s.f.Close()
		_ = os.Remove(s.path)
	}
}

// save writes *value to the file, if any, and then clears *value so that
// it is printed nowhere else.
func (s *saveFile) save(value *string) error {
	if s == nil {
		return nil
	}
	_, err := s.f.WriteString(*value + "\n")
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("the token was created but not saved (%w); delete it and try again", err)
	}
	*value = ""
	return nil
}

// note is the summary's mention of the file.
func (s *saveFile) note() string {
	if s == nil {
		return ""
	}
	return " The value is in " + s.path + "."
}

// expiry turns --expires-in or --expires-at into a time.
func (a *app) expiry(in, at string) (*time.Time, error) {
	switch {
	case in != "" && at != "":
		return nil, usageErrorf("give --expires-in or --expires-at, not both")
	case in != "":
		d, err := parseLifetime(in)
		if err != nil {
			return nil, err
		}
		t := a.Now().Add(d).UTC().Truncate(time.Second)
		return &t, nil
	case at != "":
		t, err := time.Parse(time.RFC3339, at)
		if err != nil {
			return nil, usageErrorf("--expires-at: %v", err)
		}
		return &t, nil
	}
	return nil, nil
}

// parseLifetime parses a Go duration, or a whole number of days as "30d".
func parseLifetime(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 {
			return 0, usageErrorf("invalid duration %q: use e.g. 30d or 12h", s)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, usageErrorf("invalid duration %q: use e.g. 30d or 12h", s)
	}
	return d, nil
}

// parsePermission parses ROLE:ENTITY_TYPE:ENTITY_ID:REGION, where the last
// two default to * when left out.
func parsePermission(s string) (client.Permission, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 4 {
		return client.Permission{}, usageErrorf("invalid role %q: use ROLE:ENTITY_TYPE[:ENTITY_ID[:REGION]]", s)
	}
	for len(parts) < 4 {
		parts = append(parts, "*")
	}
	return client.Permission{RoleName: parts[0], EntityTypeName: parts[1], EntityID: parts[2], EntityRegion: parts[3]}, nil
}
