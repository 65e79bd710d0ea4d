package service_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/service"
	"github.com/keyhold/keyhold/storage"
	"github.com/keyhold/keyhold/store"
	"github.com/keyhold/keyhold/store/storetest"
)

// These tests hold the rules that need a whole set past the largest page
// (keyhold.MaxPageSize rows): each puts more than a page of rows in front
// of the ones the rule must see.

// pagesEnv is a bootstrapped service over a fresh database.
type pagesEnv struct {
	t       *testing.T
	db      *store.DB
	svc     *service.Service
	now     time.Time
	admin   context.Context
	adminID string
}

func newPagesEnv(t *testing.T, db *store.DB) *pagesEnv {
	now := time.Now().UTC().Truncate(time.Second)
	e := &pagesEnv{t: t, db: db, now: now}
	e.svc = service.New(service.Config{Store: db, Now: func() time.Time { return now },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx := context.Background()
	tok, err := e.svc.Orgs.Bootstrap(service.AsSystem(ctx), service.BootstrapInput{OrgName: "Acme", AdminEmail: "admin@example.com"})
	if err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	if err := e.svc.Feed.LoadIndex(ctx); err != nil {
		t.Fatalf("load index: %v", err)
	}
	e.adminID = tok.Owner.ID
	e.admin = e.as(tok.Value)
	return e
}

// as returns a context whose caller is the token value.
func (e *pagesEnv) as(value string) context.Context {
	p, err := e.svc.Decider.Authenticate(context.Background(), keyhold.Credentials{Bearer: value})
	if err != nil {
		e.t.Fatalf("authenticate: %v", err)
	}
	return keyhold.NewContextWithPrincipal(context.Background(), p)
}

// bulk writes rows straight to the store in one transaction.
func (e *pagesEnv) bulk(fn func(ctx context.Context, tx storage.Tx) error) {
	e.t.Helper()
	ctx := context.Background()
	if err := e.db.Write(ctx, func(tx storage.Tx) error { return fn(ctx, tx) }); err != nil {
		e.t.Fatalf("bulk write: %v", err)
	}
}

// teams creates n teams at created, with member in each, and returns them.
func teams(ctx context.Context, tx storage.Tx, n int, created time.Time, member keyhold.Ref) ([]*keyhold.Team, error) {
	out := make([]*keyhold.Team, n)
	for i := range n {
		tm := &keyhold.Team{ID: uuid.NewString(), Name: fmt.Sprintf("team-%04d", i), CreatedAt: created, UpdatedAt: created}
		if err := tx.Teams().CreateTeam(ctx, tm); err != nil {
			return nil, err
		}
		if err := tx.Teams().AddTeamMember(ctx, tm.ID, member, created); err != nil {
			return nil, err
		}
		out[i] = tm
	}
	return out, nil
}

func pat(owner keyhold.Ref, name string, created, expires time.Time) *keyhold.Token {
	d := sha256.Sum256([]byte(name + owner.ID))
	return &keyhold.Token{ID: uuid.NewString(), Kind: keyhold.TokenKindPersonal, Owner: owner, Name: name,
		Digest: d[:], CreatedAt: created, UpdatedAt: created, ExpiresAt: &expires}
}

// A user's oldest thousand personal tokens are revoked; the ten active
// ones come after them, and an eleventh is still refused.
func TestPATLimitCountsPastTheFirstPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newPagesEnv(t, db)
		owner := keyhold.Ref{Type: keyhold.PrincipalUser, ID: e.adminID}
		e.bulk(func(ctx context.Context, tx storage.Tx) error {
			old := e.now.Add(-2 * time.Hour)
			for i := range keyhold.MaxPageSize {
				k := pat(owner, fmt.Sprintf("revoked-%04d", i), old, e.now.Add(time.Hour))
				k.RevokedAt = &old
				if err := tx.Tokens().CreateToken(ctx, k); err != nil {
					return err
				}
			}
			// Bootstrap minted one active token; nine more make ten.
			for i := range 9 {
				if err := tx.Tokens().CreateToken(ctx, pat(owner, fmt.Sprintf("active-%d", i), e.now.Add(-time.Hour), e.now.Add(time.Hour))); err != nil {
					return err
				}
			}
			return nil
		})
		ttl := 24 * time.Hour
		_, err := e.svc.Tokens.CreateToken(e.admin, owner, keyhold.TokenCreate{Name: "eleventh", TTL: &ttl})
		if keyhold.ErrorCode(err) != keyhold.ECONFLICT {
			t.Fatalf("the eleventh active personal token: err = %v, want ECONFLICT", err)
		}
	})
}

// The last admin belongs to a thousand teams older than Organization
// Admin; deleting them is still refused.
func TestLastAdminGuardSeesPastTheFirstPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newPagesEnv(t, db)
		admin := keyhold.Ref{Type: keyhold.PrincipalUser, ID: e.adminID}
		e.bulk(func(ctx context.Context, tx storage.Tx) error {
			_, err := teams(ctx, tx, keyhold.MaxPageSize, e.now.Add(-time.Hour), admin)
			return err
		})
		ctx := service.AsSystem(context.Background())
		err := e.svc.Users.DeleteUser(ctx, e.adminID)
		if keyhold.ErrorCode(err) != keyhold.EINVALID {
			t.Fatalf("deleting the last admin: err = %v, want EINVALID", err)
		}
		if _, err := e.svc.Users.GetUser(ctx, e.adminID); err != nil {
			t.Fatalf("the last admin is gone: %v", err)
		}
		_, err = e.svc.Sessions.SetUserActive(ctx, e.adminID, false)
		if keyhold.ErrorCode(err) != keyhold.EINVALID {
			t.Fatalf("deactivating the last admin: err = %v, want EINVALID", err)
		}
	})
}

// An account is in a thousand and one teams; only the newest grants it
// anything. When a change reloads the account, the index keeps that grant.
func TestIndexKeepsTeamGrantsPastTheFirstPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newPagesEnv(t, db)
		a := &keyhold.SystemAccount{ID: uuid.NewString(), Name: "many-teams", CreatedAt: e.now, UpdatedAt: e.now}
		ref := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: a.ID}
		e.bulk(func(ctx context.Context, tx storage.Tx) error {
			if err := tx.Accounts().CreateSystemAccount(ctx, a); err != nil {
				return err
			}
			if _, err := teams(ctx, tx, keyhold.MaxPageSize, e.now.Add(-time.Hour), ref); err != nil {
				return err
			}
			last, err := teams(ctx, tx, 1, e.now.Add(-time.Minute), ref)
			if err != nil {
				return err
			}
			err = tx.Roles().CreateAssignedRole(ctx, &keyhold.AssignedRole{ID: uuid.NewString(), Principal: keyhold.Ref{Type: keyhold.PrincipalTeam, ID: last[0].ID},
				RoleName: "Admin", EntityTypeName: "Identity", EntityID: "*", EntityRegion: "*", CreatedAt: e.now})
			if err != nil {
				return err
			}
			// The changes a service's writes would have recorded.
			if err := tx.Changes().AppendChange(ctx, &keyhold.Change{Kind: keyhold.ChangeTeam, ID: last[0].ID, At: e.now}); err != nil {
				return err
			}
			return tx.Changes().AppendChange(ctx, &keyhold.Change{Kind: keyhold.ChangeSystemAccount, ID: a.ID, At: e.now})
		})
		if err := e.svc.Feed.CatchUp(context.Background()); err != nil {
			t.Fatal(err)
		}
		m, err := e.svc.Tokens.CreateToken(e.admin, ref, keyhold.TokenCreate{Name: "t"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Accounts.ListSystemAccounts(e.as(m.Value), keyhold.SystemAccountFilter{Page: keyhold.Page{Number: 1, Size: 1}}); err != nil {
			t.Fatalf("the role of the account's newest team was lost: %v", err)
		}
	})
}

// A thousand destinations that want no token.expiring come before the one
// that does; the warning is still queued for it.
func TestExpiryWarningsSeeEveryDestination(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newPagesEnv(t, db)
		wanted := &keyhold.WebhookDestination{ID: uuid.NewString(), Name: "wanted", URL: "https://hooks.example.com/w",
			EventTypes: []string{keyhold.EventTokenExpiring}, Enabled: true, CreatedAt: e.now, UpdatedAt: e.now}
		e.bulk(func(ctx context.Context, tx storage.Tx) error {
			old := e.now.Add(-time.Hour)
			for i := range keyhold.MaxPageSize {
				d := &keyhold.WebhookDestination{ID: uuid.NewString(), Name: fmt.Sprintf("other-%04d", i), URL: "https://hooks.example.com/o",
					EventTypes: []string{keyhold.EventTokenRevoked}, Enabled: true, CreatedAt: old, UpdatedAt: old}
				if err := tx.Webhooks().CreateWebhook(ctx, d, []byte("sealed")); err != nil {
					return err
				}
			}
			return tx.Webhooks().CreateWebhook(ctx, wanted, []byte("sealed"))
		})
		owner := keyhold.Ref{Type: keyhold.PrincipalUser, ID: e.adminID}
		ttl := 2 * 24 * time.Hour
		if _, err := e.svc.Tokens.CreateToken(e.admin, owner, keyhold.TokenCreate{Name: "soon", TTL: &ttl}); err != nil {
			t.Fatal(err)
		}
		e.svc.Jobs.RunJobs(context.Background())
		var n int
		err := db.Read(context.Background(), func(tx storage.Tx) (err error) {
			_, n, err = tx.Deliveries().ListDeliveries(context.Background(), wanted.ID, keyhold.Page{Number: 1, Size: 10})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("%d deliveries to the destination that wants token.expiring, want 1", n)
		}
	})
}

// A thousand auto-rotate tokens that expire first but go nowhere (their
// account has no destination) come before one that has a destination; it
// still gets its token.auto_rotated delivery.
func TestAutoRotationSeesPastTheFirstBatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newPagesEnv(t, db)
		quiet := &keyhold.SystemAccount{ID: uuid.NewString(), Name: "quiet", CreatedAt: e.now, UpdatedAt: e.now}
		heard := &keyhold.SystemAccount{ID: uuid.NewString(), Name: "heard", CreatedAt: e.now, UpdatedAt: e.now}
		dest := &keyhold.WebhookDestination{ID: uuid.NewString(), Name: "rotator", URL: "https://hooks.example.com/r",
			EventTypes: []string{keyhold.EventTokenAutoRotated}, SystemAccountID: heard.ID, Enabled: true, CreatedAt: e.now, UpdatedAt: e.now}
		created := e.now.Add(-30 * 24 * time.Hour)
		auto := func(owner *keyhold.SystemAccount, name string, expires time.Time) *keyhold.Token {
			d := sha256.Sum256([]byte(owner.ID + name))
			return &keyhold.Token{ID: uuid.NewString(), Kind: keyhold.TokenKindSystemAccount, Owner: keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: owner.ID},
				Name: name, Digest: d[:], CreatedAt: created, UpdatedAt: created, ExpiresAt: &expires, AutoRotate: true}
		}
		target := auto(heard, "wanted", e.now.Add(2*24*time.Hour))
		e.bulk(func(ctx context.Context, tx storage.Tx) error {
			for _, a := range []*keyhold.SystemAccount{quiet, heard} {
				if err := tx.Accounts().CreateSystemAccount(ctx, a); err != nil {
					return err
				}
			}
			for i := range keyhold.MaxPageSize {
				if err := tx.Tokens().CreateToken(ctx, auto(quiet, fmt.Sprintf("t-%04d", i), e.now.Add(24*time.Hour))); err != nil {
					return err
				}
			}
			if err := tx.Tokens().CreateToken(ctx, target); err != nil {
				return err
			}
			return tx.Webhooks().CreateWebhook(ctx, dest, []byte("sealed"))
		})
		e.svc.Jobs.RunJobs(context.Background())
		if n := deliveries(t, db, dest.ID); n != 1 {
			t.Fatalf("%d token.auto_rotated deliveries for the token behind a thousand others, want 1", n)
		}
	})
}

// A thousand rotating tokens whose overlap ends first and which are still
// in use come before one that is idle and asked to be revoked when idle;
// it is revoked.
func TestRetireRotationsSeesPastTheFirstBatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newPagesEnv(t, db)
		a := &keyhold.SystemAccount{ID: uuid.NewString(), Name: "rotating", CreatedAt: e.now, UpdatedAt: e.now}
		ref := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: a.ID}
		old := e.now.Add(-48 * time.Hour)
		tok := func(name string) *keyhold.Token {
			d := sha256.Sum256([]byte(name))
			exp := e.now.Add(30 * 24 * time.Hour)
			return &keyhold.Token{ID: uuid.NewString(), Kind: keyhold.TokenKindSystemAccount, Owner: ref, Name: name, Digest: d[:],
				CreatedAt: old, UpdatedAt: old, ExpiresAt: &exp}
		}
		succ := tok("successor")
		succ.LastUsedAt = &e.now
		idle := time.Hour
		soon, later := e.now.Add(time.Hour), e.now.Add(24*time.Hour)
		target := tok("idle")
		target.SuccessorID, target.RotationDeadline, target.RevokeWhenIdle = &succ.ID, &later, &idle
		e.bulk(func(ctx context.Context, tx storage.Tx) error {
			if err := tx.Accounts().CreateSystemAccount(ctx, a); err != nil {
				return err
			}
			if err := tx.Tokens().CreateToken(ctx, succ); err != nil {
				return err
			}
			for i := range keyhold.MaxPageSize {
				k := tok(fmt.Sprintf("busy-%04d", i))
				k.SuccessorID, k.RotationDeadline, k.LastUsedAt = &succ.ID, &soon, &e.now
				if err := tx.Tokens().CreateToken(ctx, k); err != nil {
					return err
				}
			}
			return tx.Tokens().CreateToken(ctx, target)
		})
		e.svc.Jobs.RunJobs(context.Background())
		var got *keyhold.Token
		if err := db.Read(context.Background(), func(tx storage.Tx) (err error) {
			got, err = tx.Tokens().GetTokenByID(context.Background(), target.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if got.RevokedAt == nil {
			t.Fatal("the idle rotated token behind a thousand others was not revoked")
		}
	})
}

func deliveries(t *testing.T, db *store.DB, destID string) int {
	t.Helper()
	var n int
	err := db.Read(context.Background(), func(tx storage.Tx) (err error) {
		_, n, err = tx.Deliveries().ListDeliveries(context.Background(), destID, keyhold.Page{Number: 1, Size: 10})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
