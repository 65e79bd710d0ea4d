package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/service"
	"github.com/keyhold/keyhold/store"
	"github.com/keyhold/keyhold/store/storetest"
)

// TestCrashConsistency runs `keyhold serve` as a real child process under a
// concurrent write load (accounts created, tokens minted, rotated and
// deleted, roles assigned, members added), kills it with SIGKILL at a random moment, and
// restarts it on the same database, 3 times per database; with
// KEYHOLD_CRASH_LONG=1, 20 times (docs/operations.md, "What survives a
// crash"). After each restart it checks, from the database itself:
//
//  1. every acknowledged write (2xx received) is present, with its audit
//     event and its change row;
//  2. no write is half-present: every token has the event that created it,
//     every account its system_account.created, every assignment and
//     membership its event, and every successful audit event that by design
//     has a change row has it (crashNoChange lists the actions that have
//     none); a write answered with an error is absent, and a write whose
//     request the kill cut off (no response: "unknown") is either absent or
//     whole;
//  3. the restarted server's decisions (/v1/authorize) on a sample of
//     tokens and queries are the same as those of an index freshly built
//     from the database.
//
// The sequence columns are identity columns with gaps by design, so gaps
// are not looked for.
func TestCrashConsistency(t *testing.T) {
	kills := 3
	if os.Getenv("KEYHOLD_CRASH_LONG") == "1" {
		kills = 20
	}
	for _, backend := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) { crashRun(t, backend, kills) })
	}
}

// crashNoChange are the audit actions that by design have no change row:
// they change nothing the decision index holds. organization.bootstrapped
// writes before any index is loaded; the others are sign-ins, passwords,
// setup links, the token policy, webhooks, and the aggregated refusals of
// the decision path. Events with an outcome other than success (denied,
// failure) have no change row either.
var crashNoChange = map[string]bool{
	"organization.bootstrapped": true, "user.setup_link_issued": true, "user.password_set": true, "console.signed_in": true,
	"auth.failed": true, "token.use_refused_network": true, "token.use_refused_scope": true,
	"token_policy.updated": true, "webhook.created": true, "webhook.updated": true, "webhook.deleted": true,
	"webhook.secret_rotated": true, "webhook.tested": true, "webhook.redelivered": true,
}

// crashChangeOf maps each other action to the kind of change its target
// gets; role events take the kind of their principal, membership events
// change the member (the subject), and a rotation also changes the
// successor.
var crashChangeOf = map[string]keyhold.ChangeKind{
	"system_account.created": keyhold.ChangeSystemAccount, "system_account.updated": keyhold.ChangeSystemAccount,
	"system_account.deleted": keyhold.ChangeSystemAccount, "system_account.enabled": keyhold.ChangeSystemAccount,
	"system_account.disabled": keyhold.ChangeSystemAccount,
	"token.created":           keyhold.ChangeToken, "token.updated": keyhold.ChangeToken, "token.revoked": keyhold.ChangeToken,
	"token.deleted": keyhold.ChangeToken, "token.expired": keyhold.ChangeToken, "token.leaked": keyhold.ChangeToken,
	"token.scope_narrowed": keyhold.ChangeToken, "token.rotated": keyhold.ChangeToken, "token.auto_rotated": keyhold.ChangeToken,
	"team.created": keyhold.ChangeTeam, "team.updated": keyhold.ChangeTeam, "team.deleted": keyhold.ChangeTeam,
	"team.member_added": "", "team.member_removed": "", "role.assigned": "", "role.unassigned": "",
	"user.created": keyhold.ChangeUser, "user.invited": keyhold.ChangeUser, "user.updated": keyhold.ChangeUser,
	"user.deleted": keyhold.ChangeUser, "user.activated": keyhold.ChangeUser, "user.deactivated": keyhold.ChangeUser,
	"user.invite_accepted": keyhold.ChangeUser,
}

// Outcomes of a write, as the client saw it.
const (
	writeAcked   = "acknowledged" // 2xx
	writeRefused = "refused"      // an answer other than 2xx
	writeUnknown = "unknown"      // no answer: the kill cut the request off
)

// crashOp is one write of the load.
type crashOp struct {
	kind    string // account, token, rotate, delete, role, member
	outcome string
	round   int
	name    string // of the account or token created
	account string // the account written to
	token   string // the minted or deleted token, or the predecessor of a rotation
	result  string // the id answered: account, token or successor
}

type crashToken struct {
	id, account, value string
	used               bool // rotated or deleted, or tried to be
}

type crashAccount struct {
	id                     string
	roleTried, memberTried bool
}

// crashState is what the load knows; the database must agree with it.
type crashState struct {
	mu       sync.Mutex
	admin    string
	team     string
	accounts []*crashAccount
	byID     map[string]*crashAccount
	tokens   []*crashToken
	deleted  map[string]bool // tokens whose deletion was tried
	ops      []*crashOp
	names    int
}

type crashCounts struct {
	kills, ackedWrites, ackedChecks, unknownPresent, unknownAbsent, refused int
	tokensSampled, queriesCompared                                          int
	verdicts                                                                map[int]int
	ackedByKind                                                             map[string]int
}

func crashRun(t *testing.T, backend string, kills int) {
	db := storetest.NewURL(t, backend)
	dir := t.TempDir()
	raw := storetest.Raw(t, db)
	st := &crashState{byID: map[string]*crashAccount{}, deleted: map[string]bool{}}
	n := crashCounts{verdicts: map[int]int{}, ackedByKind: map[string]int{}}
	args := []string{"serve", "--db", db, "--listen", "127.0.0.1:0", "--auth-failure-limit", "-1", "--log-level", "warn"}
	start := time.Now()
	for round := 0; round <= kills; round++ {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		c := startChild(ctx, t, dir, round, args...)
		if round == 0 {
			st.admin = kpatPattern.FindString(c.out.String())
			if st.admin == "" {
				t.Fatalf("no admin token on the first start: %q", c.out.String())
			}
			st.setup(ctx, t, c)
		} else {
			crashCheck(ctx, t, raw, st, round, &n)
			crashDecisions(ctx, t, c, db, st, &n)
			if t.Failed() {
				cancel()
				t.FailNow()
			}
		}
		if round == kills {
			c.stop(t)
			cancel()
			break
		}
		st.load(ctx, c, round, time.Duration(150+rand.IntN(751))*time.Millisecond)
		n.kills++
		cancel()
	}
	if n.verdicts[200] == 0 || n.verdicts[401] == 0 || n.verdicts[403] == 0 {
		t.Errorf("the decisions compared were all alike (%v): the comparison proves little", n.verdicts)
	}
	var kinds []string
	for _, k := range []string{"account", "token", "rotate", "delete", "role", "member"} {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, n.ackedByKind[k]))
	}
	t.Logf("crash summary %s: %d kills in %v; %d acknowledged writes (%s), %d presence checks of them (0 lost); "+
		"%d unknown outcomes present and whole, %d absent; %d writes refused and absent; "+
		"%d token samples, %d queries compared (200: %d, 401: %d, 403: %d)",
		backend, n.kills, time.Since(start).Round(time.Second), n.ackedWrites, strings.Join(kinds, ", "), n.ackedChecks, n.unknownPresent, n.unknownAbsent,
		n.refused, n.tokensSampled, n.queriesCompared, n.verdicts[200], n.verdicts[401], n.verdicts[403])
}

// setup creates the team that members join, with a role of its own, so
// that membership shows in decisions.
func (st *crashState) setup(ctx context.Context, t *testing.T, c *child) {
	status, team, err := c.do(ctx, "POST", "/v3/teams", st.admin, `{"name":"crash-members"}`)
	if err != nil || status != 201 {
		t.Fatalf("create the team: %d %v %v", status, team, err)
	}
	st.team = team["id"].(string)
	status, _, err = c.do(ctx, "POST", "/v3/teams/"+st.team+"/assigned-roles", st.admin,
		`{"role_name":"Viewer","entity_type_name":"API Products","entity_id":"*","entity_region":"eu"}`)
	if err != nil || status != 201 {
		t.Fatalf("assign the team's role: %d %v", status, err)
	}
}

// load runs 4 writers against c for d, then kills c while they write.
func (st *crashState) load(ctx context.Context, c *child, round int, d time.Duration) {
	var stopped atomic.Bool
	var wg sync.WaitGroup
	for w := range 4 {
		rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(w)))
		wg.Go(func() {
			for !stopped.Load() && ctx.Err() == nil {
				st.step(ctx, c, round, rng)
			}
		})
	}
	time.Sleep(d)
	c.kill()
	stopped.Store(true)
	wg.Wait()
}

// step makes one write and records what the client learned of it.
func (st *crashState) step(ctx context.Context, c *child, round int, rng *rand.Rand) {
	st.mu.Lock()
	o := &crashOp{round: round}
	var acct *crashAccount
	var tok *crashToken
	r := rng.IntN(20)
	if len(st.accounts) > 0 {
		acct = st.accounts[rng.IntN(len(st.accounts))]
	}
	switch {
	case acct == nil || r < 4:
		o.kind = "account"
	case r < 6 && !acct.roleTried:
		o.kind, acct.roleTried = "role", true
	case r < 8 && !acct.memberTried:
		o.kind, acct.memberTried = "member", true
	case r < 14 && len(st.tokens) > 0:
		tok = st.tokens[rng.IntN(len(st.tokens))]
		if !tok.used {
			o.kind, tok.used = "rotate", true
			if r >= 12 {
				o.kind, st.deleted[tok.id] = "delete", true
			}
			break
		}
		fallthrough
	default:
		o.kind = "token"
	}
	st.names++
	o.name = fmt.Sprintf("crash-%d", st.names)
	if acct != nil {
		o.account = acct.id
	}
	if tok != nil && (o.kind == "rotate" || o.kind == "delete") {
		o.token, o.account = tok.id, tok.account
	}
	st.mu.Unlock()

	var status int
	var body map[string]any
	var err error
	expires := time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)
	switch o.kind {
	case "account":
		status, body, err = c.do(ctx, "POST", "/v3/system-accounts", st.admin, `{"name":"`+o.name+`","description":"crash"}`)
	case "token":
		status, body, err = c.do(ctx, "POST", "/v3/system-accounts/"+o.account+"/access-tokens", st.admin,
			`{"name":"`+o.name+`","expires_at":"`+expires+`"}`)
	case "rotate":
		overlap := []int{0, 3600}[rng.IntN(2)]
		status, body, err = c.do(ctx, "POST", "/v3/system-accounts/"+o.account+"/access-tokens/"+o.token+"/rotate", st.admin,
			fmt.Sprintf(`{"overlap_seconds":%d}`, overlap))
	case "delete":
		status, body, err = c.do(ctx, "DELETE", "/v3/system-accounts/"+o.account+"/access-tokens/"+o.token, st.admin, "")
	case "role":
		status, body, err = c.do(ctx, "POST", "/v3/system-accounts/"+o.account+"/assigned-roles", st.admin,
			`{"role_name":"Viewer","entity_type_name":"Control Planes","entity_id":"*","entity_region":"eu"}`)
	case "member":
		status, body, err = c.do(ctx, "POST", "/v3/teams/"+st.team+"/system-accounts", st.admin, `{"id":"`+o.account+`"}`)
	}
	switch {
	case err != nil && errors.Is(err, syscall.ECONNREFUSED):
		return // never sent: the server was already gone
	case err != nil:
		o.outcome = writeUnknown
	case status/100 == 2:
		o.outcome = writeAcked
	default:
		o.outcome = writeRefused
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.ops = append(st.ops, o)
	if o.outcome != writeAcked {
		return
	}
	switch o.kind {
	case "account":
		o.result = body["id"].(string)
		a := &crashAccount{id: o.result}
		st.accounts = append(st.accounts, a)
		st.byID[a.id] = a
	case "token", "rotate":
		o.result = body["id"].(string)
		st.tokens = append(st.tokens, &crashToken{id: o.result, account: o.account, value: body["token"].(string)})
	}
}

// crashInventory is the database's content, read under the store.
type crashInventory struct {
	accounts      map[string]string // id → name
	accountByName map[string]string
	tokens        map[string]*crashRow
	tokenByName   map[[2]string]string // account, name → id
	roles         map[string]int       // account → assignments
	members       map[[2]string]bool   // team, account
	events        map[string]int       // action|target|subject → count of successes
	eventRows     []crashEvent
	changes       map[[2]string]int // kind, id → rows
}

type crashRow struct{ id, account, user, name, pred, succ string }

type crashEvent struct{ action, targetType, target, subject, outcome string }

func readInventory(ctx context.Context, t *testing.T, raw *sql.DB) *crashInventory {
	t.Helper()
	inv := &crashInventory{accounts: map[string]string{}, accountByName: map[string]string{}, tokens: map[string]*crashRow{},
		tokenByName: map[[2]string]string{}, roles: map[string]int{}, members: map[[2]string]bool{},
		events: map[string]int{}, changes: map[[2]string]int{}}
	query := func(q string, scan func(rows *sql.Rows) error) {
		rows, err := raw.QueryContext(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	query(`SELECT id, name FROM system_accounts`, func(rows *sql.Rows) error {
		var id, name string
		err := rows.Scan(&id, &name)
		inv.accounts[id], inv.accountByName[name] = name, id
		return err
	})
	query(`SELECT id, COALESCE(account_id, ''), COALESCE(user_id, ''), name, COALESCE(predecessor_id, ''), COALESCE(successor_id, '')
		FROM tokens`, func(rows *sql.Rows) error {
		var r crashRow
		err := rows.Scan(&r.id, &r.account, &r.user, &r.name, &r.pred, &r.succ)
		inv.tokens[r.id] = &r
		inv.tokenByName[[2]string{r.account, r.name}] = r.id
		return err
	})
	query(`SELECT account_id FROM assigned_roles WHERE account_id IS NOT NULL`, func(rows *sql.Rows) error {
		var id string
		err := rows.Scan(&id)
		inv.roles[id]++
		return err
	})
	query(`SELECT team_id, account_id FROM team_members WHERE account_id IS NOT NULL`, func(rows *sql.Rows) error {
		var team, id string
		err := rows.Scan(&team, &id)
		inv.members[[2]string{team, id}] = true
		return err
	})
	query(`SELECT action, target_type, target_id, subject_account_id, outcome FROM audit_events`, func(rows *sql.Rows) error {
		var e crashEvent
		err := rows.Scan(&e.action, &e.targetType, &e.target, &e.subject, &e.outcome)
		inv.eventRows = append(inv.eventRows, e)
		if e.outcome == keyhold.OutcomeSuccess {
			inv.events[e.action+"|"+e.target+"|"+e.subject]++
		}
		return err
	})
	query(`SELECT kind, entity_id FROM changes`, func(rows *sql.Rows) error {
		var kind, id string
		err := rows.Scan(&kind, &id)
		inv.changes[[2]string{kind, id}]++
		return err
	})
	return inv
}

func (inv *crashInventory) event(action, target, subject string) bool {
	return inv.events[action+"|"+target+"|"+subject] > 0
}

func (inv *crashInventory) change(kind keyhold.ChangeKind, id string) bool {
	return inv.changes[[2]string{string(kind), id}] > 0
}

// find says whether op's write is in the database, and with which id.
func (inv *crashInventory) find(st *crashState, o *crashOp) (string, bool) {
	switch o.kind {
	case "account":
		id, ok := inv.accountByName[o.name]
		return id, ok
	case "token":
		if st.deleted[o.result] {
			return o.result, inv.event("token.created", o.result, o.account)
		}
		if o.result != "" {
			_, ok := inv.tokens[o.result]
			return o.result, ok
		}
		// Only a token whose id the load learned can have been rotated
		// and have given its name away.
		id, ok := inv.tokenByName[[2]string{o.account, o.name}]
		return id, ok
	case "rotate":
		// A predecessor is never deleted: only tokens not rotated are.
		if p := inv.tokens[o.token]; p != nil && p.succ != "" {
			return p.succ, true
		}
	case "delete":
		return o.token, inv.tokens[o.token] == nil
	case "role":
		return o.account, inv.roles[o.account] > 0
	case "member":
		return o.account, inv.members[[2]string{st.team, o.account}]
	}
	return "", false
}

// whole lists what is missing around a write that is present.
func (inv *crashInventory) whole(st *crashState, o *crashOp, id string) []string {
	var missing []string
	need := func(ok bool, what string) {
		if !ok {
			missing = append(missing, what)
		}
	}
	switch o.kind {
	case "account":
		need(inv.event("system_account.created", id, id), "its system_account.created event")
		need(inv.change(keyhold.ChangeSystemAccount, id), "its change row")
	case "token":
		if !st.deleted[id] {
			need(inv.tokens[id].account == o.account, "its owner")
		}
		need(inv.event("token.created", id, o.account), "its token.created event")
		need(inv.change(keyhold.ChangeToken, id), "its change row")
	case "rotate":
		if s := inv.tokens[id]; !st.deleted[id] {
			need(s != nil && s.pred == o.token && s.account == o.account, "the successor, linked to its predecessor")
		}
		need(inv.event("token.rotated", o.token, o.account), "its token.rotated event")
		need(inv.change(keyhold.ChangeToken, o.token), "the predecessor's change row")
		need(inv.change(keyhold.ChangeToken, id), "the successor's change row")
	case "delete":
		need(inv.event("token.deleted", id, o.account), "its token.deleted event")
		// One change row for its creation, one for its deletion.
		need(inv.changes[[2]string{string(keyhold.ChangeToken), id}] >= 2, "its change row")
	case "role":
		need(inv.event("role.assigned", id, id), "its role.assigned event")
		need(inv.change(keyhold.ChangeSystemAccount, id), "its change row")
	case "member":
		need(inv.event("team.member_added", st.team, id), "its team.member_added event")
		need(inv.change(keyhold.ChangeSystemAccount, id), "its change row")
	}
	return missing
}

// crashCheck compares the database with what the load learned, and checks
// that nothing in it is half-written.
func crashCheck(ctx context.Context, t *testing.T, raw *sql.DB, st *crashState, round int, n *crashCounts) {
	t.Helper()
	inv := readInventory(ctx, t, raw)
	st.mu.Lock()
	defer st.mu.Unlock()
	// 1. Acknowledged writes are present and whole; refused ones absent;
	// unknown ones absent or whole.
	for _, o := range st.ops {
		id, present := inv.find(st, o)
		if o.outcome == writeAcked {
			n.ackedChecks++
			if o.round == round-1 {
				n.ackedWrites++
				n.ackedByKind[o.kind]++
			}
			if !present {
				t.Errorf("round %d: acknowledged %s write %+v is lost", round, o.kind, *o)
				continue
			}
		}
		if present {
			if missing := inv.whole(st, o, id); len(missing) > 0 {
				t.Errorf("round %d: %s %s write %+v is present without %s", round, o.outcome, o.kind, *o, strings.Join(missing, ", "))
			}
		}
		if o.round != round-1 {
			continue
		}
		switch {
		case o.outcome == writeRefused && present:
			t.Errorf("round %d: a %s write answered with an error is present: %+v", round, o.kind, *o)
		case o.outcome == writeRefused:
			n.refused++
		case o.outcome == writeUnknown && present:
			n.unknownPresent++
		case o.outcome == writeUnknown:
			n.unknownAbsent++
		}
	}
	// 2. Nothing is half-present.
	bootstrapped := false
	for _, e := range inv.eventRows {
		bootstrapped = bootstrapped || e.action == "organization.bootstrapped"
	}
	for _, k := range inv.tokens {
		switch {
		case k.pred != "":
			p := inv.tokens[k.pred]
			if p == nil || p.succ != k.id || !inv.event("token.rotated", k.pred, k.account) {
				t.Errorf("round %d: successor %s without its predecessor's link or token.rotated event", round, k.id)
			}
		case k.user != "" && k.name == "bootstrap":
			if !bootstrapped {
				t.Errorf("round %d: the bootstrap token without organization.bootstrapped", round)
			}
		case !inv.event("token.created", k.id, k.account):
			t.Errorf("round %d: token %s without its token.created event", round, k.id)
		}
	}
	for id := range inv.accounts {
		if !inv.event("system_account.created", id, id) {
			t.Errorf("round %d: account %s without its system_account.created event", round, id)
		}
	}
	for id, count := range inv.roles {
		if inv.events["role.assigned|"+id+"|"+id] < count {
			t.Errorf("round %d: account %s has %d roles and fewer role.assigned events", round, id, count)
		}
	}
	for m := range inv.members {
		if !inv.event("team.member_added", m[0], m[1]) {
			t.Errorf("round %d: membership %v without its team.member_added event", round, m)
		}
	}
	want := map[[2]string]int{}
	for _, e := range inv.eventRows {
		kind, has := crashChangeOf[e.action]
		switch {
		case crashNoChange[e.action] || e.outcome != keyhold.OutcomeSuccess:
			continue
		case !has:
			t.Errorf("round %d: audit action %q is in neither crashNoChange nor crashChangeOf", round, e.action)
			continue
		}
		id := e.target
		switch e.action {
		case "role.assigned", "role.unassigned":
			kind = keyhold.ChangeKind(e.targetType)
		case "team.member_added", "team.member_removed":
			kind, id = keyhold.ChangeUser, e.subject
			if _, ok := inv.accounts[id]; ok {
				kind = keyhold.ChangeSystemAccount
			}
		case "token.rotated", "token.auto_rotated":
			if p := inv.tokens[e.target]; p != nil && p.succ != "" {
				want[[2]string{string(keyhold.ChangeToken), p.succ}]++
			} else {
				t.Errorf("round %d: a %s event of %s, whose token has no successor", round, e.action, e.target)
			}
		}
		want[[2]string{string(kind), id}]++
	}
	for k, count := range want {
		if inv.changes[k] < count {
			t.Errorf("round %d: %d audit events need a change of %s %s, and there are %d change rows", round, count, k[0], k[1], inv.changes[k])
		}
	}
}

// crashDecisions asks the restarted server and an index freshly built from
// the database the same questions about a sample of tokens.
func crashDecisions(ctx context.Context, t *testing.T, c *child, dbURL string, st *crashState, n *crashCounts) {
	t.Helper()
	db, err := store.Open(ctx, dbURL, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	fresh := service.New(service.Config{Store: db, Decider: service.DeciderConfig{AuthFailureLimit: -1}})
	if err := fresh.Feed.LoadIndex(ctx); err != nil {
		t.Fatal(err)
	}
	st.mu.Lock()
	sample := append([]*crashToken(nil), st.tokens...)
	st.mu.Unlock()
	rand.Shuffle(len(sample), func(i, j int) { sample[i], sample[j] = sample[j], sample[i] })
	sample = sample[:min(50, len(sample))]
	queries := []keyhold.RoleQuery{
		{}, // valid at all
		{RoleName: "Viewer", EntityTypeName: "Control Planes", EntityID: "cp-1", EntityRegion: "eu"}, // assigned to some
		{RoleName: "Viewer", EntityTypeName: "API Products", EntityID: "ap-1", EntityRegion: "eu"},   // the team's
		{RoleName: "Admin", EntityTypeName: "Control Planes", EntityID: "cp-1", EntityRegion: "eu"},  // held by none
	}
	statusOf := map[keyhold.DecisionOutcome]int{keyhold.DecisionAllowed: 200, keyhold.DecisionUnauthenticated: 401,
		keyhold.DecisionForbidden: 403, keyhold.DecisionRateLimited: 429}
	for _, tok := range sample {
		n.tokensSampled++
		for _, rq := range queries {
			q, err := fresh.Decider.Resolve(rq, "")
			if err != nil {
				t.Fatal(err)
			}
			want := statusOf[fresh.Decider.Decide(ctx, "crash", keyhold.Credentials{Bearer: tok.value}, q).Outcome]
			path := "/v1/authorize"
			if rq != (keyhold.RoleQuery{}) {
				path += "?" + url.Values{"role_name": {rq.RoleName}, "entity_type_name": {rq.EntityTypeName},
					"entity_id": {rq.EntityID}, "entity_region": {rq.EntityRegion}}.Encode()
			}
			got, _, err := c.do(ctx, "GET", path, tok.value, "")
			if err != nil {
				t.Fatal(err)
			}
			n.queriesCompared++
			n.verdicts[got]++
			if got != want {
				t.Errorf("token %s, %+v: the restarted server answers %d, a fresh index %d", tok.id, rq, got, want)
			}
		}
	}
}
