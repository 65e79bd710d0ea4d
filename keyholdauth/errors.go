package keyholdauth

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
)

// Errors that Check returns, for errors.Is.
var (
	// ErrUnauthenticated: no, bad, expired or deleted credentials (401).
	ErrUnauthenticated = errors.New("keyholdauth: unauthenticated")
	// ErrForbidden: the principal does not hold the permission (403).
	ErrForbidden = errors.New("keyholdauth: forbidden")
	// ErrInvalidPermission: keyhold does not know the permission's role,
	// entity type or region (400); the service is misconfigured.
	ErrInvalidPermission = errors.New("keyholdauth: invalid permission")
	// ErrUnavailable: keyhold could not be reached, or gave an answer
	// other than a decision. The request must be refused.
	ErrUnavailable = errors.New("keyholdauth: keyhold unavailable")
)

// Error is a refusal decided by keyhold, or by this package when the
// request carries no usable Authorization header. It wraps
// ErrUnauthenticated, ErrForbidden or ErrInvalidPermission, by Status.
type Error struct {
	// Status is keyhold's answer: 401, 403 or 400.
	Status int
	// Detail is the detail of keyhold's problem, such as why a request is
	// forbidden.
	Detail string
	// Problem is keyhold's application/problem+json body, as received.
	Problem []byte

	challenge string // keyhold's WWW-Authenticate, on a 401
}

// Error implements error.
func (e *Error) Error() string {
	msg := e.Unwrap().Error()
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// Unwrap returns the sentinel that matches Status.
func (e *Error) Unwrap() error {
	switch e.Status {
	case http.StatusUnauthorized:
		return ErrUnauthenticated
	case http.StatusForbidden:
		return ErrForbidden
	default:
		return ErrInvalidPermission
	}
}

// Refusals decided locally, without asking keyhold.
var (
	errMissing   = localError(http.StatusUnauthorized, "Missing Authorization header")
	errMalformed = localError(http.StatusUnauthorized, "Malformed Authorization header")
)

// problem is the problem+json shape keyhold writes (RFC 9457, as Konnect
// uses it).
type problem struct {
	Status   int    `json:"status"`
	Title    string `json:"title"`
	Type     string `json:"type,omitempty"`
	Instance string `json:"instance,omitempty"`
	Detail   string `json:"detail"`
}

func localError(status int, detail string) *Error {
	return &Error{Status: status, Detail: detail, Problem: problemBody(status, detail)}
}

func problemBody(status int, detail string) []byte {
	title := http.StatusText(status)
	if status == http.StatusUnauthorized {
		title = "Unauthenticated" // keyhold's and Konnect's title
	}
	b, _ := json.Marshal(problem{Status: status, Title: title, Type: "https://httpstatuses.com/" + strconv.Itoa(status), Detail: detail})
	return append(b, '\n')
}

// Bodies of the refusals that are not keyhold's to explain. They carry
// no internal error text.
var (
	unavailableBody   = problemBody(http.StatusBadGateway, "The authorization service is unavailable")
	misconfiguredBody = problemBody(http.StatusInternalServerError, "The service's permission is misconfigured")
)

// defaultChallenge is keyhold's WWW-Authenticate, used on local 401s.
const defaultChallenge = `Bearer realm="keyhold", Basic realm="keyhold"`

// WriteError writes the response for a refused request: keyhold's 401 or
// 403 as received, 500 for ErrInvalidPermission, and 502 for anything
// else. Bodies are application/problem+json. It is the default of
// Config.OnError, which may call it after logging.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	var e *Error
	switch {
	case errors.As(err, &e) && (e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden):
		if e.Status == http.StatusUnauthorized {
			c := e.challenge
			if c == "" {
				c = defaultChallenge
			}
			h.Set("WWW-Authenticate", c)
		}
		w.WriteHeader(e.Status)
		_, _ = w.Write(e.Problem)
	case errors.Is(err, ErrInvalidPermission):
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write(misconfiguredBody)
	default:
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write(unavailableBody)
	}
}
