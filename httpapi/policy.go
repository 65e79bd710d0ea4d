package httpapi

import (
	"net/http"
	"time"

	"github.com/keyhold/keyhold"
)

func (s *Server) getTokenPolicy(w http.ResponseWriter, r *http.Request) error {
	p, err := s.svc.Policy.TokenPolicy(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, tokenPolicyOut(p))
	return nil
}

func (s *Server) putTokenPolicy(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	maxSec, defSec, allow := o.integer("max_lifetime_seconds", true), o.integer("default_lifetime_seconds", true), o.boolean("allow_non_expiring")
	if !o.present("allow_non_expiring") {
		o.fail("allow_non_expiring", "is required", "required")
	}
	if err := o.err(); err != nil {
		return err
	}
	clamp := func(v int64) time.Duration { return time.Duration(min(max(v, 0), 1<<33)) * time.Second }
	p, err := s.svc.Policy.SetTokenPolicy(r.Context(), keyhold.TokenPolicy{MaxLifetime: clamp(*maxSec), DefaultLifetime: clamp(*defSec), AllowNonExpiring: allow != nil && *allow})
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, tokenPolicyOut(p))
	return nil
}
