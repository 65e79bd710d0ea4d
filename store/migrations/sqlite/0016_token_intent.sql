-- 0016_token_intent (SQLite): what a token is for, stored. An 'api' token
-- calls the HTTP API; an 'app_password' token binds to the LDAP directory
-- (and may call the API only to rotate itself). Every existing token
-- becomes 'api', so that no token minted before the directory existed
-- gains the power to bind.
ALTER TABLE tokens ADD COLUMN intent TEXT NOT NULL DEFAULT 'api'
	CHECK (intent IN ('api', 'app_password'));
