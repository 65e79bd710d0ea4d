package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyhold/keyhold/client"
)

func (a *app) usersCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "users",
		Aliases: []string{"user"},
		Short:   "Manage users and their personal access tokens",
		Example: `  keyhold users list --email-contains example.com
  keyhold users invite new@example.com
  keyhold users setup-link new@example.com
  keyhold users tokens create me --name laptop --ttl 30d`,
	}
	cmd.AddCommand(a.userList(), a.userGet(), a.userCreate(), a.userInvite(), a.userSetupLink(), a.userUpdate(), a.userDelete(), a.patCommand())
	return cmd
}

func (a *app) usersView(list []client.User, data any) view {
	v := view{data: data, header: []string{"EMAIL", "ID", "NAME", "ACTIVE", "CREATED"}}
	for _, u := range list {
		v.ids = append(v.ids, u.ID)
		v.rows = append(v.rows, []string{u.Email, u.ID, orDash(u.FullName), yesNo(u.Active), a.ago(&u.CreatedAt)})
	}
	return v
}

func (a *app) userList() *cobra.Command {
	var limit int
	var email, name, active string
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List users",
		Example: "  keyhold users list\n  keyhold users list --email-contains example.com --active false",
		Args:    cobra.NoArgs,
		RunE: a.run(func(x *call) error {
			list, err := x.c.ListUsers(x.ctx, listOptions(limit, [3]string{"email", "contains", email},
				[3]string{"full_name", "contains", name}, [3]string{"active", "", active}))
			if err != nil {
				return err
			}
			return a.print(a.usersView(list, list))
		}),
	}
	cmd.Flags().IntVar(&limit, "limit", 0, "list at most this many (0: all)")
	cmd.Flags().StringVar(&email, "email-contains", "", "only users whose email contains this, ignoring case")
	cmd.Flags().StringVar(&name, "name-contains", "", "only users whose full name contains this, ignoring case")
	cmd.Flags().StringVar(&active, "active", "", "only active (true) or invited (false) users")
	return cmd
}

func (a *app) userGet() *cobra.Command {
	return &cobra.Command{
		Use:     "get USER",
		Short:   "Show a user, by email, id or \"me\"",
		Example: "  keyhold users get ops@example.com\n  keyhold users get me -o json",
		Args:    cobra.ExactArgs(1),
		RunE: a.run(on((*call).user, func(_ *call, u *client.User) error {
			return a.print(a.usersView([]client.User{*u}, u))
		})),
	}
}

func (a *app) userCreate() *cobra.Command {
	var in client.UserCreate
	var passwordStdin bool
	cmd := &cobra.Command{
		Use:   "create EMAIL",
		Short: "Create an active user (keyhold's extension; Konnect only invites)",
		Example: `  keyhold users create ops@example.com --full-name "Olga Ops"
  keyhold users create ops@example.com --password-stdin < password.txt`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in.Email = args[0]
			if passwordStdin {
				p, err := a.readSecret("Password: ")
				if err != nil {
					return err
				}
				in.Password = p
			}
			return a.remote(cmd, args, func(x *call) error {
				u, err := x.c.CreateUser(x.ctx, in)
				if err != nil {
					return err
				}
				return a.print(a.usersView([]client.User{*u}, u))
			})
		},
	}
	cmd.Flags().StringVar(&in.FullName, "full-name", "", "the user's full name")
	cmd.Flags().StringVar(&in.PreferredName, "preferred-name", "", "what the user likes to be called")
	cmd.Flags().BoolVar(&passwordStdin, "password-stdin", false, "read a password (12+ characters) from standard input or a prompt")
	return cmd
}

func (a *app) userInvite() *cobra.Command {
	return &cobra.Command{
		Use:     "invite EMAIL",
		Short:   "Invite a user; they stay inactive until they accept",
		Example: "  keyhold users invite new@example.com",
		Args:    cobra.ExactArgs(1),
		RunE: a.run(func(x *call) error {
			if err := x.c.InviteUser(x.ctx, x.args[0]); err != nil {
				return err
			}
			a.done("Invited %s.", x.args[0])
			return nil
		}),
	}
}

func (a *app) userSetupLink() *cobra.Command {
	return &cobra.Command{
		Use:   "setup-link USER",
		Short: "Print a one-time link at which a user sets their console password",
		Long: `Setup-link prints a link, valid once and for 24 hours, at which the user sets
their console password: an invited user accepts the invitation with it and
becomes active; an active user's password is reset and their sessions end.
The link is shown only this once; hand it to the user out of band. A
deactivated user gets none.`,
		Example: `  keyhold users invite new@example.com
  keyhold users setup-link new@example.com`,
		Args: cobra.ExactArgs(1),
		RunE: a.run(on((*call).user, func(x *call, u *client.User) error {
			l, err := x.c.IssueSetupLink(x.ctx, u.ID)
			if err != nil {
				return err
			}
			return a.printSecret(l, l.SetupURL, fmt.Sprintf("Setup link for %s, valid once until %s:", u.Email, l.ExpiresAt.Format(time.RFC3339)))
		})),
	}
}

func (a *app) userUpdate() *cobra.Command {
	var fullName, preferred string
	cmd := &cobra.Command{
		Use:     "update USER",
		Short:   "Change a user's names",
		Example: "  keyhold users update ops@example.com --full-name \"Olga Operations\"",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var in client.UserUpdate
			if cmd.Flags().Changed("full-name") {
				in.FullName = &fullName
			}
			if cmd.Flags().Changed("preferred-name") {
				in.PreferredName = &preferred
			}
			if in.FullName == nil && in.PreferredName == nil {
				return usageErrorf("nothing to update: give --full-name or --preferred-name")
			}
			return a.remote(cmd, args, on((*call).user, func(x *call, u *client.User) error {
				u, err := x.c.UpdateUser(x.ctx, u.ID, in)
				if err != nil {
					return err
				}
				return a.print(a.usersView([]client.User{*u}, u))
			}))
		},
	}
	cmd.Flags().StringVar(&fullName, "full-name", "", "the new full name")
	cmd.Flags().StringVar(&preferred, "preferred-name", "", "the new preferred name")
	return cmd
}

func (a *app) userDelete() *cobra.Command {
	return &cobra.Command{
		Use:     "delete USER",
		Short:   "Delete a user with their tokens",
		Example: "  keyhold users delete ops@example.com",
		Args:    cobra.ExactArgs(1),
		RunE: a.run(on((*call).user, func(x *call, u *client.User) error {
			if err := x.c.DeleteUser(x.ctx, u.ID); err != nil {
				return err
			}
			a.done("Deleted user %s (%s).", u.Email, u.ID)
			return nil
		})),
	}
}

func (a *app) patCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "tokens",
		Aliases: []string{"token", "pat"},
		Short:   "Manage a user's personal access tokens",
		Example: "  keyhold users tokens list me\n  keyhold users tokens create me --name laptop --ttl 30d",
	}
	list := &cobra.Command{
		Use:     "list USER",
		Short:   "List a user's personal access tokens",
		Example: "  keyhold users tokens list me\n  keyhold users tokens list ops@example.com -o json",
		Args:    cobra.ExactArgs(1),
		RunE: a.run(on((*call).user, func(x *call, u *client.User) error {
			list, err := x.c.ListPersonalAccessTokens(x.ctx, u.ID, client.ListOptions{})
			if err != nil {
				return err
			}
			v := view{data: list, header: []string{"NAME", "ID", "STATE", "EXPIRES", "LAST USED", "CREATED"}}
			for _, t := range list {
				v.ids = append(v.ids, t.ID)
				v.rows = append(v.rows, []string{t.Name, t.ID, t.State, a.until(t.ExpiresAt), a.ago(t.LastUsedAt), a.ago(&t.CreatedAt)})
			}
			return a.print(v)
		})),
	}
	var name, ttl, saveTo string
	create := &cobra.Command{
		Use:   "create USER --name NAME",
		Short: "Mint a personal access token and print its value once",
		Long: `Create mints a personal access token (kpat_…) and prints its value once on
standard output, or with --save-to into a new file of mode 0600. Users mint
their own tokens: authenticate with one of your personal tokens and use "me".`,
		Example: "  keyhold users tokens create me --name laptop --ttl 30d\n  keyhold users tokens create me --name ci --save-to ci.token",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if name == "" {
				return usageErrorf("--name is required")
			}
			d, err := parseLifetime(ttl)
			if err != nil {
				return err
			}
			return a.remote(cmd, args, on((*call).user, func(x *call, u *client.User) error {
				file, err := reserve(saveTo)
				if err != nil {
					return err
				}
				t, err := x.c.CreatePersonalAccessToken(x.ctx, u.ID, name, d)
				if err != nil {
					file.abandon()
					return err
				}
				if err := file.save(&t.KonnectToken); err != nil {
					return err
				}
				var data any = t
				if file != nil {
					data = &t.PersonalAccessToken // the value is in the file, not in -o json
				}
				summary := fmt.Sprintf("Created personal access token %q (%s) for %s, expiring %s.", t.Name, t.ID, u.Email, a.until(t.ExpiresAt))
				return a.printSecret(data, t.KonnectToken, summary+file.note())
			}))
		},
	}
	create.Flags().StringVar(&name, "name", "", "the token's name (required)")
	create.Flags().StringVar(&ttl, "ttl", "30d", "lifetime, 1d to 365d")
	create.Flags().StringVar(&saveTo, "save-to", "", "write the value to this new file (mode 0600) instead of standard output")
	cmd.AddCommand(list, create, a.patRevoke(), a.patDelete())
	return cmd
}

func (a *app) patRevoke() *cobra.Command {
	return &cobra.Command{
		Use:     "revoke USER TOKEN",
		Short:   "Revoke a personal access token; it stays listed as REVOKED",
		Example: "  keyhold users tokens revoke ops@example.com laptop",
		Args:    cobra.ExactArgs(2),
		RunE: a.run(onPersonalToken(func(x *call, u *client.User, t *client.PersonalAccessToken) error {
			t, err := x.c.RevokePersonalAccessToken(x.ctx, u.ID, t.ID)
			if err != nil {
				return err
			}
			if a.output != "table" {
				return a.print(view{data: t})
			}
			a.done("Revoked personal access token %q (%s) of %s.", t.Name, t.ID, u.Email)
			return nil
		})),
	}
}

func (a *app) patDelete() *cobra.Command {
	return &cobra.Command{
		Use:     "delete USER TOKEN",
		Short:   "Delete a personal access token",
		Example: "  keyhold users tokens delete me laptop",
		Args:    cobra.ExactArgs(2),
		RunE: a.run(onPersonalToken(func(x *call, u *client.User, t *client.PersonalAccessToken) error {
			if err := x.c.DeletePersonalAccessToken(x.ctx, u.ID, t.ID); err != nil {
				return err
			}
			a.done("Deleted personal access token %q (%s) of %s.", t.Name, t.ID, u.Email)
			return nil
		})),
	}
}
