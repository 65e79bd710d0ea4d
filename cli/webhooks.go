package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/keyhold/keyhold/client"
)

// webhookEvents are the event types a destination may receive.
var webhookEvents = []string{"token.expiring", "token.expired", "token.rotated", "token.revoked", "token.leaked",
	"token.auto_rotated", "account.disabled", "account.deleted"}

func (a *app) webhooksCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "webhooks",
		Aliases: []string{"webhook"},
		Short:   "Manage webhook destinations and read their delivery logs",
		Long: `Webhooks send lifecycle events (expiry warnings, expiry, rotation,
revocation, leaks, disabled and deleted accounts) to your systems, signed as
Standard Webhooks. The server needs --secret-key-file to keep their signing
secrets. A destination is named by its name or its id.`,
		Example: `  keyhold webhooks create alerts --url https://hooks.example.com/keyhold --events token.expiring,token.revoked
  keyhold webhooks deliveries alerts
  keyhold webhooks test alerts`,
	}
	cmd.AddCommand(a.hookList(), a.hookGet(), a.hookCreate(), a.hookUpdate(), a.hookDelete(),
		a.hookRotateSecret(), a.hookTest(), a.hookDeliveries(), a.hookRedeliver())
	return cmd
}

func (a *app) webhooksView(list []client.Webhook, data any) view {
	v := view{data: data, header: []string{"NAME", "ID", "URL", "EVENTS", "ACCOUNT", "ENABLED", "CREATED"}}
	for _, w := range list {
		v.ids = append(v.ids, w.ID)
		v.rows = append(v.rows, []string{w.Name, w.ID, w.URL, strings.Join(w.EventTypes, ","), orDash(deref(w.SystemAccountID)), yesNo(w.Enabled), a.ago(&w.CreatedAt)})
	}
	return v
}

func (a *app) deliveriesView(list []client.WebhookDelivery, data any) view {
	v := view{data: data, header: []string{"ID", "EVENT", "STATUS", "ATTEMPTS", "LAST HTTP", "LAST ERROR", "NEXT ATTEMPT", "CREATED"}}
	for _, d := range list {
		status := "-"
		if d.LastHTTPStatus != nil {
			status = fmt.Sprint(*d.LastHTTPStatus)
		}
		next := "-"
		if d.Status == "pending" {
			next = a.until(d.NextAttemptAt)
		}
		v.ids = append(v.ids, d.ID)
		v.rows = append(v.rows, []string{d.ID, d.EventType, d.Status, fmt.Sprint(d.Attempts), status, orDash(d.LastError), next, a.ago(&d.CreatedAt)})
	}
	return v
}

func (a *app) hookList() *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List webhook destinations (never their secrets)",
		Example: "  keyhold webhooks list\n  keyhold webhooks list -o json",
		Args:    cobra.NoArgs,
		RunE: a.run(func(x *call) error {
			list, err := x.c.ListWebhooks(x.ctx, client.ListOptions{Limit: limit})
			if err != nil {
				return err
			}
			return a.print(a.webhooksView(list, list))
		}),
	}
	cmd.Flags().IntVar(&limit, "limit", 0, "list at most this many (0: all)")
	return cmd
}

func (a *app) hookGet() *cobra.Command {
	return &cobra.Command{
		Use:     "get WEBHOOK",
		Short:   "Show one webhook destination",
		Example: "  keyhold webhooks get alerts -o yaml",
		Args:    cobra.ExactArgs(1),
		RunE: a.run(on((*call).webhook, func(_ *call, w *client.Webhook) error {
			return a.print(a.webhooksView([]client.Webhook{*w}, w))
		})),
	}
}

func (a *app) hookCreate() *cobra.Command {
	var in client.WebhookCreate
	var account string
	cmd := &cobra.Command{
		Use:   "create NAME --url URL --events TYPE[,TYPE…]",
		Short: "Create a webhook destination and print its signing secret once",
		Long: `Create makes a destination and prints its signing secret (whsec_…) once, on
standard output: give it to the receiver now, it cannot be read again (rotate
it with rotate-secret). Event types: ` + strings.Join(webhookEvents, ", ") + `.
--account limits the destination to events about one system account;
token.auto_rotated needs it, since those events carry new token values.`,
		Example: `  keyhold webhooks create alerts --url https://hooks.example.com/keyhold --events token.expiring,token.revoked
  keyhold webhooks create vault --url https://vault.internal/keyhold --events token.auto_rotated --account ci-bot
  SECRET=$(keyhold webhooks create alerts --url https://h.example.com --events token.leaked -q)`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in.Name = args[0]
			if in.URL == "" || len(in.EventTypes) == 0 {
				return usageErrorf("--url and --events are required")
			}
			return a.remote(cmd, args, func(x *call) error {
				if account != "" {
					s, err := x.account(account)
					if err != nil {
						return err
					}
					in.SystemAccountID = s.ID
				}
				w, err := x.c.CreateWebhook(x.ctx, in)
				if err != nil {
					return err
				}
				return a.printSecret(w, w.Secret, fmt.Sprintf("Created webhook %q (%s). Its signing secret is shown once:", w.Name, w.ID))
			})
		},
	}
	cmd.Flags().StringVar(&in.URL, "url", "", "where events are POSTed, http or https (required)")
	cmd.Flags().StringSliceVar(&in.EventTypes, "events", nil, "event types to receive, comma-separated (required)")
	cmd.Flags().StringVar(&account, "account", "", "only events about this system account (name or id)")
	cmd.Flags().BoolVar(&in.Disabled, "disabled", false, "create it disabled")
	_ = cmd.RegisterFlagCompletionFunc("events", cobra.FixedCompletions(webhookEvents, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("account", a.completeAccounts)
	return cmd
}

func (a *app) hookUpdate() *cobra.Command {
	var name, url, account string
	var events []string
	var enabled, allAccounts bool
	cmd := &cobra.Command{
		Use:   "update WEBHOOK",
		Short: "Change a webhook destination's name, URL, events, account or whether it is enabled",
		Example: `  keyhold webhooks update alerts --events token.expiring,token.expired,token.revoked
  keyhold webhooks update alerts --enabled=false
  keyhold webhooks update vault --all-accounts`,
		Args: cobra.ExactArgs(1),
		RunE: a.run(on((*call).webhook, func(x *call, w *client.Webhook) error {
			fields := map[string]any{}
			f := x.cmd.Flags()
			if f.Changed("name") {
				fields["name"] = name
			}
			if f.Changed("url") {
				fields["url"] = url
			}
			if f.Changed("events") {
				fields["event_types"] = events
			}
			if f.Changed("enabled") {
				fields["enabled"] = enabled
			}
			switch {
			case allAccounts && account != "":
				return usageErrorf("--account and --all-accounts exclude each other")
			case allAccounts:
				fields["system_account_id"] = nil
			case account != "":
				s, err := x.account(account)
				if err != nil {
					return err
				}
				fields["system_account_id"] = s.ID
			}
			if len(fields) == 0 {
				return usageErrorf("nothing to change; give at least one of --name, --url, --events, --account, --all-accounts, --enabled")
			}
			w, err := x.c.UpdateWebhook(x.ctx, w.ID, fields)
			if err != nil {
				return err
			}
			return a.print(a.webhooksView([]client.Webhook{*w}, w))
		})),
	}
	cmd.Flags().StringVar(&name, "name", "", "new name")
	cmd.Flags().StringVar(&url, "url", "", "new URL")
	cmd.Flags().StringSliceVar(&events, "events", nil, "the event types to receive, replacing the current ones")
	cmd.Flags().StringVar(&account, "account", "", "only events about this system account (name or id)")
	cmd.Flags().BoolVar(&allAccounts, "all-accounts", false, "remove the account filter")
	cmd.Flags().BoolVar(&enabled, "enabled", true, "enable or disable the destination")
	_ = cmd.RegisterFlagCompletionFunc("events", cobra.FixedCompletions(webhookEvents, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("account", a.completeAccounts)
	return cmd
}

func (a *app) hookDelete() *cobra.Command {
	return &cobra.Command{
		Use:     "delete WEBHOOK",
		Short:   "Delete a webhook destination and its delivery log",
		Example: "  keyhold webhooks delete alerts",
		Args:    cobra.ExactArgs(1),
		RunE: a.run(on((*call).webhook, func(x *call, w *client.Webhook) error {
			if err := x.c.DeleteWebhook(x.ctx, w.ID); err != nil {
				return err
			}
			a.done("Deleted webhook %q (%s).", w.Name, w.ID)
			return nil
		})),
	}
}

func (a *app) hookRotateSecret() *cobra.Command {
	return &cobra.Command{
		Use:     "rotate-secret WEBHOOK",
		Short:   "Give a webhook destination a new signing secret and print it once",
		Example: "  keyhold webhooks rotate-secret alerts\n  keyhold webhooks rotate-secret alerts -q > alerts.secret",
		Args:    cobra.ExactArgs(1),
		RunE: a.run(on((*call).webhook, func(x *call, w *client.Webhook) error {
			ws, err := x.c.RotateWebhookSecret(x.ctx, w.ID)
			if err != nil {
				return err
			}
			return a.printSecret(ws, ws.Secret, fmt.Sprintf("New signing secret of webhook %q (%s), shown once; the old one no longer signs:", ws.Name, ws.ID))
		})),
	}
}

func (a *app) hookTest() *cobra.Command {
	return &cobra.Command{
		Use:     "test WEBHOOK",
		Short:   "Queue a webhook.test event for a destination",
		Example: "  keyhold webhooks test alerts && keyhold webhooks deliveries alerts --limit 1",
		Args:    cobra.ExactArgs(1),
		RunE: a.run(on((*call).webhook, func(x *call, w *client.Webhook) error {
			d, err := x.c.TestWebhook(x.ctx, w.ID)
			if err != nil {
				return err
			}
			return a.print(a.deliveriesView([]client.WebhookDelivery{*d}, d))
		})),
	}
}

func (a *app) hookDeliveries() *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:     "deliveries WEBHOOK",
		Short:   "Show a destination's delivery log, newest first",
		Example: "  keyhold webhooks deliveries alerts\n  keyhold webhooks deliveries alerts --limit 5 -o json",
		Args:    cobra.ExactArgs(1),
		RunE: a.run(on((*call).webhook, func(x *call, w *client.Webhook) error {
			list, err := x.c.ListWebhookDeliveries(x.ctx, w.ID, client.ListOptions{Limit: limit})
			if err != nil {
				return err
			}
			return a.print(a.deliveriesView(list, list))
		})),
	}
	cmd.Flags().IntVar(&limit, "limit", 0, "list at most this many (0: all)")
	return cmd
}

func (a *app) hookRedeliver() *cobra.Command {
	return &cobra.Command{
		Use:     "redeliver WEBHOOK DELIVERY_ID",
		Short:   "Send a delivered or failed delivery again, with fresh attempts",
		Example: "  keyhold webhooks redeliver alerts 7c0e…",
		Args:    cobra.ExactArgs(2),
		RunE: a.run(on((*call).webhook, func(x *call, w *client.Webhook) error {
			d, err := x.c.RedeliverWebhook(x.ctx, w.ID, x.args[1])
			if err != nil {
				return err
			}
			return a.print(a.deliveriesView([]client.WebhookDelivery{*d}, d))
		})),
	}
}
