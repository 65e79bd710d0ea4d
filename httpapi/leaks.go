package httpapi

import (
	"context"
	"net/http"

	"github.com/keyhold/keyhold/wire"
)

// LeakReporter revokes leaked tokens.
type LeakReporter interface {
	ReportLeak(ctx context.Context, values []string, source string) (received, revoked int, err error)
}

// reportLeak serves POST /v1/leak-reports: token values found by secret
// scanning. Holding a token is proof enough to kill it, so no credentials
// are needed; the answer counts, and names no token.
func (s *Server) reportLeak(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	var values []string
	o.get("tokens", true, &values, "is_array", "must be an array of token values")
	source := o.str("source", false)
	if err := o.err(); err != nil {
		return err
	}
	received, revoked, err := s.leaks.ReportLeak(r.Context(), values, deref(source))
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, wire.LeakReport{Received: received, Revoked: revoked})
	return nil
}
