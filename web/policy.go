package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/keyhold/keyhold"
)

const day = 24 * time.Hour

type policyPage struct {
	Policy  *keyhold.TokenPolicy
	Form    *form
	CanEdit bool
}

func (policyPage) title() (string, string) { return "Token policy", "policy" }

// policyForm shows a policy in whole days, as the form edits it.
func policyForm(p *keyhold.TokenPolicy) *form {
	f := newForm(map[string][]string{
		"max_lifetime_days":     {strconv.Itoa(int(p.MaxLifetime / day))},
		"default_lifetime_days": {strconv.Itoa(int(p.DefaultLifetime / day))},
	})
	if p.AllowNonExpiring {
		f.Values.Set("allow_non_expiring", "on")
	}
	return f
}

func (s *Server) showPolicy(w http.ResponseWriter, r *http.Request, c *call) error {
	p, err := s.svc.Policy.TokenPolicy(r.Context())
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "policy.html", policyPage{Policy: p, Form: policyForm(p), CanEdit: s.may(r, "SetTokenPolicy")})
	return nil
}

// maxPolicyDays bounds what the form parses; the service checks the policy
// itself.
const maxPolicyDays = 100 * 365

func (s *Server) savePolicy(w http.ResponseWriter, r *http.Request, c *call) error {
	f := newForm(r.PostForm)
	days := func(name string) time.Duration {
		n, err := strconv.Atoi(strings.TrimSpace(f.Get(name)))
		if err != nil || n < 1 || n > maxPolicyDays {
			f.Errors[name] = "Enter a whole number of days, at least 1."
			return 0
		}
		return time.Duration(n) * day
	}
	in := keyhold.TokenPolicy{MaxLifetime: days("max_lifetime_days"), DefaultLifetime: days("default_lifetime_days"),
		AllowNonExpiring: f.Get("allow_non_expiring") != ""}
	var err error
	if len(f.Errors) == 0 {
		if _, err = s.svc.Policy.SetTokenPolicy(r.Context(), in); err == nil {
			return redirect(w, r, "/ui/policy", "policy-saved")
		}
		// The service's bounds are in seconds; the form's fields in days.
		fields := keyhold.ErrorFields(err)
		for _, fe := range fields {
			name := strings.TrimSuffix(fe.Field, "_seconds") + "_days"
			f.Errors[name] = joinReason(f.Errors[name], policyReason(fe))
		}
		if len(fields) == 0 && !f.absorb(err) {
			return err
		}
	}
	status := http.StatusBadRequest
	if err != nil {
		status = statusOf[keyhold.ErrorCode(err)]
	}
	// The policy in force, for the page around the refused form.
	current, err := s.svc.Policy.TokenPolicy(r.Context())
	if err != nil {
		return err
	}
	s.render(w, r, c, status, "policy.html", policyPage{Policy: current, Form: f, CanEdit: true})
	return nil
}

// policyReason says in days what the service refused in seconds: the
// form's fields are whole days, so "at least a minute" or a bound in
// seconds would not fit them.
func policyReason(fe keyhold.FieldError) string {
	inDays := func(secs *int64) string {
		n := *secs / int64(day/time.Second)
		if n == 1 {
			return "1 day"
		}
		return strconv.FormatInt(n, 10) + " days"
	}
	switch {
	case fe.Field == "default_lifetime_seconds" && fe.Maximum != nil:
		return "The default lifetime must be at most the maximum lifetime, " + inDays(fe.Maximum) + "."
	case fe.Field == "max_lifetime_seconds" && fe.Maximum != nil:
		return "The maximum lifetime must be at most " + inDays(fe.Maximum) + "."
	case fe.Field == "max_lifetime_seconds" && fe.Minimum != nil:
		return "The maximum lifetime must be at least 1 day."
	}
	return "The lifetime " + fe.Reason + "."
}
