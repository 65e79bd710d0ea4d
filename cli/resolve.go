package cli

import (
	"context"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/keyhold/keyhold/client"
)

// call is one run of a command that talks to the server: its context, the
// resolved client, the command (for its flags) and its arguments. Its
// methods find accounts, teams, users, tokens and webhooks by name or id.
type call struct {
	ctx  context.Context
	c    *client.Client
	cmd  *cobra.Command
	args []string
}

// remote runs fn against the resolved client, or fails as a.client does.
// A command checks what it can without a server before it calls remote.
func (a *app) remote(cmd *cobra.Command, args []string, fn func(x *call) error) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	return fn(&call{ctx: ctx(cmd), c: c, cmd: cmd, args: args})
}

// run is the RunE of a command that checks nothing before it talks to the
// server.
func (a *app) run(fn func(x *call) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error { return a.remote(cmd, args, fn) }
}

// on adapts fn, which works on the resource its command's first argument
// names, to a call: find resolves that argument first.
func on[T any](find func(*call, string) (*T, error), fn func(x *call, it *T) error) func(*call) error {
	return func(x *call) error {
		it, err := find(x, x.args[0])
		if err != nil {
			return err
		}
		return fn(x, it)
	}
}

// onAccessToken adapts fn to a call whose first two arguments name a
// system account and one of its tokens.
func onAccessToken(fn func(x *call, s *client.SystemAccount, t *client.AccessToken) error) func(*call) error {
	return on((*call).account, func(x *call, s *client.SystemAccount) error {
		t, err := x.accessToken(s.ID, x.args[1])
		if err != nil {
			return err
		}
		return fn(x, s, t)
	})
}

// onPersonalToken adapts fn to a call whose first two arguments name a
// user and one of their personal tokens.
func onPersonalToken(fn func(x *call, u *client.User, t *client.PersonalAccessToken) error) func(*call) error {
	return on((*call).user, func(x *call, u *client.User) error {
		t, err := x.personalToken(u.ID, x.args[1])
		if err != nil {
			return err
		}
		return fn(x, u, t)
	})
}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func isID(s string) bool { return uuidPattern.MatchString(s) }

// pick returns the one candidate, or an error: not found for none, and for
// several an ambiguity that lists their ids.
func pick[T any](kind, ref string, found []T, id func(T) string) (*T, error) {
	switch len(found) {
	case 0:
		return nil, notFoundf("%s %q not found", kind, ref)
	case 1:
		return &found[0], nil
	}
	ids := make([]string, len(found))
	for i, f := range found {
		ids[i] = id(f)
	}
	return nil, usageErrorf("%s name %q is ambiguous; use one of the ids: %s", kind, ref, strings.Join(ids, ", "))
}

// account finds a system account by id or by exact name.
func (x *call) account(ref string) (*client.SystemAccount, error) {
	if isID(ref) {
		return x.c.GetSystemAccount(x.ctx, ref)
	}
	found, err := x.c.ListSystemAccounts(x.ctx, client.ListOptions{}.Where("name", "eq", ref))
	if err != nil {
		return nil, err
	}
	return pick("system account", ref, found, func(s client.SystemAccount) string { return s.ID })
}

// team finds a team by id or by exact name; team names may repeat.
func (x *call) team(ref string) (*client.Team, error) {
	if isID(ref) {
		return x.c.GetTeam(x.ctx, ref)
	}
	found, err := x.c.ListTeams(x.ctx, client.ListOptions{}.Where("name", "eq", ref))
	if err != nil {
		return nil, err
	}
	return pick("team", ref, found, func(t client.Team) string { return t.ID })
}

// user finds a user by id, by email, or "me".
func (x *call) user(ref string) (*client.User, error) {
	if isID(ref) || ref == "me" {
		return x.c.GetUser(x.ctx, ref)
	}
	found, err := x.c.ListUsers(x.ctx, client.ListOptions{}.Where("email", "eq", ref))
	if err != nil {
		return nil, err
	}
	return pick("user", ref, found, func(u client.User) string { return u.ID })
}

// webhook finds a destination by id or by exact name.
func (x *call) webhook(ref string) (*client.Webhook, error) {
	if isID(ref) {
		return x.c.GetWebhook(x.ctx, ref)
	}
	all, err := x.c.ListWebhooks(x.ctx, client.ListOptions{})
	if err != nil {
		return nil, err
	}
	var found []client.Webhook
	for _, w := range all {
		if w.Name == ref {
			found = append(found, w)
		}
	}
	return pick("webhook", ref, found, func(w client.Webhook) string { return w.ID })
}

// accessToken finds an account's token by id or name. A rotating token
// shares its name with its successor; the name then means the active one.
func (x *call) accessToken(accountID, ref string) (*client.AccessToken, error) {
	if isID(ref) {
		return x.c.GetAccessToken(x.ctx, accountID, ref)
	}
	found, err := x.c.ListAccessTokens(x.ctx, accountID, client.ListOptions{}.Where("name", "eq", ref))
	if err != nil {
		return nil, err
	}
	if len(found) > 1 {
		var active []client.AccessToken
		for _, t := range found {
			if t.State == "ACTIVE" {
				active = append(active, t)
			}
		}
		if len(active) == 1 {
			found = active
		}
	}
	return pick("token", ref, found, func(t client.AccessToken) string { return t.ID })
}

// personalToken finds a user's personal token by id or name.
func (x *call) personalToken(userID, ref string) (*client.PersonalAccessToken, error) {
	all, err := x.c.ListPersonalAccessTokens(x.ctx, userID, client.ListOptions{})
	if err != nil {
		return nil, err
	}
	var found []client.PersonalAccessToken
	for _, t := range all {
		if t.ID == ref || (!isID(ref) && t.Name == ref) {
			found = append(found, t)
		}
	}
	return pick("personal access token", ref, found, func(t client.PersonalAccessToken) string { return t.ID })
}

// completeAccounts completes account names from the server.
func (a *app) completeAccounts(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return complete(a, cmd, args, toComplete, (*client.Client).ListSystemAccounts,
		func(s client.SystemAccount) (string, string) { return s.Name, s.Description })
}

// completeTeams completes team names from the server.
func (a *app) completeTeams(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return complete(a, cmd, args, toComplete, (*client.Client).ListTeams,
		func(t client.Team) (string, string) { return t.Name, deref(t.Description) })
}

// complete completes a command's first argument, or a flag, with the
// names of the resources that list finds on the server, each with its
// description as named by show. Without a configured server it completes
// nothing rather than failing.
func complete[T any](a *app, cmd *cobra.Command, args []string, toComplete string,
	list func(*client.Client, context.Context, client.ListOptions) ([]T, error), show func(T) (name, description string),
) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	c, err := a.client()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveError
	}
	o := client.ListOptions{Limit: 200}
	if toComplete != "" {
		o = o.Where("name", "contains", toComplete)
	}
	found, err := list(c, ctx(cmd), o)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveError
	}
	var out []cobra.Completion
	for _, it := range found {
		if name, desc := show(it); strings.HasPrefix(name, toComplete) {
			out = append(out, cobra.CompletionWithDesc(name, desc))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// listOptions builds the common list flags into ListOptions.
func listOptions(limit int, filters ...[3]string) client.ListOptions {
	o := client.ListOptions{Limit: limit}
	for _, f := range filters {
		if f[2] != "" {
			o = o.Where(f[0], f[1], f[2])
		}
	}
	return o
}
