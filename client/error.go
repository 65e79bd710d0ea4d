package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Error is an API problem (application/problem+json) answered by the server.
type Error struct {
	Status            int                `json:"status"`
	Title             string             `json:"title"`
	Detail            string             `json:"detail"`
	Instance          string             `json:"instance"`
	InvalidParameters []InvalidParameter `json:"invalid_parameters,omitempty"`
	// Method and Path name the request that failed.
	Method string `json:"-"`
	Path   string `json:"-"`
}

// InvalidParameter is one entry of a 400 problem's invalid_parameters.
type InvalidParameter struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
	Rule   string `json:"rule,omitempty"`
	Source string `json:"source,omitempty"`
}

// Error renders the problem on one line.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Title)
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	for _, p := range e.InvalidParameters {
		fmt.Fprintf(&b, "; %s %s", p.Field, p.Reason)
	}
	return b.String()
}

// decodeError turns a non-2xx response into an *Error, whatever its body.
func decodeError(method, path string, status int, raw []byte) error {
	e := &Error{}
	if json.Unmarshal(raw, e) != nil || e.Title == "" {
		e = &Error{Title: http.StatusText(status)}
	}
	e.Status, e.Method, e.Path = status, method, path
	return e
}

// StatusOf returns the HTTP status of an *Error in err's chain, or 0.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// IsNotFound reports whether err is a 404 problem.
func IsNotFound(err error) bool { return StatusOf(err) == http.StatusNotFound }
