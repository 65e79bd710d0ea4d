package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/keyhold/keyhold"
)

var auditMsgs = msgs{conflict: "An audit event with this id already exists"}

const auditCols = `e.id, e.occurred_at, e.actor_type, e.actor_id, e.actor_name, e.action,
	e.target_type, e.target_id, e.target_name, e.outcome, e.request_id, e.client_ip,
	e.user_agent, e.count, e.reason, e.subject_account_id, e.credential_id,
	e.credential_fingerprint, e.auth_method, e.changes, e.leaf_index`

func scanAuditEvent(s scanner, extra ...any) (*keyhold.AuditEvent, error) {
	var e keyhold.AuditEvent
	var actorType, changes string
	var leaf sql.NullInt64
	err := s.Scan(append([]any{&e.ID, scanTime{&e.Time}, &actorType, &e.ActorID, &e.ActorName,
		&e.Action, &e.TargetType, &e.TargetID, &e.TargetName, &e.Outcome, &e.RequestID,
		&e.ClientIP, &e.UserAgent, &e.Count, &e.Reason, &e.SubjectID, &e.Credential.ID,
		&e.Credential.Fingerprint, &e.Credential.Method, &changes, &leaf}, extra...)...)
	if err != nil {
		return nil, err
	}
	e.ActorType = keyhold.PrincipalType(actorType)
	e.Seq = -1
	if leaf.Valid {
		e.Seq = leaf.Int64
	}
	if e.Changes, err = decodeChanges(changes); err != nil {
		return nil, err
	}
	return &e, nil
}

// AppendAuditEvent stores e and appends it to the audit log, setting its
// Seq and Hash. Its time is stored to the microsecond, and e keeps what
// was stored, so that its leaf is the one a reader rebuilds.
func (t *tx) AppendAuditEvent(ctx context.Context, e *keyhold.AuditEvent) error {
	e.Time = ts(e.Time)
	changes, err := encodeChanges(e)
	if err != nil {
		return fmt.Errorf("append audit event: %w", err)
	}
	// The leaf and its event stand or fall together.
	args := []any{e.ID, e.Time, string(e.ActorType), e.ActorID, e.ActorName, e.Action,
		e.TargetType, e.TargetID, e.TargetName, e.Outcome, e.RequestID,
		e.ClientIP, e.UserAgent, e.Count, e.Reason, e.SubjectID, e.Credential.ID,
		e.Credential.Fingerprint, e.Credential.Method, changes}
	if t.d.savepoints() {
		// PostgreSQL: take the index, and with it the log's lock, first;
		// then insert the hashes and the event in one statement. A failed
		// statement aborts the whole transaction, so a change whose event
		// cannot be stored cannot commit.
		err = t.appendLeaf(ctx, e, nil, func(n int64, first int) (string, []any) {
			return insertEventSQL(first, fmt.Sprintf("$%d", first+len(args))), append(args, n)
		})
		return t.translate("append audit event", err, auditMsgs)
	}
	// SQLite, whose one writer holds the database: the event takes the
	// log's size as its index before the leaf is appended, so that an
	// event that cannot be stored takes no leaf (SQLite undoes only the
	// failed statement, and the transaction may go on).
	_, err = t.tx.ExecContext(ctx, insertEventSQL(1, `(SELECT size FROM audit_log WHERE id = 1)`), args...)
	if err != nil {
		return t.translate("append audit event", err, auditMsgs)
	}
	return t.appendLeaf(ctx, e, nil, nil)
}

// insertEventSQL inserts an audit event whose 20 arguments are numbered
// from first, and whose leaf index is leaf.
func insertEventSQL(first int, leaf string) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO audit_events (id, occurred_at, actor_type, actor_id,
		actor_name, action, target_type, target_id, target_name, outcome, request_id,
		client_ip, user_agent, count, reason, subject_account_id, credential_id,
		credential_fingerprint, auth_method, changes, leaf_index) VALUES (`)
	for i := range 20 {
		fmt.Fprintf(&b, "$%d, ", first+i)
	}
	b.WriteString(leaf + ")")
	return b.String()
}

// ListAuditEvents returns a page of events, newest first, and the total.
// IDs and the outcome match exactly, Involving the actor or the subject; the names by eq or by contains,
// which folds ASCII letters only (see asciiStr). Since is inclusive, Until
// exclusive.
func (t *tx) ListAuditEvents(ctx context.Context, f keyhold.AuditFilter) ([]*keyhold.AuditEvent, int, error) {
	w := &where{}
	for _, c := range []struct {
		col string
		v   *string
	}{
		{"e.actor_id", f.ActorID}, {"e.subject_account_id", f.SubjectID}, {"e.target_id", f.TargetID}, {"e.outcome", f.Outcome},
		{"e.credential_id", f.CredentialID}, {"e.credential_fingerprint", f.CredentialFingerprint},
	} {
		if c.v != nil {
			w.add(c.col+" = %s", *c.v)
		}
	}
	if f.Involving != nil {
		w.add("(e.actor_id = %s OR e.subject_account_id = %s)", *f.Involving, *f.Involving)
	}
	for _, c := range []struct {
		col string
		f   *keyhold.StringFilter
	}{
		{"e.actor_name", f.ActorName}, {"e.action", f.Action}, {"e.target_type", f.TargetType},
	} {
		if err := t.asciiStr(w, c.col, c.f); err != nil {
			return nil, 0, err
		}
	}
	if f.Since != nil {
		w.add("e.occurred_at >= %s", ts(*f.Since))
	}
	if f.Until != nil {
		w.add("e.occurred_at < %s", ts(*f.Until))
	}
	items, total, err := list(ctx, t, listQuery{op: "list audit events", cols: auditCols, from: "audit_events e",
		w: w, order: "e.occurred_at DESC, e.seq DESC", page: f.Page}, scanAuditEvent)
	if err != nil {
		return nil, 0, err
	}
	return items, total, t.fillLeafHashes(ctx, items)
}

// fillLeafHashes sets each event's Hash to the leaf hash the log stores
// for its index.
func (t *tx) fillLeafHashes(ctx context.Context, events []*keyhold.AuditEvent) error {
	idx := make([]int64, 0, len(events))
	for _, e := range events {
		if e.Seq >= 0 {
			idx = append(idx, tlog.StoredHashIndex(0, e.Seq))
		}
	}
	hs, err := t.ReadAuditHashes(ctx, idx)
	if err != nil {
		return err
	}
	k := 0
	for _, e := range events {
		if e.Seq >= 0 {
			e.Hash = hs[k]
			k++
		}
	}
	return nil
}
