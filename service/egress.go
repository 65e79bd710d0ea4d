package service

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// nonPublicNetworks are the addresses a webhook delivery may not reach
// unless the operator allows them (Config.WebhookNetworks): a destination
// URL is set by any identity administrator, and without this rule it
// would let them make keyhold call its own host, the cloud's metadata
// service (169.254.169.254) or anything else on the private network it
// runs in, and read the first bytes of the answer in the delivery log.
var nonPublicNetworks = mustPrefixes(
	"0.0.0.0/8",      // "this" network
	"10.0.0.0/8",     // private
	"100.64.0.0/10",  // carrier-grade NAT
	"127.0.0.0/8",    // loopback
	"169.254.0.0/16", // link-local, cloud metadata
	"172.16.0.0/12",  // private
	"192.0.0.0/24",   // IETF protocol assignments
	"192.168.0.0/16", // private
	"198.18.0.0/15",  // benchmarking
	"224.0.0.0/4",    // multicast
	"240.0.0.0/4",    // reserved, broadcast
	"::/128",         // unspecified
	"::1/128",        // loopback
	"64:ff9b::/96",   // NAT64: an IPv4 address behind a prefix
	"64:ff9b:1::/48", // local-use NAT64
	"2002::/16",      // 6to4: an IPv4 address inside
	"fc00::/7",       // unique local
	"fe80::/10",      // link-local
	"ff00::/8",       // multicast
)

func mustPrefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// egressPolicy decides which addresses deliveries may connect to: every
// public address, and of the others only those in allowed.
type egressPolicy struct {
	allowed []netip.Prefix
}

// refuses reports whether a delivery may not connect to a.
func (p egressPolicy) refuses(a netip.Addr) bool {
	a = a.Unmap().WithZone("") // a prefix never contains a zoned address
	for _, n := range p.allowed {
		if n.Contains(a) {
			return false
		}
	}
	for _, n := range nonPublicNetworks {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// errRefusedAddress is why a delivery did not connect; it names the flag
// that would allow it.
type errRefusedAddress struct{ addr netip.Addr }

func (e errRefusedAddress) Error() string {
	return fmt.Sprintf("%s is not a public address; keyhold delivers there only if --webhook-allow-networks names its network", e.addr)
}

// control checks the address a dial is about to connect to, after name
// resolution, so that a host name that resolves to a private address (or
// changes to one after the destination was saved) is refused as well.
func (p egressPolicy) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("unexpected dial address %q", address)
	}
	if p.refuses(ap.Addr()) {
		return errRefusedAddress{ap.Addr().Unmap().WithZone("")}
	}
	return nil
}

// newWebhookClient returns the client deliveries use: a timeout, no
// redirects (a 3xx is the destination's answer), no proxy from the
// environment (the address rule applies to the destination itself), and
// connections only to addresses the policy allows.
func newWebhookClient(p egressPolicy) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = (&net.Dialer{Timeout: webhookTimeout, KeepAlive: 30 * time.Second, Control: p.control}).DialContext
	return &http.Client{Timeout: webhookTimeout, Transport: t, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}
