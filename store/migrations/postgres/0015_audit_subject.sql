-- 0015_audit_subject (PostgreSQL): the system account or user an audit event
-- concerns, so that a principal's history is every event whose actor or
-- subject it is: token events name the token's owner, membership events
-- the member, role events the principal. Empty when an event concerns no
-- one principal (team, webhook and policy changes, failed sign-ins).
ALTER TABLE audit_events ADD COLUMN subject_account_id TEXT NOT NULL DEFAULT '';

-- Backfill what the rows themselves show. Events about a principal name it
-- as their target; token events name a token, whose owner is known while
-- the token exists. Events of tokens deleted before this migration, and
-- membership events (whose target is the team and whose member was never
-- recorded), keep an empty subject: there is nothing to derive it from.
UPDATE audit_events SET subject_account_id = target_id
	WHERE target_type IN ('system_account', 'user') AND target_id <> '';
UPDATE audit_events SET subject_account_id = COALESCE(
		(SELECT COALESCE(k.account_id, k.user_id) FROM tokens k WHERE k.id = audit_events.target_id), '')
	WHERE target_type = 'token' AND target_id <> '';

-- A history reads (actor_id = p OR subject_account_id = p), newest first.
CREATE INDEX audit_events_subject ON audit_events (subject_account_id, occurred_at DESC, seq DESC);
CREATE INDEX audit_events_actor ON audit_events (actor_id, occurred_at DESC, seq DESC);
