-- 0012_audit_reason (PostgreSQL): why an operation was refused, for events
-- with outcome "denied": the permission the caller lacks, or the guard
-- that refused it. Empty for every other event. Additive only.
ALTER TABLE audit_events ADD COLUMN reason TEXT NOT NULL DEFAULT '';
