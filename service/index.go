package service

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/authz"
	"github.com/keyhold/keyhold/storage"
)

// gapTimeout is how long the change feed waits for a missing sequence
// number before treating it as a rolled-back transaction. On PostgreSQL a
// sequence number is taken at insert and becomes visible at commit, so a
// later number can be seen before an earlier one.
const gapTimeout = 10 * time.Second

// changeBatch bounds one read of the change feed.
const changeBatch = 1000

// feed is the replica's position in the change feed.
type feed struct {
	applied int64               // every change up to here has been applied
	seen    map[int64]bool      // applied changes above the position
	gaps    map[int64]time.Time // missing numbers, and when first noticed
	loaded  bool
	// caughtUp is when the feed was last read in full. A replica cut off
	// for longer than the feed keeps changes may have missed some, so it
	// reloads the whole index instead.
	caughtUp time.Time
}

// Feed keeps this replica's decision index current: it loads it, and
// applies the change feed, woken by the store's notifications and polling
// as a fallback. CatchUp serializes itself, so the feed, the jobs'
// catch-up and local writes never apply changes concurrently.
type Feed struct {
	*core
	poll    time.Duration
	watcher storage.ChangeWatcher
	mu      sync.Mutex
	feed    feed
	// loaded is read on every decision; an atomic keeps decisions off mu,
	// which the feed holds across database reads.
	loaded atomic.Bool
}

func newFeed(k *core, w storage.ChangeWatcher, c FeedConfig) *Feed {
	f := &Feed{core: k, poll: c.PollInterval, watcher: w}
	if f.poll <= 0 {
		f.poll = time.Second
	}
	return f
}

// Run follows the change feed until ctx ends: it catches up on every
// notification of the store and on every poll.
func (s *Feed) Run(ctx context.Context) {
	wake := make(chan struct{}, 1)
	notify := func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		if err := s.watcher.WatchChanges(ctx, notify); err != nil {
			s.log.Error("watch changes", "err", err)
		}
	})
	poll := time.NewTicker(s.poll)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-poll.C:
		}
		s.catchUpLogged(ctx)
	}
}

// Loaded reports whether the index has been loaded.
func (s *Feed) Loaded() bool { return s.loaded.Load() }

// LoadIndex builds the index from the database. It reads the feed position
// first, so that a change committed during the load is applied again
// afterwards rather than lost; applying a change twice is harmless.
func (s *Feed) LoadIndex(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loadIndexLocked(ctx)
}

func (s *Feed) loadIndexLocked(ctx context.Context) error {
	start := time.Now()
	var seq int64
	ix := authz.New(s.catalogue)
	err := s.read(ctx, func(tx storage.Tx) (err error) {
		if seq, err = tx.Changes().LastChangeSeq(ctx); err != nil {
			return err
		}
		return loadIndex(ctx, tx, ix, s.clock())
	})
	if err != nil {
		return fmt.Errorf("load index: %w", err)
	}
	s.index.Replace(ix)
	s.feed = feed{applied: seq, seen: map[int64]bool{}, gaps: map[int64]time.Time{}, loaded: true, caughtUp: time.Now()}
	s.loaded.Store(true)
	st := s.index.Stats()
	s.log.Info("index loaded", "tokens", st.Tokens, "principals", st.Principals, "teams", st.Teams, "duration_ms", time.Since(start).Milliseconds())
	return nil
}

func loadIndex(ctx context.Context, tx storage.Tx, ix *authz.Index, now time.Time) error {
	direct := map[keyhold.Ref][]authz.Grant{}
	teamGrants := map[string][]authz.Grant{}
	err := tx.Snapshot().ScanAssignedRoles(ctx, func(r *keyhold.AssignedRole) error {
		if g, ok := ix.GrantOf(r); ok {
			if r.Principal.Type == keyhold.PrincipalTeam {
				teamGrants[r.Principal.ID] = append(teamGrants[r.Principal.ID], g)
			} else {
				direct[r.Principal] = append(direct[r.Principal], g)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := tx.Snapshot().ScanTeams(ctx, func(t *keyhold.Team) error {
		ix.PutTeam(authz.TeamState{ID: t.ID, SystemKey: t.SystemKey, Grants: teamGrants[t.ID]})
		return nil
	}); err != nil {
		return err
	}
	teams := map[keyhold.Ref][]string{}
	if err := tx.Snapshot().ScanMemberships(ctx, func(teamID string, m keyhold.Ref) error {
		teams[m] = append(teams[m], teamID)
		return nil
	}); err != nil {
		return err
	}
	put := func(ref keyhold.Ref, name string, active bool) {
		ix.PutPrincipal(authz.PrincipalState{Ref: ref, Name: name, Active: active, Direct: direct[ref], Teams: teams[ref]})
	}
	if err := tx.Snapshot().ScanSystemAccounts(ctx, func(a *keyhold.SystemAccount) error {
		put(keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: a.ID}, a.Name, !a.Disabled)
		return nil
	}); err != nil {
		return err
	}
	if err := tx.Snapshot().ScanUsers(ctx, func(u *keyhold.User) error {
		put(keyhold.Ref{Type: keyhold.PrincipalUser, ID: u.ID}, u.Email, u.Active)
		return nil
	}); err != nil {
		return err
	}
	return loadTokens(ctx, tx, ix, now)
}

// tokenBatch is how many scanned tokens loadTokens hands over at once.
const tokenBatch = 4096

// loadTokens scans the tokens into ix. Decoding rows and filling the index
// run on two goroutines, so that on two cores filling the index (a quarter
// of a million-token load) adds no time to the scan.
func loadTokens(ctx context.Context, tx storage.Tx, ix *authz.Index, now time.Time) error {
	batches := make(chan []keyhold.Token, 4)
	var wg sync.WaitGroup
	wg.Go(func() {
		for b := range batches {
			for i := range b {
				ix.PutToken(&b[i])
			}
		}
	})
	batch := make([]keyhold.Token, 0, tokenBatch)
	err := tx.Snapshot().ScanTokens(ctx, now, func(t *keyhold.Token) error {
		// Each row's strings, digest and times are new values, so a copy
		// of the struct may outlive the callback.
		batch = append(batch, *t)
		if len(batch) == tokenBatch {
			batches <- batch
			batch = make([]keyhold.Token, 0, tokenBatch)
		}
		return nil
	})
	if len(batch) > 0 {
		batches <- batch
	}
	close(batches)
	wg.Wait()
	return err
}

// CatchUp applies every change committed since the last one applied. Local
// writes call it right after they commit, so that this replica's next
// request sees them; the change feed's notifications and a poll call it
// for changes made elsewhere.
func (s *Feed) CatchUp(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.feed.loaded {
		return nil
	}
	if time.Since(s.feed.caughtUp) > changeRetention/2 {
		s.log.Warn("the change feed may have been pruned past this replica; reloading the index", "last_caught_up", s.feed.caughtUp)
		return s.loadIndexLocked(ctx)
	}
	for {
		var changes []keyhold.Change
		err := s.read(ctx, func(tx storage.Tx) (err error) {
			changes, err = tx.Changes().ListChanges(ctx, s.feed.applied, changeBatch)
			if err != nil {
				return err
			}
			for i := range changes {
				c := &changes[i]
				if s.feed.seen[c.Seq] {
					continue
				}
				if err := s.apply(ctx, tx, c); err != nil {
					return err
				}
				s.feed.seen[c.Seq] = true
				s.observer.IndexLag(time.Since(c.At))
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("catch up: %w", err)
		}
		s.advance(changes)
		if len(changes) < changeBatch {
			s.feed.caughtUp = time.Now()
			return nil
		}
	}
}

// advance moves the position over applied changes, waiting at a missing
// number until it appears or gapTimeout passes.
func (s *Feed) advance(changes []keyhold.Change) {
	f := &s.feed
	var top int64
	for _, c := range changes {
		top = max(top, c.Seq)
	}
	for seq := range f.seen {
		top = max(top, seq)
	}
	now := time.Now()
	for next := f.applied + 1; next <= top; next++ {
		if f.seen[next] {
			delete(f.seen, next)
			delete(f.gaps, next)
			f.applied = next
			continue
		}
		first, ok := f.gaps[next]
		if !ok {
			f.gaps[next] = now
			return
		}
		if now.Sub(first) < gapTimeout {
			return
		}
		delete(f.gaps, next) // a rolled-back transaction's number
		f.applied = next
	}
}

// apply reloads what one change is about.
func (s *Feed) apply(ctx context.Context, tx storage.Tx, c *keyhold.Change) error {
	switch c.Kind {
	case keyhold.ChangeToken:
		return s.applyToken(ctx, tx, c)
	case keyhold.ChangeTeam:
		t, err := tx.Teams().GetTeam(ctx, c.ID)
		if keyhold.ErrorCode(err) == keyhold.ENOTFOUND {
			s.index.RemoveTeam(c.ID)
			return nil
		} else if err != nil {
			return err
		}
		ref := keyhold.Ref{Type: keyhold.PrincipalTeam, ID: t.ID}
		grants, err := s.grantsOf(ctx, tx, ref)
		if err != nil {
			return err
		}
		s.index.PutTeam(authz.TeamState{ID: t.ID, SystemKey: t.SystemKey, Grants: grants})
		return nil
	case keyhold.ChangeSystemAccount, keyhold.ChangeUser:
		return s.applyPrincipal(ctx, tx, keyhold.Ref{Type: keyhold.PrincipalType(c.Kind), ID: c.ID})
	}
	return nil
}

func (s *Feed) applyToken(ctx context.Context, tx storage.Tx, c *keyhold.Change) error {
	t, err := tx.Tokens().GetTokenByID(ctx, c.ID)
	if keyhold.ErrorCode(err) == keyhold.ENOTFOUND || err == nil && !t.Usable(s.clock()) {
		s.index.RemoveToken(c.Digest)
		return nil
	} else if err != nil {
		return err
	}
	if s.index.PutToken(t) {
		return nil
	}
	if err := s.applyPrincipal(ctx, tx, t.Owner); err != nil {
		return err
	}
	s.index.PutToken(t)
	return nil
}

func (s *Feed) applyPrincipal(ctx context.Context, tx storage.Tx, ref keyhold.Ref) error {
	st := authz.PrincipalState{Ref: ref, Active: true}
	var err error
	if ref.Type == keyhold.PrincipalUser {
		var u *keyhold.User
		if u, err = tx.Users().GetUser(ctx, ref.ID); err == nil {
			st.Name, st.Active = u.Email, u.Active
		}
	} else {
		var a *keyhold.SystemAccount
		if a, err = tx.Accounts().GetSystemAccount(ctx, ref.ID); err == nil {
			st.Name, st.Active = a.Name, !a.Disabled
		}
	}
	if keyhold.ErrorCode(err) == keyhold.ENOTFOUND {
		s.index.RemovePrincipal(ref)
		return nil
	} else if err != nil {
		return err
	}
	if st.Direct, err = s.grantsOf(ctx, tx, ref); err != nil {
		return err
	}
	if st.Teams, err = tx.Teams().ListMemberTeamIDs(ctx, ref); err != nil {
		return err
	}
	s.index.PutPrincipal(st)
	return nil
}

func (s *Feed) grantsOf(ctx context.Context, tx storage.Tx, ref keyhold.Ref) ([]authz.Grant, error) {
	rs, err := tx.Roles().ListAssignedRoles(ctx, ref, keyhold.AssignedRoleFilter{})
	if err != nil {
		return nil, err
	}
	var out []authz.Grant
	for _, r := range rs {
		if g, ok := s.index.GrantOf(r); ok {
			out = append(out, g)
		}
	}
	return out, nil
}

// changed records a change in the transaction of a write.
func (s *core) changed(ctx context.Context, tx storage.Tx, kind keyhold.ChangeKind, id string, digest []byte) error {
	return tx.Changes().AppendChange(ctx, &keyhold.Change{Kind: kind, ID: id, Digest: digest, At: s.clock()})
}

func principalChange(ref keyhold.Ref) keyhold.ChangeKind {
	switch ref.Type {
	case keyhold.PrincipalUser:
		return keyhold.ChangeUser
	case keyhold.PrincipalTeam:
		return keyhold.ChangeTeam
	}
	return keyhold.ChangeSystemAccount
}

// IndexStats returns the sizes of the decision index, for metrics.
func (s *Feed) IndexStats() authz.Stats { return s.index.Stats() }

// Index returns the decision index, for tests and tools that inspect it.
// The transports never see it: they get verdicts from the Decider.
func (s *Feed) Index() *authz.Index { return s.index }
