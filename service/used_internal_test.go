package service

import (
	"fmt"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
)

func TestUseNetwork(t *testing.T) {
	for ip, want := range map[string]string{
		"192.0.2.77":           "192.0.2.0/24",
		"::ffff:192.0.2.77":    "192.0.2.0/24",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"fe80::1%eth0":         "fe80::/64",
		"2001:DB8::1":          "2001:db8::/64",
		"":                     "",
		"not an address":       "",
		"192.0.2.1:443":        "",
		"[2001:db8::1]:443":    "",
	} {
		if got := useNetwork(ip); got != want {
			t.Errorf("useNetwork(%q) = %q, want %q", ip, got, want)
		}
	}
}

// The recorder counts every use it is told of, also those a newer use
// replaced before a drain and those of a batch put back after a failed
// write, and keeps how the token was presented.
func TestUsageRecorderCounts(t *testing.T) {
	u := newUsageRecorder(5 * time.Minute)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := [16]byte{15: 1}
	u.record(a, keyhold.TokenUse{At: t0, IP: "192.0.2.1", Method: keyhold.AuthBasic})
	u.record(a, keyhold.TokenUse{At: t0.Add(5 * time.Minute), IP: "192.0.2.2", Method: keyhold.AuthBearer})
	batch := u.drain(t0.Add(6*time.Minute), -1)
	if got := batch[a]; got.n != 2 || got.IP != "192.0.2.2" || got.Method != keyhold.AuthBearer {
		t.Fatalf("drained %+v, want 2 uses, the latest from 192.0.2.2 by bearer", got)
	}
	u.record(a, keyhold.TokenUse{At: t0.Add(10 * time.Minute), IP: "192.0.2.3", Method: keyhold.AuthLDAP})
	u.restore(batch)
	if got := u.drain(t0.Add(11*time.Minute), -1)[a]; got.n != 3 || got.IP != "192.0.2.3" || got.Method != keyhold.AuthLDAP {
		t.Errorf("after a restore: %+v, want 3 uses, the latest from 192.0.2.3 by ldap", got)
	}
}

// Roll-ups are due once their hour has ended, oldest first, and all of
// them, the current hour's too, on shutdown.
func TestRollupsDue(t *testing.T) {
	var r rollups
	t9 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	a, b := [16]byte{15: 1}, [16]byte{15: 2}
	r.add(b, recordedUse{keyhold.TokenUse{At: t9.Add(10 * time.Minute)}, 1})
	r.add(a, recordedUse{keyhold.TokenUse{At: t9.Add(59 * time.Minute), IP: "192.0.2.1"}, 2})
	r.add(a, recordedUse{keyhold.TokenUse{At: t9.Add(61 * time.Minute)}, 1})
	if due := r.due(t9.Add(59*time.Minute), 10); len(due) != 0 {
		t.Fatalf("due within the hour: %v", due)
	}
	due := r.due(t9.Add(time.Hour), 10)
	if len(due) != 2 || due[0].id != a || due[1].id != b || r.get(due[0]).n != 2 || r.get(due[0]).ip != "192.0.2.1" {
		t.Fatalf("due after the hour: %v", due)
	}
	if due := r.due(t9.Add(time.Hour), 1); len(due) != 1 {
		t.Errorf("limit 1: %v", due)
	}
	r.remove(due)
	if all := r.due(t9.Add(time.Hour), -1); len(all) != 1 || all[0].hour != t9.Add(time.Hour).Unix() {
		t.Errorf("on shutdown: %v, want the 10:00 roll-up", all)
	}
}

// Roll-ups share their clients, and rebuild them once most are no longer
// used, without mixing up whose roll-up came from where.
func TestRollupsInternClients(t *testing.T) {
	var r rollups
	t9 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	id := func(i int) [16]byte { return [16]byte{14: byte(i >> 8), 15: byte(i)} }
	ip := func(i int) string { return fmt.Sprintf("10.0.%d.%d", byte(i>>8), byte(i)) }
	for i := range 1000 {
		at := t9
		if i%10 == 0 {
			at = t9.Add(time.Hour) // one in ten in the next hour
		}
		r.add(id(i), recordedUse{keyhold.TokenUse{At: at, IP: ip(i), UserAgent: "ua", Method: keyhold.AuthBearer}, 1})
	}
	r.add(id(1), recordedUse{keyhold.TokenUse{At: t9, IP: "192.0.2.1", Method: keyhold.AuthBasic}, 2})
	due := r.due(t9.Add(time.Hour), 2000)
	if len(due) != 900 {
		t.Fatalf("%d due, want 900", len(due))
	}
	if c := r.get(rollupKey{id(1), t9.Unix()}); c.n != 3 || c.ip != "192.0.2.1" || c.method != keyhold.AuthBasic {
		t.Errorf("token 1: %+v", c)
	}
	r.remove(due)
	if len(r.clients.list) > 2*len(r.counts) || len(r.clients.by) != len(r.clients.list) {
		t.Errorf("%d clients (%d indexed) kept for %d roll-ups", len(r.clients.list), len(r.clients.by), len(r.counts))
	}
	for _, k := range r.due(t9, -1) {
		i := int(k.id[14])<<8 | int(k.id[15])
		if c := r.get(k); c.ip != ip(i) || c.ua != "ua" || c.n != 1 {
			t.Fatalf("token %d after the rebuild: %+v, want from %s", i, c, ip(i))
		}
	}
}
