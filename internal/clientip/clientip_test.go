package clientip

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientIP(t *testing.T) {
	s := New([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")})
	cases := []struct {
		name, peer, xff, want string
	}{
		{"untrusted peer ignores X-Forwarded-For", "192.0.2.7:4000", "203.0.113.9", "192.0.2.7"},
		{"trusted peer yields the client", "10.1.2.3:4000", "203.0.113.9", "203.0.113.9"},
		{"right-most untrusted hop wins over a spoofed left", "10.1.2.3:4000", "198.51.100.1, 203.0.113.9, 10.9.9.9", "203.0.113.9"},
		{"trusted peer without header", "10.1.2.3:4000", "", "10.1.2.3"},
		{"garbage hop stops the walk", "10.1.2.3:4000", "203.0.113.9, nonsense", "10.1.2.3"},
		{"IPv6 trusted peer", "[::1]:4000", "2001:db8::5", "2001:db8::5"},
		{"IPv4-mapped peer is unmapped", "[::ffff:192.0.2.7]:4000", "203.0.113.9", "192.0.2.7"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = c.peer
			if c.xff != "" {
				r.Header.Set("X-Forwarded-For", c.xff)
			}
			if got := s.Of(r); got != c.want {
				t.Errorf("clientIP = %q, want %q", got, c.want)
			}
		})
	}
}
