package keyhold

import "time"

// RoleQuery asks for a role on an entity, by name, as a gateway or a
// service sends it: "may this token do this?".
type RoleQuery struct {
	RoleName       string
	EntityTypeName string
	EntityID       string
	EntityRegion   string
}

// Query is a RoleQuery resolved against the catalogue by the decider; a
// nil *Query asks only whether the token is valid. EntityID matches grants
// in any case.
type Query struct {
	Role     RoleID
	EntityID string
	Region   string
	// AnyRegion accepts a grant in any region; keyhold's own policy uses it
	// for global entity types such as Identity.
	AnyRegion bool
}

// DecisionOutcome is how a decision ended.
type DecisionOutcome int

// Outcomes of a decision.
const (
	// DecisionUnauthenticated: a missing, malformed, unknown, expired or
	// revoked token.
	DecisionUnauthenticated DecisionOutcome = iota
	DecisionAllowed
	// DecisionForbidden: a valid token whose principal lacks the role, or
	// that is used from outside its networks.
	DecisionForbidden
	// DecisionRateLimited: the client address failed too often.
	DecisionRateLimited
)

// String names the outcome, for metrics and logs.
func (o DecisionOutcome) String() string {
	return [...]string{"unauthenticated", "allowed", "forbidden", "rate_limited"}[o]
}

// Decision is the verdict on one use of a token, as the transports render
// it.
type Decision struct {
	Outcome DecisionOutcome
	Reason  string
	// Principal is the token's owner, with TokenID; set unless the outcome
	// is DecisionUnauthenticated.
	Principal Principal
	IssuedAt  int64 // unix seconds
	ExpiresAt int64 // unix seconds; 0 never
	// RetryAfter is set with DecisionRateLimited.
	RetryAfter time.Duration
}
