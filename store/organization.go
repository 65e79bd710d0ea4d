package store

import (
	"context"

	"github.com/keyhold/keyhold"
)

var orgMsgs = msgs{
	notFound: "The organization was not found",
	conflict: "The organization already exists",
}

// GetOrganization returns the organization; ENOTFOUND before bootstrap.
func (t *tx) GetOrganization(ctx context.Context) (*keyhold.Organization, error) {
	var o keyhold.Organization
	err := t.tx.QueryRowContext(ctx, `SELECT id, name, owner_id, login_path, state,
		retention_period_days, created_at, updated_at FROM organization`).Scan(
		&o.ID, &o.Name, &o.OwnerID, &o.LoginPath, &o.State,
		&o.RetentionPeriodDays, scanTime{&o.CreatedAt}, scanTime{&o.UpdatedAt})
	if err != nil {
		return nil, t.translate("get organization", err, orgMsgs)
	}
	return &o, nil
}

// UpdateOrganization stores the organization's retention and UpdatedAt.
func (t *tx) UpdateOrganization(ctx context.Context, o *keyhold.Organization) error {
	_, err := t.exec(ctx, `UPDATE organization SET retention_period_days = $1, updated_at = $2 WHERE id = $3`,
		o.RetentionPeriodDays, ts(o.UpdatedAt), o.ID)
	return t.translate("update organization", err, orgMsgs)
}

// CreateOrganization stores the organization; ECONFLICT when one exists.
func (t *tx) CreateOrganization(ctx context.Context, o *keyhold.Organization) error {
	_, err := t.exec(ctx, `INSERT INTO organization (id, name, owner_id, login_path, state,
		retention_period_days, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		o.ID, o.Name, o.OwnerID, o.LoginPath, o.State,
		o.RetentionPeriodDays, ts(o.CreatedAt), ts(o.UpdatedAt))
	return t.translate("create organization", err, orgMsgs)
}
