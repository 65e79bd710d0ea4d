package client

import (
	"context"
	"net/url"
	"strconv"

	"github.com/keyhold/keyhold/wire"
)

// Audit log types.
type (
	AuditCheckpoint  = wire.AuditCheckpoint
	AuditLeaf        = wire.AuditLeaf
	AuditKey         = wire.AuditKey
	InclusionProof   = wire.InclusionProof
	ConsistencyProof = wire.ConsistencyProof
)

func int64s(kv ...any) url.Values {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i].(string), strconv.FormatInt(kv[i+1].(int64), 10))
	}
	return q
}

// AuditKeys returns the audit log's public keys, retired ones too.
func (c *Client) AuditKeys(ctx context.Context) ([]AuditKey, error) {
	var out wire.AuditKeys
	err := c.do(ctx, "GET", "/v1/audit/keys", nil, nil, &out)
	return out.Data, err
}

// LatestAuditCheckpoint returns the latest signed checkpoint.
func (c *Client) LatestAuditCheckpoint(ctx context.Context) (*AuditCheckpoint, error) {
	var out AuditCheckpoint
	if err := c.do(ctx, "GET", "/v1/audit/checkpoint", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AuditCheckpoints returns up to limit checkpoints after seq after.
func (c *Client) AuditCheckpoints(ctx context.Context, after, limit int64) ([]AuditCheckpoint, error) {
	var out wire.AuditCheckpoints
	err := c.do(ctx, "GET", "/v1/audit/checkpoints", int64s("after", after, "limit", limit), nil, &out)
	return out.Data, err
}

// AuditLeaves returns up to limit leaves from index from, and the log's
// size.
func (c *Client) AuditLeaves(ctx context.Context, from, limit int64) ([]AuditLeaf, int64, error) {
	var out wire.AuditLeaves
	err := c.do(ctx, "GET", "/v1/audit/leaves", int64s("from", from, "limit", limit), nil, &out)
	return out.Data, out.Size, err
}

// AuditInclusionProof proves leaf seq is in the tree of size leaves.
func (c *Client) AuditInclusionProof(ctx context.Context, seq, size int64) (*InclusionProof, error) {
	var out InclusionProof
	if err := c.do(ctx, "GET", "/v1/audit/proof/inclusion", int64s("seq", seq, "size", size), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AuditConsistencyProof proves the tree of from leaves is a prefix of the
// tree of to leaves.
func (c *Client) AuditConsistencyProof(ctx context.Context, from, to int64) (*ConsistencyProof, error) {
	var out ConsistencyProof
	if err := c.do(ctx, "GET", "/v1/audit/proof/consistency", int64s("from", from, "to", to), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RotateAuditKey retires the current key of purpose (checkpoint or entry)
// and returns its successor.
func (c *Client) RotateAuditKey(ctx context.Context, purpose string) (*AuditKey, error) {
	var out AuditKey
	if err := c.do(ctx, "POST", "/v1/audit/keys/rotate", nil, map[string]string{"purpose": purpose}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AuditEventPages returns the audit events o selects, page by page, each
// page with the proof that its events are in the log (proofs=true).
func (c *Client) AuditEventPages(ctx context.Context, o ListOptions) ([]wire.AuditEventPage, error) {
	size := o.PageSize
	if size <= 0 {
		size = 100
	}
	var pages []wire.AuditEventPage
	seen := 0
	for number := 1; ; number++ {
		q := url.Values{}
		for k, v := range o.Query {
			q[k] = v
		}
		q.Set("page[size]", strconv.Itoa(size))
		q.Set("page[number]", strconv.Itoa(number))
		q.Set("proofs", "true")
		var p wire.AuditEventPage
		if err := c.do(ctx, "GET", "/v3/audit-events", q, nil, &p); err != nil {
			return nil, err
		}
		pages = append(pages, p)
		seen += len(p.Data)
		if len(p.Data) < size || seen >= p.Meta.Page.Total || (o.Limit > 0 && seen >= o.Limit) {
			return pages, nil
		}
	}
}
