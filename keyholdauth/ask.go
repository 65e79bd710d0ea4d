package keyholdauth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
)

// Headers of keyhold's 200 answer.
const (
	headerPrincipalType = "X-Keyhold-Principal-Type"
	headerPrincipalID   = "X-Keyhold-Principal-Id"
	headerPrincipalName = "X-Keyhold-Principal-Name"
	headerTokenID       = "X-Keyhold-Token-Id"
)

// maxProblem bounds the body read from keyhold; a problem is a few
// hundred bytes.
const maxProblem = 64 << 10

// verdict is one decision of keyhold: a principal, or a refusal.
type verdict struct {
	principal Principal
	refusal   *Error
}

// cacheable reports whether the verdict may be reused: allowed and
// forbidden are properties of the token and the grants, which change
// rarely; 401 and 400 are not reused, so that a fixed token or a fixed
// configuration takes effect at once.
func (v verdict) cacheable() bool {
	return v.refusal == nil || v.refusal.Status == http.StatusForbidden
}

// result returns copies, so that callers cannot change a cached verdict.
func (v verdict) result(err error) (*Principal, error) {
	if err != nil {
		return nil, err
	}
	if v.refusal != nil {
		e := *v.refusal
		e.Problem = bytes.Clone(e.Problem)
		return nil, &e
	}
	p := v.principal
	return &p, nil
}

// ask sends one decision request to keyhold.
func (a *Authenticator) ask(ctx context.Context, authorization, clientIP string, p Permission) (verdict, error) {
	u := *a.endpoint
	if p != (Permission{}) {
		q := url.Values{}
		for _, f := range [...]struct{ name, value string }{
			{"role_name", p.RoleName}, {"entity_type_name", p.EntityTypeName},
			{"entity_id", p.EntityID}, {"entity_region", p.EntityRegion},
		} {
			if f.value != "" {
				q.Set(f.name, f.value)
			}
		}
		u.RawQuery = q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return verdict{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	req.Header.Set("Authorization", authorization)
	if clientIP != "" {
		req.Header.Set("X-Forwarded-For", clientIP)
	}
	res, err := a.client.Do(req)
	if err != nil {
		return verdict{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxProblem+1))
	if err != nil {
		return verdict{}, fmt.Errorf("%w: read answer: %w", ErrUnavailable, err)
	}
	switch res.StatusCode {
	case http.StatusOK:
		return allowed(res.Header)
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusBadRequest:
		return refused(res, body)
	default:
		return verdict{}, fmt.Errorf("%w: unexpected status %d", ErrUnavailable, res.StatusCode)
	}
}

// allowed reads the principal from a 200; one without a principal is not
// keyhold's answer.
func allowed(h http.Header) (verdict, error) {
	p := Principal{Type: h.Get(headerPrincipalType), ID: h.Get(headerPrincipalID), Name: h.Get(headerPrincipalName), TokenID: h.Get(headerTokenID)}
	if p.Type == "" || p.ID == "" {
		return verdict{}, fmt.Errorf("%w: 200 without %s and %s", ErrUnavailable, headerPrincipalType, headerPrincipalID)
	}
	return verdict{principal: p}, nil
}

// refused reads keyhold's problem. A refusal that is not a problem+json
// document came from something else, such as a proxy in front of keyhold,
// and is not trusted as a decision, least of all cached as one.
func refused(res *http.Response, body []byte) (verdict, error) {
	mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
	if mt != "application/problem+json" {
		return verdict{}, fmt.Errorf("%w: status %d with Content-Type %q", ErrUnavailable, res.StatusCode, mt)
	}
	if len(body) > maxProblem {
		return verdict{}, fmt.Errorf("%w: status %d with a body over %d bytes", ErrUnavailable, res.StatusCode, maxProblem)
	}
	var p problem
	if err := json.Unmarshal(body, &p); err != nil {
		return verdict{}, fmt.Errorf("%w: status %d: decode problem: %w", ErrUnavailable, res.StatusCode, err)
	}
	e := &Error{Status: res.StatusCode, Detail: p.Detail, Problem: body}
	if res.StatusCode == http.StatusUnauthorized {
		e.challenge = res.Header.Get("WWW-Authenticate")
	}
	return verdict{refusal: e}, nil
}
