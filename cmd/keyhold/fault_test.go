package main

import (
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keyhold/keyhold/store/storetest"
)

// tcpProxy forwards loopback connections to PostgreSQL and can cut them,
// so that a test takes the database away from one replica without
// touching the server other tests share.
type tcpProxy struct {
	t      *testing.T
	target string
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]bool
	links  map[*proxyLink]bool
}

// proxyLink is one proxied connection: c from the client, up to the
// database. A frozen link passes no bytes either way, as a silent network
// partition does, until it is cut.
type proxyLink struct {
	c, up  net.Conn
	frozen atomic.Bool
}

func newProxy(t *testing.T, target string) *tcpProxy {
	p := &tcpProxy{t: t, target: target, conns: map[net.Conn]bool{}, links: map[*proxyLink]bool{}}
	p.listen("127.0.0.1:0")
	t.Cleanup(p.cut)
	return p
}

func (p *tcpProxy) listen(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		p.t.Fatalf("proxy listen: %v", err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.pipe(c)
		}
	}()
}

func (p *tcpProxy) pipe(c net.Conn) {
	// The proxy stands for a network: a connection it fails to close
	// is one more fault, not the test's concern, so Close errors go.
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = c.Close()
		return
	}
	l := &proxyLink{c: c, up: up}
	p.mu.Lock()
	p.conns[c], p.conns[up] = true, true
	p.links[l] = true
	p.mu.Unlock()
	go func() { l.copy(up, c); _ = up.Close() }()
	l.copy(c, up)
	_ = c.Close()
	p.mu.Lock()
	delete(p.links, l)
	p.mu.Unlock()
}

// copy is io.Copy that holds what it read while the link is frozen.
func (l *proxyLink) copy(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		for n > 0 && l.frozen.Load() {
			time.Sleep(5 * time.Millisecond)
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// linkTo finds the one connection whose database side is the server's
// client port (pg_stat_activity.client_port), or nil.
func (p *tcpProxy) linkTo(clientPort int) *proxyLink {
	p.mu.Lock()
	defer p.mu.Unlock()
	for l := range p.links {
		if a, ok := l.up.LocalAddr().(*net.TCPAddr); ok && a.Port == clientPort {
			return l
		}
	}
	return nil
}

// cut closes both sides of the link, and thaws it so that its copiers
// see the closed connections and end.
func (l *proxyLink) cut() { _ = l.c.Close(); _ = l.up.Close(); l.frozen.Store(false) }

// cut closes the listener and every connection: the database is gone.
func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		_ = c.Close()
	}
	for l := range p.links {
		l.frozen.Store(false)
	}
	p.conns = map[net.Conn]bool{}
	p.links = map[*proxyLink]bool{}
}

// restore listens again on the same address.
func (p *tcpProxy) restore() { p.listen(p.addr) }

// proxiedPostgres gives a fresh PostgreSQL schema, its URL through a
// loopback proxy the test can cut, and the proxy; it skips the test
// without KEYHOLD_TEST_POSTGRES.
func proxiedPostgres(t *testing.T) (direct string, viaProxy url.URL, proxy *tcpProxy) {
	t.Helper()
	if !hasPostgres(t) {
		t.Skip("KEYHOLD_TEST_POSTGRES is not set")
	}
	direct = storetest.NewURL(t, storetest.Postgres)
	u, _ := url.Parse(direct)
	proxy = newProxy(t, u.Host)
	viaProxy = *u
	viaProxy.Host = proxy.addr
	return direct, viaProxy, proxy
}

// When PostgreSQL goes away, decisions keep coming from the index, writes
// fail with 503 problem+json, and the replica catches up by itself when
// the database returns.
func TestDatabaseOutage(t *testing.T) {
	direct, viaProxy, proxy := proxiedPostgres(t)

	a := startServe(t, "--db", viaProxy.String())
	b := startServe(t, "--db", direct)
	admin := kpatPattern.FindString(a.out.String())
	_, acct := a.call(t, "POST", "/v3/system-accounts", admin, `{"name":"outage","description":""}`)
	id := acct["id"].(string)
	expires := time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)
	_, tok := a.call(t, "POST", "/v3/system-accounts/"+id+"/access-tokens", admin, `{"name":"t","expires_at":"`+expires+`"}`)
	spat, tokID := tok["token"].(string), tok["id"].(string)

	proxy.cut()
	for i := 0; i < 20; i++ {
		if status, _ := a.call(t, "GET", "/v1/authorize", spat, ""); status != 200 {
			t.Fatalf("decision during the outage: %d, want 200 from the index", status)
		}
	}
	status, body := a.call(t, "POST", "/v3/system-accounts", admin, `{"name":"during","description":""}`)
	if status != 503 || body["title"] != "Service Unavailable" {
		t.Errorf("write during the outage: %d %v, want 503 problem+json", status, body)
	}
	// Meanwhile the token is deleted through a replica that still has the
	// database.
	if status, _ := b.call(t, "DELETE", "/v3/system-accounts/"+id+"/access-tokens/"+tokID, admin, ""); status != 204 {
		t.Fatalf("delete through the other replica: %d", status)
	}
	if status, _ := a.call(t, "GET", "/v1/authorize", spat, ""); status != 200 {
		t.Logf("replica without the database already refuses: %d", status)
	}
	proxy.restore()
	waitStatus(t, a, spat, 401, "the deleted token after the database returned")
	if status, _ := a.call(t, "POST", "/v3/system-accounts", admin, `{"name":"after","description":""}`); status != 201 {
		t.Errorf("write after the outage: %d", status)
	}
}
