package wire

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/keyhold/keyhold"
)

// TracePrefix starts a problem's instance; the request id follows it.
const TracePrefix = "keyhold:trace:"

// Problem is Konnect's problem+json body, the answer to every refused or
// failed request.
type Problem struct {
	Status            int                `json:"status"`
	Title             string             `json:"title"`
	Type              string             `json:"type"`
	Instance          string             `json:"instance"`
	Detail            string             `json:"detail"`
	InvalidParameters []InvalidParameter `json:"invalid_parameters,omitempty"`
}

// InvalidParameter is one invalid_parameters item; its optional keys make
// it the standard, min, max or choice shape that Kong's SDK decodes.
type InvalidParameter struct {
	Field   string   `json:"field"`
	Reason  string   `json:"reason"`
	Rule    string   `json:"rule,omitempty"`
	Source  string   `json:"source,omitempty"`
	Minimum *int64   `json:"minimum,omitempty"`
	Maximum *int64   `json:"maximum,omitempty"`
	Choices []string `json:"choices,omitempty"`
}

// codeStatus is the one table between the domain's error codes and HTTP
// statuses, read in both directions.
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

// StatusOf is the HTTP status of an error code; 500 for an unknown one.
func StatusOf(code string) int {
	if status := codeStatus[code]; status != 0 {
		return status
	}
	return http.StatusInternalServerError
}

// CodeOf is the error code of an HTTP status, the inverse of StatusOf;
// EINTERNAL for a status no code stands for (405, 415, 431, 502...).
func CodeOf(status int) string {
	for code, s := range codeStatus {
		if s == status {
			return code
		}
	}
	return keyhold.EINTERNAL
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

// Title is a problem's title for status, in Konnect's words; "" for a
// status keyhold never answers with.
func Title(status int) string { return statusTitle[status] }

// InvalidParameters renders field errors as invalid_parameters items.
func InvalidParameters(fields []keyhold.FieldError) []InvalidParameter {
	out := make([]InvalidParameter, len(fields))
	for i, f := range fields {
		out[i] = InvalidParameter{Field: f.Field, Reason: f.Reason, Rule: f.Rule, Source: f.Source,
			Minimum: f.Minimum, Maximum: f.Maximum, Choices: f.Choices}
	}
	return out
}

// Err is the domain error a problem stands for, as a client sees it: the
// code of its status, its invalid parameters as field errors, and a
// message that keeps what the code does not say, "Title (status): detail
// (request id)", so that the title and status the server chose and the
// request id to quote to its operators are not lost.
func (p *Problem) Err() *keyhold.Error {
	var msg strings.Builder
	msg.WriteString(p.Title + " (" + strconv.Itoa(p.Status) + ")")
	if p.Detail != "" {
		msg.WriteString(": " + p.Detail)
	}
	if id, ok := strings.CutPrefix(p.Instance, TracePrefix); ok && id != "" {
		msg.WriteString(" (request " + id + ")")
	}
	e := &keyhold.Error{Code: CodeOf(p.Status), Message: msg.String()}
	for _, ip := range p.InvalidParameters {
		e.Fields = append(e.Fields, keyhold.FieldError{Field: ip.Field, Reason: ip.Reason, Rule: ip.Rule,
			Minimum: ip.Minimum, Maximum: ip.Maximum, Choices: ip.Choices, Source: ip.Source})
	}
	return e
}
