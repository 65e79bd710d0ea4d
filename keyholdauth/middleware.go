package keyholdauth

import "net/http"

// Middleware returns a handler that calls next only for requests that
// keyhold allows, with their Principal in the request's context (see
// FromContext). Other requests are refused by Config.OnError, or by
// WriteError: without an Authorization header, 401 without asking keyhold;
// keyhold's 401 or 403 as received; 502 when keyhold is unreachable or
// answers unexpectedly. The permission checked is Config.Permission's.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var client string
		if a.clientIP != nil {
			client = a.clientIP(r)
		}
		p, err := a.CheckFrom(r.Context(), authorization(r), client, a.permissionOf(r))
		if err != nil {
			a.refuse(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), p)))
	})
}

// authorization returns the request's one Authorization header. A request
// with several is refused like one with none: keyhold would judge only
// one of them, and the handler behind might read another.
func authorization(r *http.Request) string {
	if v := r.Header.Values("Authorization"); len(v) == 1 {
		return v[0]
	}
	return ""
}

func (a *Authenticator) permissionOf(r *http.Request) *Permission {
	if a.permission == nil {
		return nil
	}
	return a.permission(r)
}

// refuse writes the refusal with OnError, falling back on WriteError when
// OnError wrote nothing, so that a refusal is never an empty 200.
func (a *Authenticator) refuse(w http.ResponseWriter, r *http.Request, err error) {
	if a.onError == nil {
		WriteError(w, r, err)
		return
	}
	tw := &trackingWriter{ResponseWriter: w}
	a.onError(tw, r, err)
	if !tw.wrote {
		WriteError(w, r, err)
	}
}

// trackingWriter records whether a response was started.
type trackingWriter struct {
	http.ResponseWriter
	wrote bool
}

func (t *trackingWriter) WriteHeader(status int) {
	if status >= 200 { // 1xx answers are informational
		t.wrote = true
	}
	t.ResponseWriter.WriteHeader(status)
}

func (t *trackingWriter) Write(b []byte) (int, error) {
	t.wrote = true
	return t.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (t *trackingWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }
