package web

import (
	"net/http"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/formnonce"
)

// A form that mints a secret (a token, a webhook secret, a setup link)
// carries a one-time nonce (internal/formnonce), so that a reload of the
// page that shows the secret, which sends the form again, mints nothing.
// The service records the nonce as used (only its digest, until it
// expires) before the form mints; a second send finds it used and gets
// the gone page. No secret the form mints is kept between requests.

// Nonce is the template's nonce of the form sent to action.
func (v view) Nonce(action string) string { return formnonce.New(v.nonceKey, action, v.now) }

// gonePage is the data of gone.html: a minting form sent again.
type gonePage struct {
	What string
	Back string
	// BackLabel names the page Back leads to.
	BackLabel string
}

func (gonePage) title() (string, string) { return "Shown once, and gone", "" }

// once lets h mint only for the first send of its form: the form's nonce
// is used first, and a form sent again, or with an expired, forged or no
// nonce, gets the gone page with 409 Conflict and mints nothing. back
// names where the gone page leads.
func (s *Server) once(what string, back func(r *http.Request) (href, label string), h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		v := r.PostFormValue(formnonce.Field)
		exp, ok := formnonce.Check(c.nonceKey, r.URL.Path, v, s.now())
		if ok {
			err := s.svc.Sessions.UseFormNonce(r.Context(), v, exp)
			if err != nil && keyhold.ErrorCode(err) != keyhold.ECONFLICT {
				return err
			}
			ok = err == nil
		}
		if !ok {
			href, label := back(r)
			s.render(w, r, c, http.StatusConflict, "gone.html", gonePage{What: what, Back: href, BackLabel: label})
			return nil
		}
		return h(w, r, c)
	}
}

// backTo is a gone page's way back to a fixed page.
func backTo(href, label string) func(*http.Request) (string, string) {
	return func(*http.Request) (string, string) { return href, label }
}

// backToPath is a gone page's way back to prefix and the path value id.
func backToPath(prefix, label string) func(*http.Request) (string, string) {
	return func(r *http.Request) (string, string) { return prefix + r.PathValue("id"), label }
}
