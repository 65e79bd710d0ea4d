package service

import (
	"context"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
)

const targetUser = "user"

// ListUsers implements keyhold.UserService.
func (s *Users) ListUsers(ctx context.Context, f keyhold.UserFilter) (*keyhold.List[*keyhold.User], error) {
	if err := s.authorize(ctx, "ListUsers", false); err != nil {
		return nil, err
	}
	var items []*keyhold.User
	var total int
	err := s.read(ctx, func(tx storage.Tx) (err error) { items, total, err = tx.Users().ListUsers(ctx, f); return err })
	if err != nil {
		return nil, err
	}
	return listOf(items, total, f.Page), nil
}

// GetUser implements keyhold.UserService.
func (s *Users) GetUser(ctx context.Context, id string) (*keyhold.User, error) {
	if err := s.authorize(ctx, "GetUser", false); err != nil {
		return nil, err
	}
	if err := validID("userId", id); err != nil {
		return nil, err
	}
	var u *keyhold.User
	err := s.read(ctx, func(tx storage.Tx) (err error) { u, err = tx.Users().GetUser(ctx, id); return err })
	return u, err
}

// CreateUser implements keyhold.UserService.
func (s *Users) CreateUser(ctx context.Context, in keyhold.UserCreate) (_ *keyhold.User, err error) {
	defer s.denied(ctx, "user.created", &err)
	if err = s.authorize(ctx, "CreateUser", false); err != nil {
		return nil, err
	}
	return s.addUser(ctx, in, true, "user.created")
}

// InviteUser implements keyhold.UserService. The user stays inactive, and
// cannot hold working tokens, until the invitation is accepted.
func (s *Users) InviteUser(ctx context.Context, in keyhold.UserInvite) (_ *keyhold.User, err error) {
	defer s.denied(ctx, "user.invited", &err)
	if err = s.authorize(ctx, "InviteUser", false); err != nil {
		return nil, err
	}
	return s.addUser(ctx, keyhold.UserCreate{Email: in.Email, FullName: in.FullName, PreferredName: in.PreferredName}, false, "user.invited")
}

// IssueSetupLink implements keyhold.UserService.
func (s *Users) IssueSetupLink(ctx context.Context, id string) (_ *keyhold.SetupLink, err error) {
	defer s.denied(ctx, "user.setup_link_issued", &err)
	if err = s.authorize(ctx, "IssueSetupLink", false); err != nil {
		return nil, err
	}
	if err := validID("userId", id); err != nil {
		return nil, err
	}
	secret, digest, err := newSecret()
	if err != nil {
		return nil, err
	}
	now := s.clock()
	link := &keyhold.SetupLink{Secret: secret, ExpiresAt: now.Add(defaultSetupTTL)}
	ev := s.audit(ctx, "user.setup_link_issued", targetUser, id, "")
	err = s.write(ctx, ev, func(tx storage.Tx) error {
		u, err := tx.Users().GetUser(ctx, id)
		if err != nil {
			return err
		}
		if !u.Active && !u.Invited {
			return keyhold.Errorf(keyhold.ECONFLICT, "The user is deactivated; activate them before they set a password")
		}
		// The link sets the user's password: whoever holds it signs in as
		// them.
		if err := s.mayActAs(ctx, tx, keyhold.Ref{Type: keyhold.PrincipalUser, ID: u.ID}, "A setup link for them"); err != nil {
			return err
		}
		ev.TargetName, link.User = u.Email, u
		return tx.Sessions().CreateSetupToken(ctx, digest, u.ID, now, link.ExpiresAt)
	})
	if err != nil {
		return nil, err
	}
	return link, nil
}

func (s *core) addUser(ctx context.Context, in keyhold.UserCreate, active bool, action string) (*keyhold.User, error) {
	var c checker
	c.email("email", in.Email)
	c.name("full_name", in.FullName, 0)
	c.name("preferred_name", in.PreferredName, 0)
	if in.Password != "" {
		c.text("password", in.Password, minPasswordLen, 1024)
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	now := s.clock()
	u := &keyhold.User{ID: newID(), Email: in.Email, FullName: in.FullName, PreferredName: in.PreferredName,
		Active: active, Invited: action == "user.invited", InferredRegion: "us", CreatedAt: now, UpdatedAt: now}
	if in.Password != "" {
		h, err := HashPassword(in.Password)
		if err != nil {
			return nil, err
		}
		u.PasswordHash = h
	}
	ev := s.audit(ctx, action, targetUser, u.ID, u.Email)
	err := s.write(ctx, ev, func(tx storage.Tx) error {
		if err := tx.Users().CreateUser(ctx, u); err != nil {
			return err
		}
		return s.changed(ctx, tx, keyhold.ChangeUser, u.ID, nil)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// UpdateUser implements keyhold.UserService.
func (s *Users) UpdateUser(ctx context.Context, id string, in keyhold.UserUpdate) (_ *keyhold.User, err error) {
	defer s.denied(ctx, "user.updated", &err)
	if err = s.authorize(ctx, "UpdateUser", false); err != nil {
		return nil, err
	}
	if err := validID("userId", id); err != nil {
		return nil, err
	}
	var c checker
	if in.FullName != nil {
		c.name("full_name", *in.FullName, 1)
	}
	if in.PreferredName != nil {
		c.name("preferred_name", *in.PreferredName, 0)
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	var u *keyhold.User
	ev := s.audit(ctx, "user.updated", targetUser, id, "")
	err = s.write(ctx, ev, func(tx storage.Tx) (err error) {
		if u, err = tx.Users().GetUser(ctx, id); err != nil {
			return err
		}
		before := *u
		if in.FullName != nil {
			u.FullName = *in.FullName
		}
		if in.PreferredName != nil {
			u.PreferredName = *in.PreferredName
		}
		u.UpdatedAt = s.clock()
		ev.TargetName = u.Email
		ev.Changes = keyhold.Changes{}.Add("full_name", before.FullName, u.FullName).
			Add("preferred_name", before.PreferredName, u.PreferredName)
		return tx.Users().UpdateUser(ctx, u)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// DeleteUser implements keyhold.UserService. The user's personal tokens go
// with them; system accounts they created keep working.
func (s *Users) DeleteUser(ctx context.Context, id string) (err error) {
	defer s.denied(ctx, "user.deleted", &err)
	if err = s.authorize(ctx, "DeleteUser", false); err != nil {
		return err
	}
	if err := validID("userId", id); err != nil {
		return err
	}
	ev := s.audit(ctx, "user.deleted", targetUser, id, "")
	return s.write(ctx, ev, func(tx storage.Tx) error {
		u, err := tx.Users().GetUser(ctx, id)
		if err != nil {
			return err
		}
		if err := keepAnAdmin(ctx, tx, "", id); err != nil {
			return err
		}
		ev.TargetName = u.Email
		if err := tx.Users().DeleteUser(ctx, id); err != nil {
			return err
		}
		return s.changed(ctx, tx, keyhold.ChangeUser, id, nil)
	})
}

var errLastAdmin = keyhold.Invalid(keyhold.FieldError{Field: "userId",
	Reason: "is the last active member of Organization Admin; add another admin first", Source: "path"})

// keepAnAdmin refuses to let the user leave the Organization Admin team
// (teamID, or whichever it is when teamID is "") when no other active user
// would remain in it. Nobody could administer keyhold afterwards, and
// Bootstrap refuses an initialized database, so there would be no way back.
func keepAnAdmin(ctx context.Context, tx storage.Tx, teamID, userID string) error {
	if teamID == "" {
		t, err := tx.Teams().GetTeamBySystemKey(ctx, teamOrgAdmin)
		if keyhold.ErrorCode(err) == keyhold.ENOTFOUND {
			return nil
		} else if err != nil {
			return err
		}
		teamID = t.ID
	} else if t, err := tx.Teams().GetTeam(ctx, teamID); err != nil || t.SystemKey != teamOrgAdmin {
		return err
	}
	// A user outside the team is never its only active member.
	active := true
	admins, total, err := tx.Teams().ListTeamUsers(ctx, teamID, keyhold.UserFilter{Active: &active, Page: keyhold.Page{Number: 1, Size: 2}})
	if err != nil {
		return err
	}
	if total == 1 && admins[0].ID == userID {
		return errLastAdmin
	}
	return nil
}

// Me implements keyhold.UserService.
func (s *Users) Me(ctx context.Context) (*keyhold.User, error) {
	if err := s.authorize(ctx, "Me", false); err != nil {
		return nil, err
	}
	p := keyhold.PrincipalFromContext(ctx)
	if p == nil {
		return nil, errNoToken
	}
	if p.Type != keyhold.PrincipalUser {
		return nil, keyhold.Errorf(keyhold.EFORBIDDEN, "System accounts have no user; use GET /v1/whoami")
	}
	var u *keyhold.User
	err := s.read(ctx, func(tx storage.Tx) (err error) { u, err = tx.Users().GetUser(ctx, p.ID); return err })
	return u, err
}

// ListAuditEvents implements keyhold.AuditService.
func (s *Audit) ListAuditEvents(ctx context.Context, f keyhold.AuditFilter) (*keyhold.List[*keyhold.AuditEvent], error) {
	if err := s.authorize(ctx, "ListAuditEvents", false); err != nil {
		return nil, err
	}
	if f.EmptyWindow() {
		return nil, keyhold.Invalid(keyhold.FieldError{Field: "until", Reason: "must be after since", Rule: "invalid"})
	}
	f.Action = renamedAction(f.Action)
	var items []*keyhold.AuditEvent
	var total int
	err := s.read(ctx, func(tx storage.Tx) (err error) { items, total, err = tx.Audit().ListAuditEvents(ctx, f); return err })
	if err != nil {
		return nil, err
	}
	return listOf(items, total, f.Page), nil
}

// renamedAction turns an action filter whose value is exactly a name that
// an earlier release wrote (keyhold.RenamedAuditActions) into one for the
// name that replaced it, so that saved queries and scripts of that release
// still find the events migration 0018 renamed.
func renamedAction(f *keyhold.StringFilter) *keyhold.StringFilter {
	if f == nil {
		return nil
	}
	if n, ok := keyhold.RenamedAuditActions[f.Value]; ok {
		return &keyhold.StringFilter{Op: f.Op, Value: n}
	}
	return f
}
