package service

import (
	"context"
	"maps"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
)

const targetTeam = "team"

var errSystemTeam = keyhold.Invalid(keyhold.FieldError{Field: "teamID", Reason: "system teams cannot be modified", Source: "path"})

// ListTeams implements keyhold.TeamService. It counts the members of the
// page's teams in the same read, with one query for the whole page.
func (s *Teams) ListTeams(ctx context.Context, f keyhold.TeamFilter) (*keyhold.List[*keyhold.Team], error) {
	if err := s.authorize(ctx, "ListTeams", false); err != nil {
		return nil, err
	}
	var items []*keyhold.Team
	var total int
	err := s.read(ctx, func(tx storage.Tx) (err error) {
		if items, total, err = tx.Teams().ListTeams(ctx, f); err != nil {
			return err
		}
		ids := make([]string, len(items))
		for i, tm := range items {
			ids[i] = tm.ID
		}
		counts, err := tx.Teams().CountTeamMembers(ctx, ids)
		if err != nil {
			return err
		}
		for _, tm := range items {
			c := counts[tm.ID]
			tm.Members = &c
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return listOf(items, total, f.Page), nil
}

// CreateTeam implements keyhold.TeamService. Team names may repeat.
func (s *Teams) CreateTeam(ctx context.Context, in keyhold.TeamCreate) (_ *keyhold.Team, err error) {
	defer s.denied(ctx, "team.created", &err)
	if err = s.authorize(ctx, "CreateTeam", false); err != nil {
		return nil, err
	}
	var c checker
	c.name("name", in.Name, 1)
	if in.Description != nil {
		c.description(*in.Description, 1)
	}
	labels := map[string]*string{}
	for k, v := range in.Labels {
		labels[k] = &v
	}
	c.labels("labels", labels)
	if err := c.err(); err != nil {
		return nil, err
	}
	now := s.clock()
	t := &keyhold.Team{ID: newID(), Name: in.Name, Description: in.Description, Labels: in.Labels, CreatedAt: now, UpdatedAt: now}
	if t.Labels == nil {
		t.Labels = map[string]string{}
	}
	ev := s.audit(ctx, "team.created", targetTeam, t.ID, t.Name)
	err = s.write(ctx, ev, func(tx storage.Tx) error {
		if err := tx.Teams().CreateTeam(ctx, t); err != nil {
			return err
		}
		return s.changed(ctx, tx, keyhold.ChangeTeam, t.ID, nil)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// GetTeam implements keyhold.TeamService.
func (s *Teams) GetTeam(ctx context.Context, id string) (*keyhold.Team, error) {
	if err := s.authorize(ctx, "GetTeam", false); err != nil {
		return nil, err
	}
	if err := validID("teamId", id); err != nil {
		return nil, err
	}
	var t *keyhold.Team
	err := s.read(ctx, func(tx storage.Tx) (err error) { t, err = tx.Teams().GetTeam(ctx, id); return err })
	return t, err
}

// UpdateTeam implements keyhold.TeamService. System teams are immutable.
func (s *Teams) UpdateTeam(ctx context.Context, id string, in keyhold.TeamUpdate) (_ *keyhold.Team, err error) {
	defer s.denied(ctx, "team.updated", &err)
	if err = s.authorize(ctx, "UpdateTeam", false); err != nil {
		return nil, err
	}
	if err := validID("teamId", id); err != nil {
		return nil, err
	}
	var c checker
	if in.Name != nil {
		c.name("name", *in.Name, 1)
	}
	if in.Description != nil {
		c.description(*in.Description, 1)
	}
	c.labels("labels", in.Labels)
	if err := c.err(); err != nil {
		return nil, err
	}
	var t *keyhold.Team
	ev := s.audit(ctx, "team.updated", targetTeam, id, "")
	err = s.write(ctx, ev, func(tx storage.Tx) (err error) {
		if t, err = mutableTeam(ctx, tx, id); err != nil {
			return err
		}
		before := *t
		before.Labels = maps.Clone(t.Labels)
		applyTeamUpdate(t, in)
		t.UpdatedAt = s.clock()
		ev.TargetName = t.Name
		ev.Changes = keyhold.Changes{}.Add("name", before.Name, t.Name).
			Add("description", before.Description, t.Description).Add("labels", before.Labels, t.Labels)
		c.labels("labels", stringPtrs(t.Labels))
		if err := c.err(); err != nil {
			return err
		}
		return tx.Teams().UpdateTeam(ctx, t)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

func applyTeamUpdate(t *keyhold.Team, in keyhold.TeamUpdate) {
	if in.Name != nil {
		t.Name = *in.Name
	}
	if in.Description != nil {
		t.Description = in.Description
	}
	if in.ClearDescription {
		t.Description = nil
	}
	if in.ClearLabels {
		t.Labels = map[string]string{}
	}
	for k, v := range in.Labels {
		if v == nil {
			delete(t.Labels, k)
		} else {
			t.Labels[k] = *v
		}
	}
}

func stringPtrs(m map[string]string) map[string]*string {
	out := make(map[string]*string, len(m))
	for k, v := range m {
		out[k] = &v
	}
	return out
}

// DeleteTeam implements keyhold.TeamService.
func (s *Teams) DeleteTeam(ctx context.Context, id string) (err error) {
	defer s.denied(ctx, "team.deleted", &err)
	if err = s.authorize(ctx, "DeleteTeam", false); err != nil {
		return err
	}
	if err := validID("teamId", id); err != nil {
		return err
	}
	ev := s.audit(ctx, "team.deleted", targetTeam, id, "")
	return s.write(ctx, ev, func(tx storage.Tx) error {
		t, err := mutableTeam(ctx, tx, id)
		if err != nil {
			return err
		}
		ev.TargetName = t.Name
		scoped, err := scopedTokens(ctx, tx, keyhold.Ref{Type: keyhold.PrincipalTeam, ID: id})
		if err != nil {
			return err
		}
		if err := tx.Teams().DeleteTeam(ctx, id); err != nil {
			return err
		}
		if err := s.narrowScopes(ctx, tx, scoped); err != nil {
			return err
		}
		return s.changed(ctx, tx, keyhold.ChangeTeam, id, nil)
	})
}

func mutableTeam(ctx context.Context, tx storage.Tx, id string) (*keyhold.Team, error) {
	t, err := tx.Teams().GetTeam(ctx, id)
	if err != nil {
		return nil, err
	}
	if t.SystemTeam {
		return nil, errSystemTeam
	}
	if t.Labels == nil {
		t.Labels = map[string]string{}
	}
	return t, nil
}

func memberField(m keyhold.Ref) string {
	if m.Type == keyhold.PrincipalUser {
		return "userId"
	}
	return "accountId"
}

// AddTeamMember implements keyhold.TeamService. Membership of system teams
// may change; their fields and roles may not.
func (s *Teams) AddTeamMember(ctx context.Context, teamID string, m keyhold.Ref) (err error) {
	defer s.denied(ctx, "team.member_added", &err)
	if err = s.authorize(ctx, "AddTeamMember", false); err != nil {
		return err
	}
	return s.changeMembership(ctx, teamID, m, "team.member_added", nil, m.ID, func(tx storage.Tx) error {
		t, err := tx.Teams().GetTeam(ctx, teamID)
		if err != nil {
			return err
		}
		if err := s.mayGrantTeam(ctx, tx, t); err != nil {
			return err
		}
		return tx.Teams().AddTeamMember(ctx, teamID, m, s.clock())
	})
}

// RemoveTeamMember implements keyhold.TeamService. The last active user of
// Organization Admin stays.
func (s *Teams) RemoveTeamMember(ctx context.Context, teamID string, m keyhold.Ref) (err error) {
	defer s.denied(ctx, "team.member_removed", &err)
	if err = s.authorize(ctx, "RemoveTeamMember", false); err != nil {
		return err
	}
	return s.changeMembership(ctx, teamID, m, "team.member_removed", m.ID, nil, func(tx storage.Tx) error {
		if m.Type == keyhold.PrincipalUser {
			if err := keepAnAdmin(ctx, tx, teamID, m.ID); err != nil {
				return err
			}
		}
		scoped, err := scopedTokens(ctx, tx, m)
		if err != nil {
			return err
		}
		if err := tx.Teams().RemoveTeamMember(ctx, teamID, m); err != nil {
			return err
		}
		return s.narrowScopes(ctx, tx, scoped)
	})
}

// changeMembership changes m's membership of a team with change, and
// records it as the change of the field "member" from before to after: the
// member's id, or nil for no member.
func (s *core) changeMembership(ctx context.Context, teamID string, m keyhold.Ref, action string, before, after any, change func(storage.Tx) error) error {
	if err := validIDs("teamId", teamID, memberField(m), m.ID); err != nil {
		return err
	}
	ev := s.auditOf(ctx, action, targetTeam, teamID, "", m.ID)
	return s.write(ctx, ev, func(tx storage.Tx) error {
		t, err := tx.Teams().GetTeam(ctx, teamID)
		if err != nil {
			return err
		}
		if err := ownerExists(ctx, tx, m); err != nil {
			return err
		}
		ev.TargetName = t.Name
		ev.Changes = keyhold.Changes{}.Add("member", before, after)
		if err := change(tx); err != nil {
			return err
		}
		return s.changed(ctx, tx, principalChange(m), m.ID, nil)
	})
}

// ListTeamSystemAccounts implements keyhold.TeamService.
func (s *Teams) ListTeamSystemAccounts(ctx context.Context, teamID string, f keyhold.SystemAccountFilter) (*keyhold.List[*keyhold.SystemAccount], error) {
	if err := s.authorize(ctx, "ListTeamSystemAccounts", false); err != nil {
		return nil, err
	}
	if err := validID("teamId", teamID); err != nil {
		return nil, err
	}
	f.Now = s.clock()
	var items []*keyhold.SystemAccount
	var total int
	err := s.read(ctx, func(tx storage.Tx) (err error) {
		if _, err = tx.Teams().GetTeam(ctx, teamID); err != nil {
			return err
		}
		items, total, err = tx.Teams().ListTeamSystemAccounts(ctx, teamID, f)
		return err
	})
	if err != nil {
		return nil, err
	}
	return listOf(items, total, f.Page), nil
}

// ListTeamUsers implements keyhold.TeamService.
func (s *Teams) ListTeamUsers(ctx context.Context, teamID string, f keyhold.UserFilter) (*keyhold.List[*keyhold.User], error) {
	if err := s.authorize(ctx, "ListTeamUsers", false); err != nil {
		return nil, err
	}
	if err := validID("teamId", teamID); err != nil {
		return nil, err
	}
	var items []*keyhold.User
	var total int
	err := s.read(ctx, func(tx storage.Tx) (err error) {
		if _, err = tx.Teams().GetTeam(ctx, teamID); err != nil {
			return err
		}
		items, total, err = tx.Teams().ListTeamUsers(ctx, teamID, f)
		return err
	})
	if err != nil {
		return nil, err
	}
	return listOf(items, total, f.Page), nil
}

// ListMemberTeams implements keyhold.TeamService.
func (s *Teams) ListMemberTeams(ctx context.Context, m keyhold.Ref, f keyhold.TeamFilter) (*keyhold.List[*keyhold.Team], error) {
	if err := s.authorize(ctx, "ListMemberTeams", false); err != nil {
		return nil, err
	}
	if err := validID(memberField(m), m.ID); err != nil {
		return nil, err
	}
	var items []*keyhold.Team
	var total int
	err := s.read(ctx, func(tx storage.Tx) (err error) {
		if err = ownerExists(ctx, tx, m); err != nil {
			return err
		}
		items, total, err = tx.Teams().ListMemberTeams(ctx, m, f)
		return err
	})
	if err != nil {
		return nil, err
	}
	return listOf(items, total, f.Page), nil
}
