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
)

var codeStatus = map[string]int{
	keyhold.EINVALID:         http.StatusBadRequest,
	keyhold.EUNAUTHENTICATED: http.StatusUnauthorized,
	keyhold.EFORBIDDEN:       http.StatusForbidden,
	keyhold.ENOTFOUND:        http.StatusNotFound,
	keyhold.ECONFLICT:        http.StatusConflict,
	keyhold.ETOOLARGE:        http.StatusRequestEntityTooLarge,
	keyhold.ERATELIMITED:     http.StatusTooManyRequests,
	keyhold.EUNAVAILABLE:     http.StatusServiceUnavailable,
	keyhold.EINTERNAL:        http.StatusInternalServerError,
}

var statusTitle = map[int]string{
	http.StatusBadRequest:                  "Bad Request",
	http.StatusUnauthorized:                "Unauthenticated",
	http.StatusForbidden:                   "Forbidden",
	http.StatusNotFound:                    "Not Found",
	http.StatusMethodNotAllowed:            "Method Not Allowed",
	http.StatusConflict:                    "Conflict",
	http.StatusRequestEntityTooLarge:       "Request Entity Too Large",
	http.StatusUnsupportedMediaType:        "Unsupported Media Type",
	http.StatusTooManyRequests:             "Rate Limited",
	http.StatusRequestHeaderFieldsTooLarge: "Request Header Fields Too Large",
	http.StatusInternalServerError:         "Internal Server Error",
	http.StatusServiceUnavailable:          "Service Unavailable",
}

// problem is Konnect's problem+json body.
type problem struct {
	Status            int            `json:"status"`
	Title             string         `json:"title"`
	Type              string         `json:"type"`
	Instance          string         `json:"instance"`
	Detail            string         `json:"detail"`
	InvalidParameters []invalidParam `json:"invalid_parameters,omitempty"`
}

// invalidParam is one invalid_parameters item; its optional keys make it
// the standard, min, max or choice shape that Kong's SDK decodes.
type invalidParam struct {
	Field   string   `json:"field"`
	Reason  string   `json:"reason"`
	Rule    string   `json:"rule,omitempty"`
	Source  string   `json:"source,omitempty"`
	Minimum *int64   `json:"minimum,omitempty"`
	Maximum *int64   `json:"maximum,omitempty"`
	Choices []string `json:"choices,omitempty"`
}

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
	status, detail := statusOf(code), keyhold.ErrorMessage(err)
	var se *statusError
	if errors.As(err, &se) {
		status, detail = se.status, se.msg
	} else if code == keyhold.EINTERNAL {
		logger(r.Context()).Error("internal error", "err", err)
	}
	p := problem{Status: status, Title: statusTitle[status], Type: fmt.Sprintf("https://httpstatuses.com/%d", status),
		Instance: "keyhold:trace:" + requestID(r.Context()), Detail: detail}
	if status == http.StatusBadRequest {
		p.InvalidParameters = []invalidParam{}
		for _, f := range keyhold.ErrorFields(err) {
			p.InvalidParameters = append(p.InvalidParameters, invalidParam{Field: f.Field, Reason: f.Reason, Rule: f.Rule,
				Source: f.Source, Minimum: f.Minimum, Maximum: f.Maximum, Choices: f.Choices})
		}
		if len(p.InvalidParameters) == 0 { // Konnect requires at least one item on a 400
			reason := p.Detail
			if reason == "" {
				reason = "request format is invalid"
			}
			p.InvalidParameters = append(p.InvalidParameters, invalidParam{Field: "body", Reason: reason})
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

// statusOf is the HTTP status of an error code.
func statusOf(code string) int {
	if status := codeStatus[code]; status != 0 {
		return status
	}
	return http.StatusInternalServerError
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
