package httpapi

import (
	"net/netip"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/wire"
)

// The JSON shapes of Konnect's Identity API v3 are declared in package
// wire; these functions fill them from domain types.

func pageOf[D, T any](l *keyhold.List[D], conv func(D) T) wire.List[T] {
	out := wire.List[T]{Meta: wire.ListMeta{Page: wire.PageMeta{Number: l.Page.Number, Size: l.Page.Size, Total: l.Total}}, Data: make([]T, 0, len(l.Items))}
	for _, it := range l.Items {
		out.Data = append(out.Data, conv(it))
	}
	return out
}

func systemAccountOut(a *keyhold.SystemAccount) wire.SystemAccount {
	return wire.SystemAccount{ID: a.ID, Name: a.Name, Description: a.Description, KonnectManaged: a.KonnectManaged, Disabled: a.Disabled, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
		UIDNumber: a.UIDNumber}
}

// accessTokenOut renders a system-account token with its state at now.
func accessTokenOut(now time.Time) func(t *keyhold.Token) wire.AccessToken {
	return func(t *keyhold.Token) wire.AccessToken {
		return wire.AccessToken{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt, ExpiresAt: t.ExpiresAt,
			State: t.State(now), LastUsedAt: t.LastUsedAt, LastUsedIP: t.LastUsedIP, LastUsedUserAgent: t.LastUsedUserAgent,
			PredecessorID: t.PredecessorID, SuccessorID: t.SuccessorID, RotationDeadline: t.RotationDeadline,
			Scope: scopeOut(t.Scope), AllowedCIDRs: cidrsOut(t.AllowedCIDRs), AutoRotate: t.AutoRotate,
			Intent: t.Intent}
	}
}

func expiringTokenOut(now time.Time) func(t *keyhold.OwnedToken) wire.ExpiringToken {
	return func(t *keyhold.OwnedToken) wire.ExpiringToken {
		return wire.ExpiringToken{AccessToken: accessTokenOut(now)(&t.Token), TokenType: string(t.Kind),
			OwnerType: string(t.Owner.Type), OwnerID: t.Owner.ID, OwnerName: t.OwnerName}
	}
}

func scopeOut(scope []keyhold.ScopeRole) []wire.Permission {
	if scope == nil {
		return nil
	}
	out := make([]wire.Permission, len(scope))
	for i, s := range scope {
		out[i] = wire.Permission(s)
	}
	return out
}

func cidrsOut(nets []netip.Prefix) []string {
	if nets == nil {
		return nil
	}
	out := make([]string, len(nets))
	for i, n := range nets {
		out[i] = n.String()
	}
	return out
}

func personalTokenOut(now time.Time) func(t *keyhold.Token) wire.PersonalAccessToken {
	return func(t *keyhold.Token) wire.PersonalAccessToken {
		return wire.PersonalAccessToken{ID: t.ID, UserID: t.Owner.ID, Name: t.Name, State: t.State(now), RevokedBy: t.RevokedBy,
			CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt, LastUsedAt: t.LastUsedAt, ExpiresAt: t.ExpiresAt, RevokedAt: t.RevokedAt}
	}
}

func assignedRoleOut(r *keyhold.AssignedRole) wire.AssignedRole {
	return wire.AssignedRole{ID: r.ID, RoleName: r.RoleName, EntityID: r.EntityID, EntityTypeName: r.EntityTypeName, EntityRegion: r.EntityRegion}
}

func assignedRolesOut(rs []*keyhold.AssignedRole) wire.List[wire.AssignedRole] {
	return pageOf(&keyhold.List[*keyhold.AssignedRole]{Items: rs, Total: len(rs), Page: keyhold.Page{Number: 1, Size: len(rs)}}, assignedRoleOut)
}

func teamOut(t *keyhold.Team) wire.Team {
	labels := t.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	return wire.Team{ID: t.ID, Name: t.Name, Description: t.Description, SystemTeam: t.SystemTeam, Labels: labels, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt,
		GIDNumber: t.GIDNumber}
}

func userOut(u *keyhold.User) wire.User {
	return wire.User{ID: u.ID, Email: u.Email, FullName: u.FullName, PreferredName: u.PreferredName, Active: u.Active,
		InferredRegion: u.InferredRegion, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, UIDNumber: u.UIDNumber}
}

func organizationOut(o *keyhold.Organization) wire.Organization {
	return wire.Organization{ID: o.ID, Name: o.Name, OwnerID: o.OwnerID, LoginPath: o.LoginPath, CreatedAt: o.CreatedAt,
		UpdatedAt: o.UpdatedAt, State: o.State, RetentionPeriodDays: o.RetentionPeriodDays}
}

func auditEventOut(e *keyhold.AuditEvent) wire.AuditEvent { return wire.AuditEventOf(e) }

func tokenPolicyOut(p *keyhold.TokenPolicy) wire.TokenPolicy {
	return wire.TokenPolicy{MaxLifetimeSeconds: int64(p.MaxLifetime / time.Second),
		DefaultLifetimeSeconds: int64(p.DefaultLifetime / time.Second), AllowNonExpiring: p.AllowNonExpiring}
}

func webhookOut(d *keyhold.WebhookDestination) wire.Webhook {
	out := wire.Webhook{ID: d.ID, Name: d.Name, URL: d.URL, EventTypes: d.EventTypes, Enabled: d.Enabled, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
	if d.SystemAccountID != "" {
		out.SystemAccountID = &d.SystemAccountID
	}
	return out
}

func deliveryOut(d *keyhold.WebhookDelivery) wire.WebhookDelivery {
	return wire.WebhookDelivery{ID: d.ID, WebhookID: d.DestinationID, EventID: d.EventID, EventType: d.EventType, Status: d.Status,
		Attempts: d.Attempts, LastHTTPStatus: d.LastStatus, LastError: d.LastError, ResponseExcerpt: d.ResponseExcerpt,
		NextAttemptAt: d.NextAttemptAt, DeliveredAt: d.DeliveredAt, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
}
