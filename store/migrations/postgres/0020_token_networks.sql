-- 0020_token_networks (PostgreSQL): the networks each token was used from, so
-- that the first use from a new one is audited (token.used, reason
-- new_network; docs/audit.md#use). network is the /24 of an IPv4 client or
-- the /64 of an IPv6 one, in CIDR notation; first_seen is the use that
-- added it. A token's rows go with it. Additive only: old releases ignore
-- it.
CREATE TABLE token_networks (
	token_id   TEXT NOT NULL REFERENCES tokens (id) ON DELETE CASCADE,
	network    TEXT NOT NULL,
	first_seen TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (token_id, network)
);
