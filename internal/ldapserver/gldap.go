package ldapserver

// The one file that knows the LDAP library: github.com/jimlambrt/gldap,
// patched in third_party/gldap (see its KEYHOLD.md) so that a handler sees
// its connection's remote address and TLS state, and so that a server
// serves a listener keyhold made. To use another library, replace this
// file: the rules in ldapserver.go and rootdse.go take plain values.

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"
	"github.com/jimlambrt/gldap"
	"github.com/keyhold/keyhold"
)

// endpoint is one listener's gldap server and its connections' sessions,
// keyed by gldap's connection id (which counts per server).
type endpoint struct {
	s           *Server
	gs          *gldap.Server
	implicitTLS bool

	mu       sync.Mutex
	sessions map[int]*session
}

func newEndpoint(s *Server, implicitTLS bool) (*endpoint, error) {
	e := &endpoint{s: s, implicitTLS: implicitTLS, sessions: map[int]*session{}}
	logger := hclog.New(&hclog.LoggerOptions{Name: "gldap", Level: hclog.Warn,
		Output: slogWriter{s.log}, DisableTime: true})
	gs, err := gldap.NewServer(gldap.WithLogger(logger), gldap.WithReadTimeout(s.cfg.IdleTimeout),
		gldap.WithOnClose(func(id int) {
			e.mu.Lock()
			delete(e.sessions, id)
			e.mu.Unlock()
		}))
	if err != nil {
		return nil, fmt.Errorf("ldapserver: %w", err)
	}
	mux, err := gldap.NewMux()
	if err != nil {
		return nil, fmt.Errorf("ldapserver: %w", err)
	}
	for _, err := range []error{
		mux.Bind(e.bind),
		mux.Search(e.search),
		mux.ExtendedOperation(e.startTLS, gldap.ExtendedOperationStartTLS),
		mux.ExtendedOperation(e.whoAmI, gldap.ExtendedOperationWhoAmI),
		mux.ExtendedOperation(e.passwordModify, gldap.ExtendedOperationPasswordModify),
		mux.Add(e.readOnly(gldap.ApplicationAddResponse)),
		mux.Modify(e.readOnly(gldap.ApplicationModifyResponse)),
		mux.Delete(e.readOnly(gldap.ApplicationDelResponse)),
		mux.Unbind(func(*gldap.ResponseWriter, *gldap.Request) {}),
		mux.DefaultRoute(e.other),
		gs.Router(mux),
	} {
		if err != nil {
			return nil, fmt.Errorf("ldapserver: %w", err)
		}
	}
	e.gs = gs
	return e, nil
}

func (e *endpoint) serve(ln net.Listener) error {
	var opts []gldap.Option
	if e.implicitTLS {
		opts = append(opts, gldap.WithTLSConfig(e.s.cfg.TLS))
	}
	if err := e.gs.Serve(ln, opts...); err != nil {
		return fmt.Errorf("ldapserver: %w", err)
	}
	return nil
}

func (e *endpoint) stop() error { return e.gs.Stop() }

func (e *endpoint) session(r *gldap.Request) *session {
	e.mu.Lock()
	defer e.mu.Unlock()
	ss, ok := e.sessions[r.ConnectionID()]
	if !ok {
		ss = &session{}
		e.sessions[r.ConnectionID()] = ss
	}
	return ss
}

func (e *endpoint) write(w *gldap.ResponseWriter, resp gldap.Response) {
	if err := w.Write(resp); err != nil {
		e.s.log.Debug("ldap: write response", "err", err.Error())
	}
}

func (e *endpoint) bind(w *gldap.ResponseWriter, r *gldap.Request) {
	resp := r.NewBindResponse(gldap.WithResponseCode(ResultProtocolError))
	defer e.write(w, resp)
	m, err := r.GetSimpleBindMessage()
	if err != nil {
		resp.SetResultCode(ResultAuthMethodNotSupported)
		resp.SetDiagnosticMessage("only simple binds are supported")
		return
	}
	res := e.s.bind(r, e.session(r), m.UserName, string(m.Password))
	resp.SetResultCode(res.code)
	resp.SetDiagnosticMessage(res.msg)
}

func (e *endpoint) search(w *gldap.ResponseWriter, r *gldap.Request) {
	resp := r.NewSearchDoneResponse(gldap.WithResponseCode(ResultProtocolError))
	defer e.write(w, resp)
	m, err := r.GetSearchMessage()
	if err != nil {
		return
	}
	req := searchRequest{DirectorySearch: keyhold.DirectorySearch{
		BaseDN: m.BaseDN, Scope: int(m.Scope), Attributes: m.Attributes, SizeLimit: int(m.SizeLimit)},
		TypesOnly: m.TypesOnly}
	var paging *gldap.ControlPaging
	for _, c := range m.Controls {
		switch c := c.(type) {
		case *gldap.ControlPaging:
			paging = c
		case *gldap.ControlString:
			if c.Criticality {
				resp.SetResultCode(ResultUnavailableCritical)
				resp.SetDiagnosticMessage("unsupported critical control " + c.ControlType)
				return
			}
		}
	}
	if paging != nil {
		req.Paged, req.PageSize, req.Cookie = true, int(paging.PagingSize), paging.Cookie
	}
	if req.Filter, err = parseFilter(m.Filter); err != nil {
		resp.SetDiagnosticMessage(err.Error())
		return
	}
	res, cookie := e.s.search(r, e.session(r), req, func(de keyhold.DirectoryEntry) error {
		entry := r.NewSearchResponseEntry(de.DN)
		for _, a := range de.Attributes {
			entry.AddAttribute(a.Name, a.Values)
		}
		return w.Write(entry)
	})
	resp.SetResultCode(res.code)
	resp.SetDiagnosticMessage(res.msg)
	if req.Paged {
		c, _ := gldap.NewControlPaging(0)
		c.SetCookie(cookie)
		resp.SetControls(c)
	}
}

func (e *endpoint) startTLS(w *gldap.ResponseWriter, r *gldap.Request) {
	resp := r.NewExtendedResponse(gldap.WithResponseCode(ResultSuccess))
	resp.SetResponseName(gldap.ExtendedOperationStartTLS)
	switch {
	case e.s.cfg.TLS == nil:
		resp.SetResultCode(ResultProtocolError)
		resp.SetDiagnosticMessage("StartTLS is not configured")
	case r.IsTLS():
		resp.SetResultCode(ResultOperationsError)
		resp.SetDiagnosticMessage("TLS is already established")
	}
	e.write(w, resp)
	if e.s.cfg.TLS == nil || r.IsTLS() {
		return
	}
	if err := r.StartTLS(e.s.cfg.TLS); err != nil {
		// The connection is unusable; the next read fails and closes it.
		e.s.log.Debug("ldap: StartTLS handshake", "client", peerIP(r.RemoteAddr()), "err", err.Error())
	}
}

func (e *endpoint) whoAmI(w *gldap.ResponseWriter, r *gldap.Request) {
	resp := r.NewExtendedResponse(gldap.WithResponseCode(ResultSuccess))
	resp.SetResponseValue(e.s.whoAmI(e.session(r)))
	e.write(w, resp)
}

func (e *endpoint) passwordModify(w *gldap.ResponseWriter, r *gldap.Request) {
	resp := r.NewExtendedResponse(gldap.WithResponseCode(ResultUnwillingToPerform))
	resp.SetDiagnosticMessage(ReadOnlyMessage)
	e.write(w, resp)
}

// readOnly answers a write operation with unwillingToPerform.
func (e *endpoint) readOnly(app int) gldap.HandlerFunc {
	return func(w *gldap.ResponseWriter, r *gldap.Request) {
		e.write(w, r.NewResponse(gldap.WithApplicationCode(app),
			gldap.WithResponseCode(ResultUnwillingToPerform), gldap.WithDiagnosticMessage(ReadOnlyMessage)))
	}
}

// other answers what no route took: modifyDN and compare (which the
// patched gldap passes here instead of dropping the connection), abandon
// (no answer, per RFC 4511), and unknown extended operations.
func (e *endpoint) other(w *gldap.ResponseWriter, r *gldap.Request) {
	switch r.ApplicationTag() {
	case gldap.ApplicationAbandonRequest:
		// Requests run to completion; abandon has no response.
	case gldap.ApplicationModifyDNRequest:
		e.readOnly(gldap.ApplicationModifyDNResponse)(w, r)
	case gldap.ApplicationCompareRequest:
		e.write(w, r.NewResponse(gldap.WithApplicationCode(gldap.ApplicationCompareResponse),
			gldap.WithResponseCode(ResultUnwillingToPerform), gldap.WithDiagnosticMessage("compare is not supported; search instead")))
	default:
		e.write(w, r.NewResponse(gldap.WithApplicationCode(gldap.ApplicationExtendedResponse),
			gldap.WithResponseCode(ResultProtocolError), gldap.WithDiagnosticMessage("unsupported operation")))
	}
}

// slogWriter passes gldap's log lines to keyhold's logger. gldap logs
// what it cannot recover from (a connection that errs, a panic caught)
// at warning and above; those are connection-level events, logged at
// debug except for panics.
type slogWriter struct{ log *slog.Logger }

func (s slogWriter) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(bytes.TrimRight(p, "\n")))
	if strings.Contains(line, "panic") {
		s.log.Error("ldap: " + line)
	} else {
		s.log.Debug("ldap: " + line)
	}
	return len(p), nil
}

var _ connection = (*gldap.Request)(nil)
