package bench

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/store"
)

// The synthetic organization's roles, and the permission DefaultPath asks
// for: Viewer of every control plane in eu, held through the teams, so
// that a decision walks the principal's grants; and Admin of one control
// plane in us, held directly by each account.
const (
	seedEntityType = "Control Planes"
	seedTeamRole   = "Viewer"
	seedTeamRegion = "eu"
	seedDirectRole = "Admin"
	seedDirectReg  = "us"
)

// DefaultPath is the decision `bench load` asks for: a role that every
// seeded account holds through its team. The baseline server ignores the
// query.
const DefaultPath = "/v1/authorize?role_name=Viewer&entity_type_name=Control%20Planes" +
	"&entity_id=11111111-1111-4111-8111-111111111111&entity_region=eu"

// SeedConfig is the shape of a synthetic organization. Zero Accounts and
// Teams default to Tokens/10 and Tokens/100, at least one each.
type SeedConfig struct {
	Tokens, Accounts, Teams int
	// TokenTTL is how long the tokens live; default a year.
	TokenTTL time.Duration
	// Now is the creation time; default time.Now.
	Now func() time.Time
}

func (c *SeedConfig) defaults() {
	if c.Accounts <= 0 {
		c.Accounts = max(c.Tokens/10, 1)
	}
	if c.Teams <= 0 {
		c.Teams = max(c.Tokens/100, 1)
	}
	if c.TokenTTL <= 0 {
		c.TokenTTL = 365 * 24 * time.Hour
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// SeedResult is what Seed made, and how long each part took.
type SeedResult struct {
	// Values are the token values, in the order of the tokens.
	Values             []string
	Accounts, Teams    int
	Generate, BulkLoad time.Duration
}

// Seed generates a synthetic organization and writes it with BulkLoad:
// accounts with one direct role each, teams with one role each, each
// account in one team, and tokens spread over the accounts. Names carry a
// random run id, so that a database can be seeded more than once. The
// database must already hold an organization (bootstrapped): Seed writes
// only the synthetic principals.
func Seed(ctx context.Context, db *store.DB, cfg SeedConfig) (*SeedResult, error) {
	cfg.defaults()
	start := time.Now()
	b, values, err := Generate(cfg)
	if err != nil {
		return nil, err
	}
	res := &SeedResult{Values: values, Accounts: len(b.Accounts), Teams: len(b.Teams), Generate: time.Since(start)}
	start = time.Now()
	if err := BulkLoad(ctx, db, b); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	res.BulkLoad = time.Since(start)
	return res, nil
}

// Generate builds the data set of Seed, and the token values whose
// digests it holds.
func Generate(cfg SeedConfig) (*Bulk, []string, error) {
	cfg.defaults()
	now := cfg.Now().UTC().Truncate(time.Microsecond)
	run := uuid.NewString()[:8]
	b := &Bulk{
		Accounts:    make([]keyhold.SystemAccount, cfg.Accounts),
		Teams:       make([]keyhold.Team, cfg.Teams),
		Memberships: make([]Membership, cfg.Accounts),
		Roles:       make([]keyhold.AssignedRole, 0, cfg.Teams+cfg.Accounts),
	}
	for t := range b.Teams {
		desc := "Synthetic team of the benchmark"
		b.Teams[t] = keyhold.Team{ID: uuid.NewString(), Name: fmt.Sprintf("bench-%s-team-%d", run, t),
			Description: &desc, Labels: map[string]string{}, CreatedAt: now, UpdatedAt: now}
		b.Roles = append(b.Roles, keyhold.AssignedRole{ID: uuid.NewString(),
			Principal: keyhold.Ref{Type: keyhold.PrincipalTeam, ID: b.Teams[t].ID},
			RoleName:  seedTeamRole, EntityTypeName: seedEntityType, EntityID: keyhold.AnyEntity,
			EntityRegion: seedTeamRegion, CreatedAt: now})
	}
	for a := range b.Accounts {
		acct := keyhold.SystemAccount{ID: uuid.NewString(), Name: fmt.Sprintf("bench-%s-account-%d", run, a),
			Description: "Synthetic account of the benchmark", CreatedAt: now, UpdatedAt: now}
		b.Accounts[a] = acct
		ref := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: acct.ID}
		b.Memberships[a] = Membership{TeamID: b.Teams[a%cfg.Teams].ID, Member: ref, At: now}
		b.Roles = append(b.Roles, keyhold.AssignedRole{ID: uuid.NewString(), Principal: ref,
			RoleName: seedDirectRole, EntityTypeName: seedEntityType, EntityID: uuid.NewString(),
			EntityRegion: seedDirectReg, CreatedAt: now})
	}
	tokens, values, err := generateTokens(cfg, b.Accounts, run, now)
	if err != nil {
		return nil, nil, err
	}
	b.Tokens = tokens
	return b, values, nil
}

// generateTokens makes the token values and rows on every core: a value
// costs a few microseconds of base62 arithmetic and a SHA-256, which at a
// million tokens is seconds on one core.
func generateTokens(cfg SeedConfig, accounts []keyhold.SystemAccount, run string, now time.Time) ([]keyhold.Token, []string, error) {
	tokens := make([]keyhold.Token, cfg.Tokens)
	values := make([]string, cfg.Tokens)
	expires := now.Add(cfg.TokenTTL)
	workers := runtime.GOMAXPROCS(0)
	chunk := (cfg.Tokens + workers - 1) / max(workers, 1)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w * chunk; i < min((w+1)*chunk, cfg.Tokens); i++ {
				v, err := keyhold.GenerateTokenValue(keyhold.TokenKindSystemAccount)
				if err != nil {
					errs[w] = err
					return
				}
				values[i] = v
				tokens[i] = keyhold.Token{ID: uuid.NewString(), Kind: keyhold.TokenKindSystemAccount,
					Owner: keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: accounts[i%len(accounts)].ID},
					Name:  fmt.Sprintf("bench-%s-token-%d", run, i), Digest: keyhold.TokenDigest(v),
					CreatedAt: now, UpdatedAt: now, ExpiresAt: &expires}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, nil, fmt.Errorf("seed: %w", err)
		}
	}
	return tokens, values, nil
}
