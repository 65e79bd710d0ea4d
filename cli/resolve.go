package cli

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/keyhold/keyhold/client"
)

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
func (a *app) account(ctx context.Context, c *client.Client, ref string) (*client.SystemAccount, error) {
	if isID(ref) {
		return c.GetSystemAccount(ctx, ref)
	}
	found, err := c.ListSystemAccounts(ctx, client.ListOptions{}.Where("name", "eq", ref))
	if err != nil {
		return nil, err
	}
	return pick("system account", ref, found, func(s client.SystemAccount) string { return s.ID })
}

// team finds a team by id or by exact name; team names may repeat.
func (a *app) team(ctx context.Context, c *client.Client, ref string) (*client.Team, error) {
	if isID(ref) {
		return c.GetTeam(ctx, ref)
	}
	found, err := c.ListTeams(ctx, client.ListOptions{}.Where("name", "eq", ref))
	if err != nil {
		return nil, err
	}
	return pick("team", ref, found, func(t client.Team) string { return t.ID })
}

// user finds a user by id, by email, or "me".
func (a *app) user(ctx context.Context, c *client.Client, ref string) (*client.User, error) {
	if isID(ref) || ref == "me" {
		return c.GetUser(ctx, ref)
	}
	found, err := c.ListUsers(ctx, client.ListOptions{}.Where("email", "eq", ref))
	if err != nil {
		return nil, err
	}
	return pick("user", ref, found, func(u client.User) string { return u.ID })
}

// accessToken finds an account's token by id or name. A rotating token
// shares its name with its successor; the name then means the active one.
func (a *app) accessToken(ctx context.Context, c *client.Client, accountID, ref string) (*client.AccessToken, error) {
	if isID(ref) {
		return c.GetAccessToken(ctx, accountID, ref)
	}
	found, err := c.ListAccessTokens(ctx, accountID, client.ListOptions{}.Where("name", "eq", ref))
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
func (a *app) personalToken(ctx context.Context, c *client.Client, userID, ref string) (*client.PersonalAccessToken, error) {
	all, err := c.ListPersonalAccessTokens(ctx, userID, client.ListOptions{})
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

// completeAccounts completes account names from the server; without a
// configured server it completes nothing rather than failing.
func (a *app) completeAccounts(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
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
	list, err := c.ListSystemAccounts(ctx(cmd), o)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveError
	}
	var out []cobra.Completion
	for _, s := range list {
		if strings.HasPrefix(s.Name, toComplete) {
			out = append(out, cobra.CompletionWithDesc(s.Name, s.Description))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeTeams completes team names from the server.
func (a *app) completeTeams(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
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
	list, err := c.ListTeams(ctx(cmd), o)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveError
	}
	var out []cobra.Completion
	for _, t := range list {
		if strings.HasPrefix(t.Name, toComplete) {
			out = append(out, cobra.CompletionWithDesc(t.Name, deref(t.Description)))
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

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
