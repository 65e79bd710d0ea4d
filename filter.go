package keyhold

import "time"

// Paging limits of every list.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// Page selects one page of a list; Number is 1-based.
type Page struct {
	Number int
	Size   int
}

// Offset returns the number of items before the page.
func (p Page) Offset() int { return (p.Number - 1) * p.Size }

// List is one page of results and the total number of matching items.
type List[T any] struct {
	Items []T
	Total int
	Page  Page
}

// String filter operators.
const (
	OpEq       = "eq"
	OpContains = "contains"
	OpExists   = "exists"
)

// StringFilter matches a string field exactly (eq) or by a case-insensitive
// substring (contains).
type StringFilter struct {
	Op    string
	Value string
}

// SystemAccountFilter selects system accounts.
type SystemAccountFilter struct {
	Name           *StringFilter
	Description    *StringFilter
	KonnectManaged *bool
	Disabled       *bool
	// The token conditions match an account by one of its working tokens
	// (keyhold.Token.Usable at Now): TokensExpiringBefore, one that
	// expires at or before that time; TokensUnusedSince, one never used or
	// last used before that time. Now is the moment "working" is judged
	// at; the service sets it, and a condition without it is refused.
	TokensExpiringBefore *time.Time
	TokensUnusedSince    *time.Time
	Now                  time.Time
	Page                 Page
}

// TokenFilter selects the tokens of one owner.
type TokenFilter struct {
	Owner Ref
	Kind  TokenKind
	Name  *StringFilter
	Page  Page
}

// TeamFilter selects teams.
type TeamFilter struct {
	Name   *StringFilter
	Labels []LabelFilter
	// ByName orders custom teams before system teams, each by name with
	// lower case, then by id; otherwise oldest first.
	ByName bool
	Page   Page
}

// LabelFilter matches a team label: eq, contains or exists.
type LabelFilter struct {
	Key   string
	Op    string
	Value string
}

// UserFilter selects users.
type UserFilter struct {
	ID       *string
	Email    *StringFilter
	FullName *StringFilter
	Active   *bool
	Page     Page
}

// AssignedRoleFilter selects the role assignments of one principal.
type AssignedRoleFilter struct {
	EntityID       *string
	RoleName       *string
	EntityTypeName *string
}

// AuditFilter selects audit events, newest first. IDs and the outcome
// match exactly; the names match by eq or contains, where contains folds
// ASCII letters only, so that SQLite and PostgreSQL agree.
type AuditFilter struct {
	ActorID   *string
	SubjectID *string
	// Involving selects a principal's history: the events whose actor or
	// subject it is.
	Involving  *string
	ActorName  *StringFilter
	Action     *StringFilter
	TargetID   *string
	TargetType *StringFilter
	Outcome    *string
	// CredentialID and CredentialFingerprint select the events of one
	// credential: a token's id, or the fingerprint (TokenFingerprint) that
	// whoever holds its value can compute.
	CredentialID          *string
	CredentialFingerprint *string
	Since                 *time.Time // inclusive
	Until                 *time.Time // exclusive
	Page                  Page
}

// EmptyWindow reports whether the filter's time window ends before, or
// when, it starts: it can match nothing, and every reader refuses it
// rather than answer an empty page.
func (f *AuditFilter) EmptyWindow() bool {
	return f.Since != nil && f.Until != nil && !f.Until.After(*f.Since)
}
