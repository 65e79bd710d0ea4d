-- 0007_auth_failures (PostgreSQL): failed-authentication counts per client
-- address and minute, one row per replica, merged about once a second so
-- that replicas agree on which addresses to rate-limit. Additive only.
CREATE TABLE auth_failures (
	window_start TIMESTAMPTZ NOT NULL,
	ip           TEXT NOT NULL,
	replica      TEXT NOT NULL,
	count        INTEGER NOT NULL,
	PRIMARY KEY (window_start, ip, replica)
);
