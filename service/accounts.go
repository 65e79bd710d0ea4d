package service

import (
	"context"
	"fmt"
	"strings"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
)

const targetSystemAccount = "system_account"

// ListSystemAccounts implements keyhold.SystemAccountService.
func (s *Accounts) ListSystemAccounts(ctx context.Context, f keyhold.SystemAccountFilter) (*keyhold.List[*keyhold.SystemAccount], error) {
	if err := s.authorize(ctx, "ListSystemAccounts", false); err != nil {
		return nil, err
	}
	f.Now = s.clock()
	var items []*keyhold.SystemAccount
	var total int
	err := s.read(ctx, func(tx storage.Tx) (err error) {
		items, total, err = tx.Accounts().ListSystemAccounts(ctx, f)
		return err
	})
	if err != nil {
		return nil, err
	}
	return listOf(items, total, f.Page), nil
}

// ListAccountSummaries implements keyhold.SystemAccountService. It reads
// what ListSystemAccounts does, so it asks the same permission.
func (s *Accounts) ListAccountSummaries(ctx context.Context, f keyhold.SystemAccountFilter) (*keyhold.List[*keyhold.AccountSummary], error) {
	if err := s.authorize(ctx, "ListAccountSummaries", false); err != nil {
		return nil, err
	}
	f.Now = s.clock()
	var items []*keyhold.AccountSummary
	var total int
	err := s.read(ctx, func(tx storage.Tx) (err error) {
		items, total, err = tx.Accounts().ListAccountSummaries(ctx, f)
		return err
	})
	if err != nil {
		return nil, err
	}
	return listOf(items, total, f.Page), nil
}

// CreateSystemAccount implements keyhold.SystemAccountService. A managed
// account records its creator, the only principal that may change it.
func (s *Accounts) CreateSystemAccount(ctx context.Context, in keyhold.SystemAccountCreate) (_ *keyhold.SystemAccount, err error) {
	defer s.denied(ctx, "system_account.created", &err)
	if err = s.authorize(ctx, "CreateSystemAccount", false); err != nil {
		return nil, err
	}
	var c checker
	c.name("name", in.Name, 1)
	c.description(in.Description, 0)
	if err := c.err(); err != nil {
		return nil, err
	}
	now := s.clock()
	a := &keyhold.SystemAccount{ID: newID(), Name: in.Name, Description: in.Description, KonnectManaged: in.KonnectManaged, CreatedAt: now, UpdatedAt: now}
	if p := keyhold.PrincipalFromContext(ctx); in.KonnectManaged && p != nil {
		a.ManagedBy = p.Ref()
	}
	ev := s.audit(ctx, "system_account.created", targetSystemAccount, a.ID, a.Name)
	err = s.write(ctx, ev, func(tx storage.Tx) error {
		if err := tx.Accounts().CreateSystemAccount(ctx, a); err != nil {
			return err
		}
		if in.CreateTeam {
			if err := s.createAccountTeam(ctx, tx, a); err != nil {
				return err
			}
		}
		return s.changed(ctx, tx, keyhold.ChangeSystemAccount, a.ID, nil)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// GetSystemAccount implements keyhold.SystemAccountService.
func (s *Accounts) GetSystemAccount(ctx context.Context, id string) (*keyhold.SystemAccount, error) {
	if err := s.authorize(ctx, "GetSystemAccount", false); err != nil {
		return nil, err
	}
	if err := validID("accountId", id); err != nil {
		return nil, err
	}
	var a *keyhold.SystemAccount
	err := s.read(ctx, func(tx storage.Tx) (err error) {
		if a, err = tx.Accounts().GetSystemAccount(ctx, id); err != nil {
			return err
		}
		a.Locked, err = s.managedLock(ctx, tx, a)
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// UpdateSystemAccount implements keyhold.SystemAccountService.
func (s *Accounts) UpdateSystemAccount(ctx context.Context, id string, in keyhold.SystemAccountUpdate) (_ *keyhold.SystemAccount, err error) {
	defer s.denied(ctx, "system_account.updated", &err)
	if err = s.authorize(ctx, "UpdateSystemAccount", false); err != nil {
		return nil, err
	}
	if err := validID("accountId", id); err != nil {
		return nil, err
	}
	var c checker
	if in.Name != nil {
		c.name("name", *in.Name, 1)
	}
	if in.Description != nil {
		c.description(*in.Description, 0)
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	var a *keyhold.SystemAccount
	ev := s.audit(ctx, "system_account.updated", targetSystemAccount, id, "")
	err = s.write(ctx, ev, func(tx storage.Tx) (err error) {
		if a, err = s.manageableAccount(ctx, tx, id); err != nil {
			return err
		}
		before := *a
		if in.Name != nil {
			a.Name = *in.Name
		}
		if in.Description != nil {
			a.Description = *in.Description
		}
		a.UpdatedAt = s.clock()
		ev.TargetName = a.Name
		ev.Changes = keyhold.Changes{}.Add("name", before.Name, a.Name).Add("description", before.Description, a.Description)
		if err := tx.Accounts().UpdateSystemAccount(ctx, a); err != nil {
			return err
		}
		return s.changed(ctx, tx, keyhold.ChangeSystemAccount, a.ID, nil)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// DeleteSystemAccount implements keyhold.SystemAccountService. Its tokens
// stop working at once, since authentication reads the store.
func (s *Accounts) DeleteSystemAccount(ctx context.Context, id string) (err error) {
	defer s.denied(ctx, "system_account.deleted", &err)
	if err = s.authorize(ctx, "DeleteSystemAccount", false); err != nil {
		return err
	}
	if err := validID("accountId", id); err != nil {
		return err
	}
	ev := s.audit(ctx, "system_account.deleted", targetSystemAccount, id, "")
	return s.write(ctx, ev, func(tx storage.Tx) error {
		a, err := s.manageableAccount(ctx, tx, id)
		if err != nil {
			return err
		}
		ev.TargetName = a.Name
		if err := s.emitAccount(ctx, tx, keyhold.EventAccountDeleted, a); err != nil {
			return err
		}
		if err := tx.Accounts().DeleteSystemAccount(ctx, id); err != nil {
			return err
		}
		return s.changed(ctx, tx, keyhold.ChangeSystemAccount, id, nil)
	})
}

// createAccountTeam creates a team named after a new account, with the
// account as its member, in the account's transaction.
func (s *core) createAccountTeam(ctx context.Context, tx storage.Tx, a *keyhold.SystemAccount) error {
	desc := "Team of the system account " + a.Name
	if len([]rune(desc)) > maxDescriptionLen {
		desc = string([]rune(desc)[:maxDescriptionLen])
	}
	t := &keyhold.Team{ID: newID(), Name: a.Name, Description: &desc, Labels: map[string]string{}, CreatedAt: a.CreatedAt, UpdatedAt: a.CreatedAt}
	member := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: a.ID}
	for _, step := range []func() error{
		func() error { return tx.Teams().CreateTeam(ctx, t) },
		func() error { return tx.Teams().AddTeamMember(ctx, t.ID, member, a.CreatedAt) },
		func() error {
			return tx.Audit().AppendAuditEvent(ctx, s.auditOf(ctx, "team.created", targetTeam, t.ID, t.Name, a.ID))
		},
		func() error {
			ev := s.auditOf(ctx, "team.member_added", targetTeam, t.ID, t.Name, a.ID)
			ev.Changes = keyhold.Changes{}.Add("member", nil, a.ID)
			return tx.Audit().AppendAuditEvent(ctx, ev)
		},
		func() error { return s.changed(ctx, tx, keyhold.ChangeTeam, t.ID, nil) },
	} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// SetSystemAccountDisabled implements keyhold.SystemAccountService.
func (s *Accounts) SetSystemAccountDisabled(ctx context.Context, id string, disabled bool) (_ *keyhold.SystemAccount, err error) {
	defer s.denied(ctx, disabledAction(disabled), &err)
	if err = s.authorize(ctx, "SetSystemAccountDisabled", false); err != nil {
		return nil, err
	}
	if err := validID("accountId", id); err != nil {
		return nil, err
	}
	action := "system_account.enabled"
	if disabled {
		action = "system_account.disabled"
	}
	var a *keyhold.SystemAccount
	ev := s.audit(ctx, action, targetSystemAccount, id, "")
	err = s.write(ctx, ev, func(tx storage.Tx) (err error) {
		if a, err = s.manageableAccount(ctx, tx, id); err != nil {
			return err
		}
		ev.TargetName = a.Name
		// An idempotent request changes nothing, and says so.
		ev.Changes = keyhold.Changes{}.Add("disabled", a.Disabled, disabled)
		if a.Disabled == disabled {
			return nil // idempotent; the event still records the request
		}
		// Enabling lets every token of the account work again.
		if !disabled {
			if err := s.mayActAs(ctx, tx, keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: a.ID}, "Enabling it"); err != nil {
				return err
			}
		}
		a.Disabled, a.UpdatedAt = disabled, s.clock()
		if err := tx.Accounts().UpdateSystemAccount(ctx, a); err != nil {
			return err
		}
		if disabled {
			if err := s.emitAccount(ctx, tx, keyhold.EventAccountDisabled, a); err != nil {
				return err
			}
		}
		return s.changed(ctx, tx, keyhold.ChangeSystemAccount, a.ID, nil)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// manageableAccount loads an account that the caller may change, as
// managedLock decides.
func (s *core) manageableAccount(ctx context.Context, tx storage.Tx, id string) (*keyhold.SystemAccount, error) {
	a, err := tx.Accounts().GetSystemAccount(ctx, id)
	if err != nil {
		return nil, err
	}
	if why, err := s.managedLock(ctx, tx, a); err != nil {
		return nil, err
	} else if why != "" {
		return nil, &keyhold.Error{Code: keyhold.EFORBIDDEN, Message: why}
	}
	return a, nil
}

// managedLock says why the caller may not change the account a, its
// tokens or its roles, or "" when it may as far as management goes: any
// unmanaged account, a managed one that the caller itself manages, or a
// managed one whose manager no longer exists, so that an orphan can still
// be cleaned up by those who may write identities. Permissions are
// checked apart.
func (s *core) managedLock(ctx context.Context, tx storage.Tx, a *keyhold.SystemAccount) (string, error) {
	if !a.KonnectManaged {
		return "", nil
	}
	if p := keyhold.PrincipalFromContext(ctx); p != nil && p.Ref() == a.ManagedBy {
		return "", nil
	}
	switch err := ownerExists(ctx, tx, a.ManagedBy); keyhold.ErrorCode(err) {
	case keyhold.ENOTFOUND:
		return "", nil
	case "":
		return fmt.Sprintf("The system account %q is managed by the integration that created it (%s %s); only that principal may change it, its tokens or its roles",
			a.Name, strings.ReplaceAll(string(a.ManagedBy.Type), "_", " "), a.ManagedBy.ID), nil
	default:
		return "", err
	}
}

// changeableOwner checks, inside a write, that a token owner or role holder
// exists and that the caller may change what it holds.
func (s *core) changeableOwner(ctx context.Context, tx storage.Tx, owner keyhold.Ref) error {
	if owner.Type == keyhold.PrincipalSystemAccount {
		_, err := s.manageableAccount(ctx, tx, owner.ID)
		return err
	}
	return principalExists(ctx, tx, owner)
}

// account loads an account that must exist.
func accountExists(ctx context.Context, tx storage.Tx, id string) error {
	_, err := tx.Accounts().GetSystemAccount(ctx, id)
	return err
}
