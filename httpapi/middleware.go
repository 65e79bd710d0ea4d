package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/keyhold/keyhold"
)

type loggerKey struct{}
type requestIDKey struct{}
type stateKey struct{}

// requestState is filled in as the request passes the middleware, for the
// access log.
type requestState struct{ principal *keyhold.Principal }

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// statusWriter remembers the status for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// withRequest gives every request an id, a logger, its client address and
// user agent, a body limit, a header limit, panic recovery and one
// access-log line. The Authorization header is never logged.
func (s *Server) withRequest(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := newRequestID()
		ip := s.clients.Of(r)
		log := s.log.With("request_id", id)
		ctx := context.WithValue(r.Context(), requestIDKey{}, id)
		ctx = context.WithValue(ctx, loggerKey{}, log)
		st := &requestState{}
		ctx = context.WithValue(ctx, stateKey{}, st)
		ctx = keyhold.NewContextWithRequest(ctx, keyhold.RequestInfo{RequestID: id, ClientIP: ip, UserAgent: r.UserAgent()})
		r = r.WithContext(ctx)
		r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
		w.Header().Set("X-Request-Id", id)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(v)
				}
				writeError(sw, r, fmt.Errorf("panic: %v", v))
			}
			attrs := []any{"method", r.Method, "path", r.URL.Path, "status", sw.status, "duration_ms", time.Since(start).Milliseconds(), "client_ip", ip}
			if p := st.principal; p != nil {
				attrs = append(attrs, "principal_type", p.Type, "principal_id", p.ID)
			}
			log.LogAttrs(r.Context(), slog.LevelInfo, "request", argsToAttrs(attrs)...)
			s.observer.Request(r.Pattern, r.Method, sw.status, time.Since(start))
		}()
		if headerBytes(r) > s.maxHead {
			writeError(sw, r, &statusError{status: http.StatusRequestHeaderFieldsTooLarge,
				msg: fmt.Sprintf("The request line and headers are larger than %d bytes", s.maxHead)})
			return
		}
		next.ServeHTTP(sw, r)
	})
}

func argsToAttrs(args []any) []slog.Attr {
	out := make([]slog.Attr, 0, len(args)/2)
	for i := 0; i+1 < len(args); i += 2 {
		out = append(out, slog.Any(args[i].(string), args[i+1]))
	}
	return out
}

// credentials reads the Authorization header: Bearer, or Basic with an
// account name and a token.
func credentials(r *http.Request) keyhold.Credentials {
	h := r.Header.Get("Authorization")
	if scheme, rest, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
		return keyhold.Credentials{Bearer: strings.TrimSpace(rest)}
	}
	if user, pass, ok := r.BasicAuth(); ok {
		return keyhold.Credentials{BasicUser: user, BasicPass: pass}
	}
	return keyhold.Credentials{}
}

// guard authenticates the request of a route that needs credentials. It
// decides no permission: the service operation the handler calls checks
// its caller first, and audits a refused change. A read (GET) is asked of
// the service's table before its query is parsed, so that a caller who
// may not read learns nothing from the validation of its query.
func (s *Server) guard(rt route) http.Handler {
	h := rt.handler
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !rt.public {
			c := credentials(r)
			if rt.op == "RotateToken" { // an app password may rotate itself, and do nothing else
				c.Rotating = r.PathValue("tokenId")
			}
			p, err := s.svc.Auth.Authenticate(r.Context(), c)
			if err != nil {
				writeError(w, r, err)
				return
			}
			r = r.WithContext(keyhold.NewContextWithPrincipal(r.Context(), p))
			if st, ok := r.Context().Value(stateKey{}).(*requestState); ok {
				st.principal = p
			}
			if r.Method == http.MethodGet && rt.op != "" {
				if err := s.svc.Auth.May(r.Context(), rt.op, true); err != nil {
					writeError(w, r, err)
					return
				}
			}
		}
		if err := h(w, r); err != nil {
			writeError(w, r, err)
		}
	})
}
