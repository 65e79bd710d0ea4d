package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/keyhold/keyhold"
)

// Exit codes, documented in docs/cli.md.
const (
	ExitOK       = 0 // success
	ExitFailure  = 1 // a server error, a network error, anything else
	ExitUsage    = 2 // bad flags or arguments, input the server refused (400), an ambiguous name
	ExitAuth     = 3 // no server or token configured, token refused (401) or not allowed (403)
	ExitNotFound = 4 // the account, team, user, token or role does not exist (404)
	ExitConflict = 5 // the name or membership already exists, or the state forbids it (409)
)

// ExitError is an error with the process exit code it calls for.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

func usageErr(err error) error { return &ExitError{Code: ExitUsage, Err: err} }

func usageErrorf(format string, args ...any) error {
	return usageErr(fmt.Errorf(format, args...))
}

func notFoundf(format string, args ...any) error {
	return &ExitError{Code: ExitNotFound, Err: fmt.Errorf(format, args...)}
}

// errNoServer is the one-line hint for a command run before any login.
var errNoServer = &ExitError{Code: ExitAuth, Err: errors.New(`no server configured; run "keyhold login --server URL"`)}

// codeExit is the exit code of each error code an API answer can carry;
// any other is ExitFailure.
var codeExit = map[string]int{
	keyhold.EINVALID:         ExitUsage,
	keyhold.ETOOLARGE:        ExitUsage,
	keyhold.EUNAUTHENTICATED: ExitAuth,
	keyhold.EFORBIDDEN:       ExitAuth,
	keyhold.ENOTFOUND:        ExitNotFound,
	keyhold.ECONFLICT:        ExitConflict,
}

// classify gives an error its exit code.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return err
	}
	code, ok := codeExit[keyhold.ErrorCode(err)]
	if !ok {
		code = ExitFailure
	}
	return &ExitError{Code: code, Err: err}
}

// ExitCode returns the exit code err calls for: an *ExitError's own code,
// ExitUsage for cobra's unknown commands, otherwise ExitFailure.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	if strings.HasPrefix(err.Error(), "unknown command") || strings.HasPrefix(err.Error(), "unknown flag") {
		return ExitUsage
	}
	return ExitFailure
}

// PrintError writes err readably: one line, and for an API problem its
// invalid parameters one per line, with a hint where one helps. The
// client's message of a problem already names its title, status, detail
// and request id. A failed write is ignored: this is the last word of a
// failing command, and there is nowhere else to say it.
func PrintError(w io.Writer, err error) {
	w = escaper{w}
	var ke *keyhold.Error
	if !errors.As(err, &ke) {
		_, _ = fmt.Fprintf(w, "keyhold: %s\n", clean(err.Error()))
		if ExitCode(err) == ExitUsage && strings.HasPrefix(err.Error(), "unknown") {
			_, _ = fmt.Fprintln(w, `Run "keyhold --help" for usage.`)
		}
		return
	}
	msg := ke.Message
	if msg == "" {
		msg = ke.Code
	}
	_, _ = fmt.Fprintf(w, "keyhold: %s\n", clean(msg))
	for _, f := range ke.Fields {
		_, _ = fmt.Fprintf(w, "  %s: %s\n", clean(f.Field), clean(f.Reason))
	}
	if ke.Code == keyhold.EUNAUTHENTICATED {
		_, _ = fmt.Fprintln(w, `The server refused the token; run "keyhold login" again.`)
	}
}
