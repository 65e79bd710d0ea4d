package service

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
)

var _ keyhold.AuditReplayService = (*AuditExport)(nil)

const targetAuditReplay = "audit_log_replay_job"

// ReplayAuditLogs implements keyhold.AuditReplayService: the events that
// occurred in [start, end] are sent again, in batches, to every enabled
// destination (see replayBatch).
func (s *AuditExport) ReplayAuditLogs(ctx context.Context, start, end time.Time) (_ *keyhold.AuditReplayJob, err error) {
	defer s.denied(ctx, "audit.replay_requested", &err)
	if err = s.authorize(ctx, "ReplayAuditLogs", false); err != nil {
		return nil, err
	}
	var c checker
	if start.IsZero() {
		c.add(keyhold.FieldError{Field: "start_at", Reason: "is required", Rule: "required"})
	}
	if end.IsZero() {
		c.add(keyhold.FieldError{Field: "end_at", Reason: "is required", Rule: "required"})
	} else if !end.After(start) {
		c.add(keyhold.FieldError{Field: "end_at", Reason: "must be after start_at", Rule: "dependent_fields"})
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	if s.sealer == nil {
		return nil, errNoAuthorizationKey
	}
	j := &keyhold.AuditReplayJob{StartAt: start.UTC().Truncate(time.Microsecond), EndAt: end.UTC().Truncate(time.Microsecond),
		Status: keyhold.ReplayAccepted, UpdatedAt: s.clock()}
	ev := s.audit(ctx, "audit.replay_requested", targetAuditReplay, "", "")
	ev.Changes = keyhold.Changes{}.Add("start_at", nil, j.StartAt.Format(time.RFC3339Nano)).Add("end_at", nil, j.EndAt.Format(time.RFC3339Nano))
	err = s.write(ctx, ev, func(tx storage.Tx) error { return tx.AuditDestinations().StartAuditReplayJob(ctx, j) })
	if err != nil {
		return nil, err
	}
	return j, nil
}

// AuditLogReplayJob implements keyhold.AuditReplayService.
func (s *AuditExport) AuditLogReplayJob(ctx context.Context) (*keyhold.AuditReplayJob, error) {
	if err := s.authorize(ctx, "AuditLogReplayJob", false); err != nil {
		return nil, err
	}
	var j *keyhold.AuditReplayJob
	err := s.read(ctx, func(tx storage.Tx) (err error) { j, err = tx.AuditDestinations().AuditReplayJob(ctx); return err })
	if keyhold.ErrorCode(err) == keyhold.ENOTFOUND {
		return &keyhold.AuditReplayJob{Status: keyhold.ReplayUnconfigured}, nil
	}
	return j, err
}

// replayBatch runs one batch of the replay job, if one is to run: the next
// events of its range, sent once to every enabled destination. A batch a
// destination does not take with a 2xx is noted in the job's message and
// the job ends failed; a new job sends it again.
func (s *AuditExport) replayBatch(ctx context.Context) (bool, error) {
	owner, now := newID(), s.clock()
	var j *keyhold.AuditReplayJob
	var events []*keyhold.AuditEvent
	var dests []*keyhold.AuditDestination
	var sealed [][]byte
	err := s.store.Write(ctx, func(tx storage.Tx) (err error) {
		if j, err = tx.AuditDestinations().ClaimAuditReplayJob(ctx, now, now.Add(auditLease), owner); err != nil {
			return err
		}
		if events, err = tx.AuditDestinations().AuditEventsBetween(ctx, j.StartAt, j.EndAt, j.NextSeq, auditBatch); err != nil {
			return err
		}
		dests, sealed, err = tx.AuditDestinations().EnabledAuditDestinations(ctx)
		return err
	})
	if keyhold.ErrorCode(err) == keyhold.ENOTFOUND {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	j.Status = keyhold.ReplayRunning
	if len(events) == 0 {
		j.Status = keyhold.ReplayCompleted
		if j.Message != "" {
			j.Status = keyhold.ReplayFailed
		}
	} else {
		f, err := s.formatter(ctx)
		if err != nil {
			return false, err
		}
		var failed []string
		for i, d := range dests {
			var body bytes.Buffer
			for _, e := range events {
				line, err := f.Format(d.LogFormat, e)
				if err != nil {
					return false, err
				}
				body.Write(line)
				body.WriteByte('\n')
			}
			authorization, err := s.sealer.open(sealed[i], d.ID)
			if err != nil {
				failed = append(failed, d.Name+": cannot decrypt the authorization value")
				continue
			}
			if code, msg, _ := s.postEntries(ctx, d, string(authorization), body.Bytes()); code == nil || *code < 200 || *code > 299 {
				failed = append(failed, d.Name+": "+msg)
			}
		}
		if len(failed) > 0 {
			j.Message = truncate(strings.TrimPrefix(j.Message+"; ", "; ")+fmt.Sprintf("events %d to %d: %s",
				events[0].Seq, events[len(events)-1].Seq, strings.Join(failed, ", ")), 1024)
		}
		j.NextSeq = events[len(events)-1].Seq + 1
	}
	j.UpdatedAt = s.clock()
	err = s.store.Write(ctx, func(tx storage.Tx) error {
		_, err := tx.AuditDestinations().FinishAuditReplayBatch(ctx, j, owner)
		return err
	})
	return j.Status == keyhold.ReplayRunning, err
}
