package cli

import (
	"cmp"
	"slices"

	"github.com/spf13/cobra"

	"github.com/keyhold/keyhold/client"
)

func (a *app) rolesCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "roles",
		Aliases: []string{"role"},
		Short:   "Show the roles catalogue, and assign roles to accounts, teams and users",
		Example: `  keyhold roles catalogue
  keyhold roles assign --account ci-bot --role Admin --entity-type "Control Planes"
  keyhold roles list --team platform`,
	}
	cmd.AddCommand(a.rolesCatalogue(), a.rolesList(), a.rolesAssign(), a.rolesUnassign())
	return cmd
}

func (a *app) rolesCatalogue() *cobra.Command {
	return &cobra.Command{
		Use:     "catalogue",
		Aliases: []string{"catalog"},
		Short:   "List the roles that can be assigned, per entity type",
		Example: "  keyhold roles catalogue\n  keyhold roles catalogue -o json",
		Args:    cobra.NoArgs,
		RunE: a.run(func(x *call) error {
			rc, err := x.c.GetRoles(x.ctx)
			if err != nil {
				return err
			}
			v := view{data: rc, header: []string{"ENTITY TYPE", "ROLE", "DESCRIPTION"}}
			for _, key := range slices.Sorted(mapKeys(rc)) {
				et := rc[key]
				for _, rk := range slices.Sorted(mapKeys(et.Roles)) {
					r := et.Roles[rk]
					v.ids = append(v.ids, et.Name+":"+r.Name)
					v.rows = append(v.rows, []string{et.Name, r.Name, r.Description})
				}
			}
			return a.print(v)
		}),
	}
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// holder is the --account, --team or --user a roles command works on.
type holder struct{ account, team, user string }

func (h *holder) flags(cmd *cobra.Command, a *app) {
	cmd.Flags().StringVar(&h.account, "account", "", "a system account, by name or id")
	cmd.Flags().StringVar(&h.team, "team", "", "a team, by name or id")
	cmd.Flags().StringVar(&h.user, "user", "", "a user, by email or id")
	_ = cmd.RegisterFlagCompletionFunc("account", a.completeAccounts)
	_ = cmd.RegisterFlagCompletionFunc("team", a.completeTeams)
	cmd.MarkFlagsMutuallyExclusive("account", "team", "user")
	cmd.MarkFlagsOneRequired("account", "team", "user")
}

// kindWords names each kind of holder in a sentence.
var kindWords = map[string]string{client.KindSystemAccount: "system account", client.KindTeam: "team", client.KindUser: "user"}

// resolve returns the kind and id of the holder, and its display name.
func (h *holder) resolve(x *call) (kind, id, name string, err error) {
	switch {
	case h.account != "":
		s, err := x.account(h.account)
		if err != nil {
			return "", "", "", err
		}
		return client.KindSystemAccount, s.ID, s.Name, nil
	case h.team != "":
		t, err := x.team(h.team)
		if err != nil {
			return "", "", "", err
		}
		return client.KindTeam, t.ID, t.Name, nil
	}
	u, err := x.user(h.user)
	if err != nil {
		return "", "", "", err
	}
	return client.KindUser, u.ID, u.Email, nil
}

func (a *app) rolesView(list []client.AssignedRole, data any) view {
	v := view{data: data, header: []string{"ROLE", "ENTITY TYPE", "ENTITY", "REGION", "ID"}}
	for _, r := range list {
		v.ids = append(v.ids, r.ID)
		v.rows = append(v.rows, []string{r.RoleName, r.EntityTypeName, r.EntityID, r.EntityRegion, r.ID})
	}
	return v
}

func (a *app) rolesList() *cobra.Command {
	var h holder
	cmd := &cobra.Command{
		Use:     "list --account A | --team T | --user U",
		Short:   "List the roles assigned to an account, a team or a user",
		Example: "  keyhold roles list --account ci-bot\n  keyhold roles list --team platform -o json\n  keyhold roles list --user ops@example.com",
		Args:    cobra.NoArgs,
		RunE: a.run(func(x *call) error {
			kind, id, _, err := h.resolve(x)
			if err != nil {
				return err
			}
			list, err := x.c.ListAssignedRoles(x.ctx, kind, id)
			if err != nil {
				return err
			}
			// Assignments made in the same instant come in any order; sort
			// them by what they grant, so that the output is stable.
			slices.SortFunc(list, func(x, y client.AssignedRole) int {
				return cmp.Or(cmp.Compare(x.EntityTypeName, y.EntityTypeName), cmp.Compare(x.RoleName, y.RoleName),
					cmp.Compare(x.EntityID, y.EntityID), cmp.Compare(x.EntityRegion, y.EntityRegion), cmp.Compare(x.ID, y.ID))
			})
			return a.print(a.rolesView(list, list))
		}),
	}
	h.flags(cmd, a)
	return cmd
}

func (a *app) rolesAssign() *cobra.Command {
	var h holder
	var p client.Permission
	cmd := &cobra.Command{
		Use:   "assign --account A | --team T | --user U --role ROLE --entity-type TYPE",
		Short: "Assign a role on an entity (default: every entity, every region)",
		Example: `  keyhold roles assign --account ci-bot --role Admin --entity-type "Control Planes"
  keyhold roles assign --team platform --role Viewer --entity-type "API Products" --entity-id 7f9b… --region eu
  keyhold roles assign --user ops@example.com --role Admin --entity-type Identity`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if p.RoleName == "" || p.EntityTypeName == "" {
				return usageErrorf("--role and --entity-type are required (see \"keyhold roles catalogue\")")
			}
			return a.remote(cmd, args, func(x *call) error {
				kind, id, _, err := h.resolve(x)
				if err != nil {
					return err
				}
				r, err := x.c.AssignRole(x.ctx, kind, id, p)
				if err != nil {
					return err
				}
				return a.print(a.rolesView([]client.AssignedRole{*r}, r))
			})
		},
	}
	h.flags(cmd, a)
	cmd.Flags().StringVar(&p.RoleName, "role", "", "the role's name, e.g. Admin, Viewer (required)")
	cmd.Flags().StringVar(&p.EntityTypeName, "entity-type", "", "the entity type's name, e.g. \"Control Planes\", Identity (required)")
	cmd.Flags().StringVar(&p.EntityID, "entity-id", "*", "one entity's id, or * for all")
	cmd.Flags().StringVar(&p.EntityRegion, "region", "*", "us, eu, au, me, in, sg or * for all")
	return cmd
}

func (a *app) rolesUnassign() *cobra.Command {
	var h holder
	var role, entityType, entityID, region string
	cmd := &cobra.Command{
		Use:   "unassign --account A | --team T | --user U (ASSIGNMENT_ID | --role ROLE --entity-type TYPE)",
		Short: "Remove a role assignment, by its id or by what it grants",
		Example: `  keyhold roles unassign --account ci-bot --role Admin --entity-type "Control Planes"
  keyhold roles unassign --team platform 3c1f0d9e-…`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && (role == "" || entityType == "") {
				return usageErrorf("give the assignment's id, or --role and --entity-type")
			}
			return a.remote(cmd, args, func(x *call) error {
				kind, id, name, err := h.resolve(x)
				if err != nil {
					return err
				}
				list, err := x.c.ListAssignedRoles(x.ctx, kind, id)
				if err != nil {
					return err
				}
				var found []client.AssignedRole
				for _, r := range list {
					if len(args) == 1 && r.ID == args[0] ||
						len(args) == 0 && r.RoleName == role && r.EntityTypeName == entityType &&
							(entityID == "" || r.EntityID == entityID) && (region == "" || r.EntityRegion == region) {
						found = append(found, r)
					}
				}
				ref := role + " on " + entityType
				if len(args) == 1 {
					ref = args[0]
				}
				r, err := pick("role assignment", ref, found, func(r client.AssignedRole) string { return r.ID })
				if err != nil {
					return err
				}
				if err := x.c.UnassignRole(x.ctx, kind, id, r.ID); err != nil {
					return err
				}
				a.done("Removed %s on %s (%s, %s) from %s.", r.RoleName, r.EntityTypeName, r.EntityID, r.EntityRegion, name)
				return nil
			})
		},
	}
	h.flags(cmd, a)
	cmd.Flags().StringVar(&role, "role", "", "the role's name")
	cmd.Flags().StringVar(&entityType, "entity-type", "", "the entity type's name")
	cmd.Flags().StringVar(&entityID, "entity-id", "", "the entity's id or * (default: any)")
	cmd.Flags().StringVar(&region, "region", "", "the region or * (default: any)")
	return cmd
}
