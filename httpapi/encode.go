package httpapi

import (
	"net/netip"
	"time"

	"github.com/keyhold/keyhold"
)

// The JSON shapes of Konnect's Identity API v3, built from domain types.

type pageMeta struct {
	Number int `json:"number"`
	Size   int `json:"size"`
	Total  int `json:"total"`
}

type listMeta struct {
	Page pageMeta `json:"page"`
}

type listBody[T any] struct {
	Meta listMeta `json:"meta"`
	Data []T      `json:"data"`
}

func pageOf[D, T any](l *keyhold.List[D], conv func(D) T) listBody[T] {
	out := listBody[T]{Meta: listMeta{Page: pageMeta{Number: l.Page.Number, Size: l.Page.Size, Total: l.Total}}, Data: make([]T, 0, len(l.Items))}
	for _, it := range l.Items {
		out.Data = append(out.Data, conv(it))
	}
	return out
}

type systemAccountJSON struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	Description    string `json:"description"`
	KonnectManaged bool   `json:"konnect_managed"`
	// Disabled is keyhold's extension; Konnect's schema allows more fields.
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func systemAccountOut(a *keyhold.SystemAccount) systemAccountJSON {
	return systemAccountJSON{ID: a.ID, Name: a.Name, Description: a.Description, KonnectManaged: a.KonnectManaged, Disabled: a.Disabled, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
}

type accessTokenJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	// keyhold extensions; Konnect's token schema allows more fields.
	State             string       `json:"state"`
	LastUsedIP        string       `json:"last_used_ip,omitempty"`
	LastUsedUserAgent string       `json:"last_used_user_agent,omitempty"`
	PredecessorID     *string      `json:"predecessor_id,omitempty"`
	SuccessorID       *string      `json:"successor_id,omitempty"`
	RotationDeadline  *time.Time   `json:"rotation_deadline,omitempty"`
	Scope             []permission `json:"scope,omitempty"`
	AllowedCIDRs      []string     `json:"allowed_cidrs,omitempty"`
	AutoRotate        bool         `json:"auto_rotate"`
}

type accessTokenCreatedJSON struct {
	accessTokenJSON
	Token string `json:"token"`
}

// accessTokenOut renders a system-account token with its state at now.
func accessTokenOut(now time.Time) func(t *keyhold.Token) accessTokenJSON {
	return func(t *keyhold.Token) accessTokenJSON {
		return accessTokenJSON{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt, ExpiresAt: t.ExpiresAt,
			State: t.State(now), LastUsedAt: t.LastUsedAt, LastUsedIP: t.LastUsedIP, LastUsedUserAgent: t.LastUsedUserAgent,
			PredecessorID: t.PredecessorID, SuccessorID: t.SuccessorID, RotationDeadline: t.RotationDeadline,
			Scope: scopeOut(t.Scope), AllowedCIDRs: cidrsOut(t.AllowedCIDRs), AutoRotate: t.AutoRotate}
	}
}

func scopeOut(scope []keyhold.ScopeRole) []permission {
	if scope == nil {
		return nil
	}
	out := make([]permission, len(scope))
	for i, s := range scope {
		out[i] = permission(s)
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

type personalTokenJSON struct {
	ID         string     `json:"id"`
	UserID     string     `json:"user_id"`
	Name       string     `json:"name"`
	State      string     `json:"state"`
	RevokedBy  *string    `json:"revoked_by"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

type personalTokenCreatedJSON struct {
	personalTokenJSON
	KonnectToken string `json:"konnect_token"`
}

func personalTokenOut(now time.Time) func(t *keyhold.Token) personalTokenJSON {
	return func(t *keyhold.Token) personalTokenJSON {
		return personalTokenJSON{ID: t.ID, UserID: t.Owner.ID, Name: t.Name, State: t.State(now), RevokedBy: t.RevokedBy,
			CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt, LastUsedAt: t.LastUsedAt, ExpiresAt: t.ExpiresAt, RevokedAt: t.RevokedAt}
	}
}

type assignedRoleJSON struct {
	ID             string `json:"id"`
	RoleName       string `json:"role_name"`
	EntityID       string `json:"entity_id"`
	EntityTypeName string `json:"entity_type_name"`
	EntityRegion   string `json:"entity_region"`
}

func assignedRoleOut(r *keyhold.AssignedRole) assignedRoleJSON {
	return assignedRoleJSON{ID: r.ID, RoleName: r.RoleName, EntityID: r.EntityID, EntityTypeName: r.EntityTypeName, EntityRegion: r.EntityRegion}
}

func assignedRolesOut(rs []*keyhold.AssignedRole) listBody[assignedRoleJSON] {
	return pageOf(&keyhold.List[*keyhold.AssignedRole]{Items: rs, Total: len(rs), Page: keyhold.Page{Number: 1, Size: len(rs)}}, assignedRoleOut)
}

type teamJSON struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Description *string           `json:"description"`
	SystemTeam  bool              `json:"system_team"`
	Labels      map[string]string `json:"labels"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
}

func teamOut(t *keyhold.Team) teamJSON {
	labels := t.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	return teamJSON{ID: t.ID, Name: t.Name, Description: t.Description, SystemTeam: t.SystemTeam, Labels: labels, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

type userJSON struct {
	ID             string    `json:"id"`
	Email          string    `json:"email"`
	FullName       string    `json:"full_name"`
	PreferredName  string    `json:"preferred_name"`
	Active         bool      `json:"active"`
	InferredRegion string    `json:"inferred_region"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

func userOut(u *keyhold.User) userJSON {
	return userJSON{ID: u.ID, Email: u.Email, FullName: u.FullName, PreferredName: u.PreferredName, Active: u.Active,
		InferredRegion: u.InferredRegion, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

type organizationJSON struct {
	ID                  string    `json:"id"`
	Name                string    `json:"name"`
	OwnerID             string    `json:"owner_id"`
	LoginPath           string    `json:"login_path"`
	CreatedAt           time.Time `json:"created_at"`
	UpdatedAt           time.Time `json:"updated_at"`
	State               string    `json:"state"`
	RetentionPeriodDays int       `json:"retention_period_days"`
}

func organizationOut(o *keyhold.Organization) organizationJSON {
	return organizationJSON{ID: o.ID, Name: o.Name, OwnerID: o.OwnerID, LoginPath: o.LoginPath, CreatedAt: o.CreatedAt,
		UpdatedAt: o.UpdatedAt, State: o.State, RetentionPeriodDays: o.RetentionPeriodDays}
}

type auditEventJSON struct {
	ID         string    `json:"id"`
	OccurredAt time.Time `json:"occurred_at"`
	ActorType  string    `json:"actor_type"`
	ActorID    string    `json:"actor_id"`
	ActorName  string    `json:"actor_name"`
	Action     string    `json:"action"`
	TargetType string    `json:"target_type"`
	TargetID   string    `json:"target_id"`
	TargetName string    `json:"target_name"`
	Outcome    string    `json:"outcome"`
	RequestID  string    `json:"request_id"`
	ClientIP   string    `json:"client_ip"`
	UserAgent  string    `json:"user_agent"`
	Count      int       `json:"count"`
	Reason     string    `json:"reason"`
}

func auditEventOut(e *keyhold.AuditEvent) auditEventJSON {
	return auditEventJSON{ID: e.ID, OccurredAt: e.Time, ActorType: string(e.ActorType), ActorID: e.ActorID, ActorName: e.ActorName,
		Action: e.Action, TargetType: e.TargetType, TargetID: e.TargetID, TargetName: e.TargetName, Outcome: e.Outcome,
		RequestID: e.RequestID, ClientIP: e.ClientIP, UserAgent: e.UserAgent, Count: e.Count, Reason: e.Reason}
}

type whoamiJSON struct {
	PrincipalType string `json:"principal_type"`
	PrincipalID   string `json:"principal_id"`
	PrincipalName string `json:"principal_name"`
	TokenID       string `json:"token_id"`
	TokenType     string `json:"token_type"`
}
