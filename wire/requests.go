package wire

import "time"

// The bodies of requests. The server reads its bodies field by field, so
// that each wrong type, missing field or unknown property is named in the
// answer; these declare the same keys for the clients that send them.
// Bodies in which null and absent differ (a token's expires_at) are built
// as maps by the client instead.

// SystemAccountCreate is the body of a system account create.
type SystemAccountCreate struct {
	Name           string `json:"name"`
	Description    string `json:"description"`
	KonnectManaged bool   `json:"konnect_managed,omitempty"`
	// CreateTeam also creates a team named after the account, with it as member.
	CreateTeam bool `json:"create_team,omitempty"`
}

// SystemAccountUpdate changes the fields that are not nil.
type SystemAccountUpdate struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
}

// TokenRotate tunes a rotation; zero fields take the server's defaults.
type TokenRotate struct {
	OverlapSeconds        *int64     `json:"overlap_seconds,omitempty"`
	RevokeWhenIdleSeconds *int64     `json:"revoke_when_idle_seconds,omitempty"`
	ExpiresAt             *time.Time `json:"expires_at,omitempty"`
}

// TeamCreate is the body of a team create.
type TeamCreate struct {
	Name        string            `json:"name"`
	Description *string           `json:"description,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
}

// TeamUpdate changes the fields that are set. A label whose value is nil
// is removed.
type TeamUpdate struct {
	Name        *string            `json:"name,omitempty"`
	Description *string            `json:"description,omitempty"`
	Labels      map[string]*string `json:"labels,omitempty"`
}

// UserCreate is the body of keyhold's user create.
type UserCreate struct {
	Email         string `json:"email"`
	FullName      string `json:"full_name,omitempty"`
	PreferredName string `json:"preferred_name,omitempty"`
	Password      string `json:"password,omitempty"`
}

// UserUpdate changes the fields that are not nil.
type UserUpdate struct {
	FullName      *string `json:"full_name,omitempty"`
	PreferredName *string `json:"preferred_name,omitempty"`
}
