package keyhold

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. Each maps to one HTTP status in httpapi; nothing else in the
// domain knows about HTTP.
const (
	EINVALID         = "invalid"         // 400
	EUNAUTHENTICATED = "unauthenticated" // 401
	EFORBIDDEN       = "forbidden"       // 403
	ENOTFOUND        = "not_found"       // 404
	ECONFLICT        = "conflict"        // 409
	ETOOLARGE        = "too_large"       // 413
	ERATELIMITED     = "rate_limited"    // 429
	EUNAVAILABLE     = "unavailable"     // 503
	EINTERNAL        = "internal"        // 500
)

// Error is the one error type that crosses package boundaries with a meaning
// the client may see. Any other error is internal: it is logged, never shown.
type Error struct {
	Code    string
	Message string
	// Fields describes which inputs were invalid; only meaningful with EINVALID.
	Fields []FieldError
	// RetryAfter tells a rate-limited client when to try again.
	RetryAfter time.Duration
}

// FieldError names one invalid input and why, in the shapes Konnect's
// invalid_parameters items take (standard, min, max, choice).
type FieldError struct {
	Field   string
	Reason  string
	Rule    string   // optional: "required", "is_uuid", "max_length", "enum", ...
	Minimum *int64   // set with a min_* rule
	Maximum *int64   // set with a max_* rule
	Choices []string // set with rule "enum"
	Source  string   // optional: "body", "query", "path"
}

// Error implements the error interface.
func (e *Error) Error() string {
	if len(e.Fields) > 0 {
		return fmt.Sprintf("keyhold: %s: %s (%s: %s)", e.Code, e.Message, e.Fields[0].Field, e.Fields[0].Reason)
	}
	return fmt.Sprintf("keyhold: %s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error about the given fields.
func Invalid(fields ...FieldError) *Error {
	return &Error{Code: EINVALID, Message: "", Fields: fields}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the client-safe message of err: the message of an
// *Error, or a generic text for anything internal.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// ErrorFields returns the field errors of the first *Error in err's chain.
func ErrorFields(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// Int64 returns a pointer to v; a convenience for FieldError bounds.
func Int64(v int64) *int64 { return &v }
