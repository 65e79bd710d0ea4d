package httpapi_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/wire"
)

// Checkpoints are witnessed: each new one reaches the destinations
// subscribed to audit.checkpoint, signed by the key /v1/audit/keys
// publishes, and a quiet hour, in which nothing happens but the jobs,
// still sends one of the same tree with a later time.
func TestAuditCheckpointWitnessed(t *testing.T) {
	apitest.EachWith(t, apitest.Options{SecretKey: secretKey(t), WebhookNetworks: apitest.Loopback}, func(t *testing.T, e *apitest.Env) {
		r := newReceiver(t, e)
		createWebhook(t, e, r, "", "audit.checkpoint")
		createAccount(t, e, e.Admin, "fleet")
		e.Clock.Advance(time.Minute)
		e.Service.Jobs.RunJobs(t.Context())
		deliver(t, e)
		got := r.messages("audit.checkpoint")
		if len(got) != 1 {
			t.Fatalf("%d checkpoints witnessed after a minute of events, want 1", len(got))
		}
		keys := string(e.Do("GET", "/v1/audit/keys", "", nil).Want(t, 200).Body)
		v, err := note.NewVerifier(strings.TrimSpace(keys))
		if err != nil {
			t.Fatalf("/v1/audit/keys: %q: %v", keys, err)
		}
		cp := got[0].Data["checkpoint"].(string)
		n, err := note.Open([]byte(cp), note.VerifierList(v))
		if err != nil {
			t.Fatalf("the witnessed checkpoint does not verify: %v", err)
		}
		// It is the one the API serves, text and JSON alike.
		if served := string(e.Do("GET", "/v1/audit/checkpoint", e.Admin, nil).Want(t, 200).Body); served != cp {
			t.Fatalf("served %q, witnessed %q", served, cp)
		}
		size := int64(got[0].Data["size"].(float64))
		if !strings.HasPrefix(n.Text, got[0].Data["origin"].(string)+"\n") || size < 3 {
			t.Fatalf("checkpoint %q, data %v", n.Text, got[0].Data)
		}

		// Quiet: an hour of jobs and nothing else.
		for range 6 {
			e.Clock.Advance(10 * time.Minute)
			e.Service.Jobs.RunJobs(t.Context())
			deliver(t, e)
		}
		got = r.messages("audit.checkpoint")
		if len(got) != 2 || int64(got[1].Data["size"].(float64)) != size || got[1].Data["root"] != got[0].Data["root"] {
			t.Fatalf("after a quiet hour: %d checkpoints %v", len(got), got)
		}
		if got[1].Data["signed_at"] == got[0].Data["signed_at"] || got[1].Data["checkpoint"] == cp {
			t.Fatalf("the quiet hour's checkpoint is the same note")
		}

		// Proofs of the served tree, checked with tlog.
		var leaves wire.AuditLeaves
		e.Do("GET", "/v1/audit/leaves?from=0&limit=1000", e.Admin, nil).Want(t, 200).JSON(t, &leaves)
		var cps wire.AuditCheckpoints
		e.Do("GET", "/v1/audit/checkpoints?limit=1000", e.Admin, nil).Want(t, 200).JSON(t, &cps)
		if last := cps.Data[len(cps.Data)-1]; last.Checkpoint != got[1].Data["checkpoint"] || last.Size != size {
			t.Fatalf("the last listed checkpoint is not the last witnessed: %+v", last)
		}
		root, _ := tlog.ParseHash(got[1].Data["root"].(string))
		for _, l := range leaves.Data[:size] {
			var p wire.InclusionProof
			e.Do("GET", "/v1/audit/proof/inclusion?seq="+itoa(l.Seq)+"&size="+itoa(size), e.Admin, nil).Want(t, 200).JSON(t, &p)
			if err := tlog.CheckRecord(hashes(t, p.Proof), size, root, l.Seq, hash(t, l.LeafHash)); err != nil {
				t.Fatalf("inclusion of %d: %v", l.Seq, err)
			}
		}
		// Bad input: a 400 naming the parameter, never a 500.
		for _, q := range []string{"seq=0", "seq=x&size=1", "seq=0&size=1&extra=1", "seq=-1&size=1", "seq=5&size=2", "seq=0&size=99999"} {
			e.Do("GET", "/v1/audit/proof/inclusion?"+q, e.Admin, nil).Want(t, 400)
		}
		for _, q := range []string{"from=1", "from=0&to=1", "from=2&to=1", "from=1&to=1&from=1"} {
			e.Do("GET", "/v1/audit/proof/consistency?"+q, e.Admin, nil).Want(t, 400)
		}
		e.Do("GET", "/v1/audit/leaves?from=-1", e.Admin, nil).Want(t, 400)
		e.Do("POST", "/v1/audit/keys/rotate", e.Admin, map[string]any{"purpose": "nope"}).Want(t, 400)
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func hash(t *testing.T, s string) tlog.Hash {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != tlog.HashSize {
		t.Fatalf("hash %q", s)
	}
	return tlog.Hash(b)
}

func hashes(t *testing.T, ss []string) []tlog.Hash {
	out := make([]tlog.Hash, len(ss))
	for i, s := range ss {
		out[i] = hash(t, s)
	}
	return out
}

// Whoever holds a token's value finds what it did by its fingerprint,
// sha256(sha256(value)), or by its id; nobody else's events come along.
func TestAuditEventsByCredential(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		acct := createAccount(t, e, e.Admin, "fleet")
		id, tok := mintSPAT(t, e, acct, "deploy")
		e.Do("POST", "/v3/system-accounts/"+acct+"/assigned-roles", e.Admin, map[string]any{"role_name": "Admin", "entity_type_name": "Identity", "entity_id": "*", "entity_region": "*"}).Want(t, 201)
		createAccount(t, e, tok, "made-by-the-token")
		digest := sha256.Sum256([]byte(tok))
		fp := sha256.Sum256(digest[:])
		for _, q := range []string{"filter[credential_fingerprint]=" + hex.EncodeToString(fp[:]), "filter[credential_id][eq]=" + id} {
			var page struct{ Data []wire.AuditEvent }
			e.Do("GET", "/v3/audit-events?"+q, e.Admin, nil).Want(t, 200).JSON(t, &page)
			if len(page.Data) != 1 || page.Data[0].Action != "system_account.created" || page.Data[0].TargetName != "made-by-the-token" ||
				page.Data[0].Credential == nil || page.Data[0].Credential.ID != id {
				t.Fatalf("%s: %+v", q, page.Data)
			}
		}
		var none struct{ Data []wire.AuditEvent }
		e.Do("GET", "/v3/audit-events?filter[credential_fingerprint]="+strings.Repeat("0", 64), e.Admin, nil).Want(t, 200).JSON(t, &none)
		if len(none.Data) != 0 {
			t.Fatalf("a fingerprint no credential has: %+v", none.Data)
		}
	})
}
