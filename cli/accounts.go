package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/keyhold/keyhold/client"
)

func (a *app) accountsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "system-accounts",
		Aliases: []string{"sa", "system-account"},
		Short:   "Manage system accounts, the identities of automation",
		Example: `  keyhold sa list
  keyhold sa create ci-bot --description "CI deployer"
  keyhold sa disable ci-bot`,
	}
	cmd.AddCommand(a.saList(), a.saGet(), a.saCreate(), a.saUpdate(), a.saDelete(),
		a.saSetDisabled(true), a.saSetDisabled(false))
	return cmd
}

func (a *app) accountsView(list []client.SystemAccount, data any) view {
	v := view{data: data, header: []string{"NAME", "ID", "STATUS", "MANAGED", "CREATED", "DESCRIPTION"}}
	for _, s := range list {
		status := "enabled"
		if s.Disabled {
			status = "disabled"
		}
		v.ids = append(v.ids, s.ID)
		v.rows = append(v.rows, []string{s.Name, s.ID, status, yesNo(s.KonnectManaged), a.ago(&s.CreatedAt), s.Description})
	}
	return v
}

func (a *app) accountView(s *client.SystemAccount) view {
	return a.accountsView([]client.SystemAccount{*s}, s)
}

func (a *app) saList() *cobra.Command {
	var limit int
	var contains, disabled string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List system accounts",
		Example: `  keyhold sa list
  keyhold sa list --name-contains ci --limit 10
  keyhold sa list --disabled true -q`,
		Args: cobra.NoArgs,
		RunE: a.run(func(x *call) error {
			list, err := x.c.ListSystemAccounts(x.ctx, listOptions(limit, [3]string{"name", "contains", contains}, [3]string{"disabled", "", disabled}))
			if err != nil {
				return err
			}
			return a.print(a.accountsView(list, list))
		}),
	}
	cmd.Flags().IntVar(&limit, "limit", 0, "list at most this many (0: all)")
	cmd.Flags().StringVar(&contains, "name-contains", "", "only accounts whose name contains this, ignoring case")
	cmd.Flags().StringVar(&disabled, "disabled", "", "only disabled (true) or enabled (false) accounts")
	return cmd
}

func (a *app) saGet() *cobra.Command {
	return &cobra.Command{
		Use:               "get ACCOUNT",
		Short:             "Show a system account, by name or id",
		Example:           "  keyhold sa get ci-bot\n  keyhold sa get ci-bot -o yaml",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeAccounts,
		RunE: a.run(on((*call).account, func(_ *call, s *client.SystemAccount) error {
			return a.print(a.accountView(s))
		})),
	}
}

func (a *app) saCreate() *cobra.Command {
	var in client.SystemAccountCreate
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a system account",
		Example: `  keyhold sa create ci-bot --description "CI deployer"
  keyhold sa create ci-bot --create-team
  id=$(keyhold sa create ci-bot -q)`,
		Args: cobra.ExactArgs(1),
		RunE: a.run(func(x *call) error {
			in.Name = x.args[0]
			s, err := x.c.CreateSystemAccount(x.ctx, in)
			if err != nil {
				return err
			}
			return a.print(a.accountView(s))
		}),
	}
	cmd.Flags().StringVar(&in.Description, "description", "", "what the account is for")
	cmd.Flags().BoolVar(&in.KonnectManaged, "managed", false, "only you (this principal) may change the account afterwards")
	cmd.Flags().BoolVar(&in.CreateTeam, "create-team", false, "also create a team of the same name with the account as its member")
	return cmd
}

func (a *app) saUpdate() *cobra.Command {
	var name, description string
	cmd := &cobra.Command{
		Use:               "update ACCOUNT",
		Short:             "Rename or redescribe a system account",
		Example:           "  keyhold sa update ci-bot --name ci-deployer\n  keyhold sa update ci-bot --description \"deploys to prod\"",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeAccounts,
		RunE: func(cmd *cobra.Command, args []string) error {
			var in client.SystemAccountUpdate
			if cmd.Flags().Changed("name") {
				in.Name = &name
			}
			if cmd.Flags().Changed("description") {
				in.Description = &description
			}
			if in.Name == nil && in.Description == nil {
				return usageErrorf("nothing to update: give --name or --description")
			}
			return a.remote(cmd, args, on((*call).account, func(x *call, s *client.SystemAccount) error {
				s, err := x.c.UpdateSystemAccount(x.ctx, s.ID, in)
				if err != nil {
					return err
				}
				return a.print(a.accountView(s))
			}))
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "the new name")
	cmd.Flags().StringVar(&description, "description", "", "the new description")
	return cmd
}

func (a *app) saDelete() *cobra.Command {
	return &cobra.Command{
		Use:               "delete ACCOUNT",
		Short:             "Delete a system account with its tokens and role assignments",
		Example:           "  keyhold sa delete ci-bot",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeAccounts,
		RunE: a.run(on((*call).account, func(x *call, s *client.SystemAccount) error {
			if err := x.c.DeleteSystemAccount(x.ctx, s.ID); err != nil {
				return err
			}
			a.done("Deleted system account %s (%s).", s.Name, s.ID)
			return nil
		})),
	}
}

func (a *app) saSetDisabled(disabled bool) *cobra.Command {
	use, short, example := "enable ACCOUNT", "Let a disabled system account's tokens work again", "  keyhold sa enable ci-bot"
	if disabled {
		use, short, example = "disable ACCOUNT", "Refuse every token of a system account until it is enabled", "  keyhold sa disable ci-bot"
	}
	return &cobra.Command{
		Use:               use,
		Short:             short,
		Example:           example,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeAccounts,
		RunE: a.run(on((*call).account, func(x *call, s *client.SystemAccount) error {
			s, err := x.c.SetSystemAccountDisabled(x.ctx, s.ID, disabled)
			if err != nil {
				return err
			}
			return a.print(a.accountView(s))
		})),
	}
}

// done reports a completed action without output of its own, on stderr
// so that stdout stays clean for scripts; -q silences it. The action is
// done whether or not the note is written, so a failed write is ignored.
func (a *app) done(format string, args ...any) {
	if a.quiet || a.output != "table" {
		return
	}
	_, _ = fmt.Fprintf(a.Err, format+"\n", cleanArgs(args)...)
}
