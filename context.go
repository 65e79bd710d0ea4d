package keyhold

import "context"

type ctxKey int

const (
	principalKey ctxKey = iota
	requestKey
)

// RequestInfo is what the transport knows about the request behind a call;
// the audit trail records it.
type RequestInfo struct {
	RequestID string
	ClientIP  string
	UserAgent string
}

// NewContextWithPrincipal returns ctx carrying the authenticated principal.
func NewContextWithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey, p)
}

// PrincipalFromContext returns the principal of ctx, or nil.
func PrincipalFromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey).(*Principal)
	return p
}

// NewContextWithRequest returns ctx carrying request information.
func NewContextWithRequest(ctx context.Context, ri RequestInfo) context.Context {
	return context.WithValue(ctx, requestKey, ri)
}

// RequestFromContext returns the request information of ctx.
func RequestFromContext(ctx context.Context) RequestInfo {
	ri, _ := ctx.Value(requestKey).(RequestInfo)
	return ri
}
