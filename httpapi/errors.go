package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/wire"
)

// statusError is a refusal of the HTTP layer that has no domain error
// code: a method the path does not serve (405), a body that is not JSON
// (415), request headers over the limit (431).
type statusError struct {
	status int
	msg    string
}

func (e *statusError) Error() string { return e.msg }

// writeError is the one place errors become responses. Internal errors are
// logged with the request id; the client sees only a generic message.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := keyhold.ErrorCode(err)
	status, detail := wire.StatusOf(code), keyhold.ErrorMessage(err)
	var se *statusError
	if errors.As(err, &se) {
		status, detail = se.status, se.msg
	} else if code == keyhold.EINTERNAL {
		logger(r.Context()).Error("internal error", "err", err)
	}
	p := wire.Problem{Status: status, Title: wire.Title(status), Type: fmt.Sprintf("https://httpstatuses.com/%d", status),
		Instance: wire.TracePrefix + requestID(r.Context()), Detail: detail}
	if status == http.StatusBadRequest {
		p.InvalidParameters = wire.InvalidParameters(keyhold.ErrorFields(err))
		if len(p.InvalidParameters) == 0 { // Konnect requires at least one item on a 400
			reason := p.Detail
			if reason == "" {
				reason = "request format is invalid"
			}
			p.InvalidParameters = append(p.InvalidParameters, wire.InvalidParameter{Field: "body", Reason: reason})
		}
	}
	var kerr *keyhold.Error
	if errors.As(err, &kerr) && kerr.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((kerr.RetryAfter+time.Second-1)/time.Second)))
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="keyhold", Basic realm="keyhold"`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(p); err != nil {
		logger(r.Context()).Debug("write error response", "err", err)
	}
}

// writeJSON writes a success body.
func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		logger(r.Context()).Debug("write response", "err", err)
	}
}

func logger(ctx interface{ Value(any) any }) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}
