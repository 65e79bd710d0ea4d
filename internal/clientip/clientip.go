// Package clientip finds the address of an HTTP request's client: the TCP
// peer, or, when the peer is a trusted proxy, the right-most address of
// X-Forwarded-For that is not itself a trusted proxy. The API and the
// console read client addresses the same way, for the audit trail, rate
// limits and network-bound tokens.
package clientip

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
)

// Resolver is safe for concurrent use.
type Resolver struct {
	trusted []netip.Prefix
	// last caches the text of the last address returned: a gateway, the
	// usual peer of the decision routes, repeats its own on every request.
	last atomic.Pointer[addrText]
}

type addrText struct {
	addr netip.Addr
	text string
}

// New returns a Resolver that honours X-Forwarded-For from peers in
// trusted only.
func New(trusted []netip.Prefix) *Resolver { return &Resolver{trusted: trusted} }

// Of returns the client address of r, as text.
func (c *Resolver) Of(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	client := peer.Unmap()
	if !c.isTrusted(client) {
		return c.text(client)
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		client = a.Unmap()
		if !c.isTrusted(client) {
			break
		}
	}
	return c.text(client)
}

func (c *Resolver) isTrusted(a netip.Addr) bool {
	for _, p := range c.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// text returns a.String(), reusing the text of the last address.
func (c *Resolver) text(a netip.Addr) string {
	if t := c.last.Load(); t != nil && t.addr == a {
		return t.text
	}
	s := a.String()
	c.last.Store(&addrText{addr: a, text: s})
	return s
}
