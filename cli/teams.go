package cli

import (
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/keyhold/keyhold/client"
)

func (a *app) teamsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "teams",
		Aliases: []string{"team"},
		Short:   "Manage teams and their members",
		Example: `  keyhold teams create platform --description "Platform engineers" --label env=prod
  keyhold teams members add platform --account ci-bot
  keyhold teams members list platform`,
	}
	cmd.AddCommand(a.teamList(), a.teamGet(), a.teamCreate(), a.teamUpdate(), a.teamDelete(), a.membersCommand())
	return cmd
}

func labelString(m map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return orDash(strings.Join(parts, ","))
}

func (a *app) teamsView(list []client.Team, data any) view {
	v := view{data: data, header: []string{"NAME", "ID", "SYSTEM", "LABELS", "CREATED", "DESCRIPTION"}}
	for _, t := range list {
		v.ids = append(v.ids, t.ID)
		v.rows = append(v.rows, []string{t.Name, t.ID, yesNo(t.SystemTeam), labelString(t.Labels), a.ago(&t.CreatedAt), deref(t.Description)})
	}
	return v
}

func (a *app) teamList() *cobra.Command {
	var limit int
	var contains string
	var system bool
	var labels []string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List teams",
		Example: `  keyhold teams list
  keyhold teams list --name-contains plat --label env=prod
  keyhold teams list --system=false -q`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o := listOptions(0, [3]string{"name", "contains", contains})
			for _, l := range labels {
				k, v, ok := strings.Cut(l, "=")
				if !ok {
					return usageErrorf("--label wants KEY=VALUE, not %q", l)
				}
				o = o.Where("labels."+k, "eq", v)
			}
			return a.remote(cmd, args, func(x *call) error {
				// The system filter is applied here, so --limit counts after it.
				list := []client.Team{}
				for t, err := range client.Pages[client.Team](x.ctx, x.c, "/v3/teams", o) {
					if err != nil {
						return err
					}
					if cmd.Flags().Changed("system") && t.SystemTeam != system {
						continue
					}
					list = append(list, t)
					if limit > 0 && len(list) >= limit {
						break
					}
				}
				return a.print(a.teamsView(list, list))
			})
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 0, "list at most this many (0: all)")
	cmd.Flags().StringVar(&contains, "name-contains", "", "only teams whose name contains this, ignoring case")
	cmd.Flags().StringArrayVar(&labels, "label", nil, "only teams with this label, KEY=VALUE (repeatable)")
	cmd.Flags().BoolVar(&system, "system", false, "only system teams (true) or only your own (false)")
	return cmd
}

func (a *app) teamGet() *cobra.Command {
	return &cobra.Command{
		Use:               "get TEAM",
		Short:             "Show a team, by name or id",
		Example:           "  keyhold teams get platform -o yaml",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeTeams,
		RunE: a.run(on((*call).team, func(_ *call, t *client.Team) error {
			return a.print(a.teamsView([]client.Team{*t}, t))
		})),
	}
}

func parseLabels(in []string) (map[string]string, error) {
	out := map[string]string{}
	for _, l := range in {
		k, v, ok := strings.Cut(l, "=")
		if !ok || k == "" {
			return nil, usageErrorf("--label wants KEY=VALUE, not %q", l)
		}
		out[k] = v
	}
	return out, nil
}

func (a *app) teamCreate() *cobra.Command {
	var description string
	var labels []string
	cmd := &cobra.Command{
		Use:     "create NAME",
		Short:   "Create a team",
		Example: "  keyhold teams create platform --description \"Platform engineers\" --label env=prod",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in := client.TeamCreate{Name: args[0]}
			if description != "" {
				in.Description = &description
			}
			var err error
			if in.Labels, err = parseLabels(labels); err != nil {
				return err
			}
			return a.remote(cmd, args, func(x *call) error {
				t, err := x.c.CreateTeam(x.ctx, in)
				if err != nil {
					return err
				}
				return a.print(a.teamsView([]client.Team{*t}, t))
			})
		},
	}
	cmd.Flags().StringVar(&description, "description", "", "what the team is for")
	cmd.Flags().StringArrayVar(&labels, "label", nil, "a label KEY=VALUE (repeatable)")
	return cmd
}

func (a *app) teamUpdate() *cobra.Command {
	var name, description string
	var labels, removeLabels []string
	cmd := &cobra.Command{
		Use:               "update TEAM",
		Short:             "Rename, redescribe or relabel a team",
		Example:           "  keyhold teams update platform --name platform-eng --label tier=1 --remove-label env",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeTeams,
		RunE: func(cmd *cobra.Command, args []string) error {
			var in client.TeamUpdate
			if cmd.Flags().Changed("name") {
				in.Name = &name
			}
			if cmd.Flags().Changed("description") {
				in.Description = &description
			}
			set, err := parseLabels(labels)
			if err != nil {
				return err
			}
			if len(set)+len(removeLabels) > 0 {
				in.Labels = map[string]*string{}
				for k, v := range set {
					in.Labels[k] = &v
				}
				for _, k := range removeLabels {
					in.Labels[k] = nil
				}
			}
			if in.Name == nil && in.Description == nil && in.Labels == nil {
				return usageErrorf("nothing to update: give --name, --description, --label or --remove-label")
			}
			return a.remote(cmd, args, on((*call).team, func(x *call, t *client.Team) error {
				t, err := x.c.UpdateTeam(x.ctx, t.ID, in)
				if err != nil {
					return err
				}
				return a.print(a.teamsView([]client.Team{*t}, t))
			}))
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "the new name")
	cmd.Flags().StringVar(&description, "description", "", "the new description")
	cmd.Flags().StringArrayVar(&labels, "label", nil, "set a label KEY=VALUE (repeatable)")
	cmd.Flags().StringArrayVar(&removeLabels, "remove-label", nil, "remove the label KEY (repeatable)")
	return cmd
}

func (a *app) teamDelete() *cobra.Command {
	return &cobra.Command{
		Use:               "delete TEAM",
		Short:             "Delete a team; its members lose the team's roles",
		Example:           "  keyhold teams delete platform",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeTeams,
		RunE: a.run(on((*call).team, func(x *call, t *client.Team) error {
			if err := x.c.DeleteTeam(x.ctx, t.ID); err != nil {
				return err
			}
			a.done("Deleted team %s (%s).", t.Name, t.ID)
			return nil
		})),
	}
}

func (a *app) membersCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "members",
		Aliases: []string{"member"},
		Short:   "List, add and remove a team's system accounts and users",
		Example: "  keyhold teams members list platform\n  keyhold teams members add platform --account ci-bot",
	}
	var list = &cobra.Command{
		Use:               "list TEAM",
		Short:             "List a team's system accounts and users",
		Example:           "  keyhold teams members list platform\n  keyhold teams members list platform -o json",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeTeams,
		RunE: a.run(on((*call).team, func(x *call, t *client.Team) error {
			accounts, err := x.c.ListTeamSystemAccounts(x.ctx, t.ID, client.ListOptions{})
			if err != nil {
				return err
			}
			users, err := x.c.ListTeamUsers(x.ctx, t.ID, client.ListOptions{})
			if err != nil {
				return err
			}
			v := view{data: map[string]any{"system_accounts": accounts, "users": users}, header: []string{"TYPE", "NAME", "ID"}}
			for _, s := range accounts {
				v.ids = append(v.ids, s.ID)
				v.rows = append(v.rows, []string{"system account", s.Name, s.ID})
			}
			for _, u := range users {
				v.ids = append(v.ids, u.ID)
				v.rows = append(v.rows, []string{"user", u.Email, u.ID})
			}
			return a.print(v)
		})),
	}
	cmd.AddCommand(list, a.memberChange(true), a.memberChange(false))
	return cmd
}

func (a *app) memberChange(add bool) *cobra.Command {
	var account, user string
	use, short, example := "remove TEAM --account A | --user U", "Remove a system account or a user from a team",
		"  keyhold teams members remove platform --account ci-bot\n  keyhold teams members remove platform --user ops@example.com"
	if add {
		use, short, example = "add TEAM --account A | --user U", "Add a system account or a user to a team",
			"  keyhold teams members add platform --account ci-bot\n  keyhold teams members add platform --user ops@example.com"
	}
	cmd := &cobra.Command{
		Use:               use,
		Short:             short,
		Example:           example,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeTeams,
		RunE: a.run(on((*call).team, func(x *call, t *client.Team) error {
			h := holder{account: account, user: user}
			kind, id, name, err := h.resolve(x)
			if err != nil {
				return err
			}
			if add {
				err = x.c.AddTeamMember(x.ctx, t.ID, kind, id)
			} else {
				err = x.c.RemoveTeamMember(x.ctx, t.ID, kind, id)
			}
			if err != nil {
				return err
			}
			if add {
				a.done("Added %s %s to team %s.", kindWords[kind], name, t.Name)
			} else {
				a.done("Removed %s %s from team %s.", kindWords[kind], name, t.Name)
			}
			return nil
		})),
	}
	cmd.Flags().StringVar(&account, "account", "", "a system account, by name or id")
	cmd.Flags().StringVar(&user, "user", "", "a user, by email or id")
	_ = cmd.RegisterFlagCompletionFunc("account", a.completeAccounts)
	cmd.MarkFlagsMutuallyExclusive("account", "user")
	cmd.MarkFlagsOneRequired("account", "user")
	return cmd
}
