-- 0007_auth_failures (SQLite): failed-authentication counts per client
-- address and minute, one row per replica, merged about once a second so
-- that replicas agree on which addresses to rate-limit. Additive only.
CREATE TABLE auth_failures (
	window_start TIMESTAMP NOT NULL,
	ip           TEXT NOT NULL,
	replica      TEXT NOT NULL,
	count        INTEGER NOT NULL,
	PRIMARY KEY (window_start, ip, replica)
);
