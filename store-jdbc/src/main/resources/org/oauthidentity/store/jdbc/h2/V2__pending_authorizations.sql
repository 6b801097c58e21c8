-- oauth-identity store-jdbc: schema version 2, H2 2.x.
-- Authorizations started by AuthorizationFlow and waiting for their callback, one row per state, for a few
-- minutes. Independent of version 1. Safe to run twice (IF NOT EXISTS), so JdbcPendingAuthorizationStore can
-- apply it itself.
CREATE TABLE IF NOT EXISTS oauth_pending_authorization (
    pending_key   VARCHAR(255)             NOT NULL PRIMARY KEY,
    provider_key  VARCHAR(100)             NOT NULL,
    state_digest  VARCHAR(100)             NOT NULL,
    owner_digest  VARCHAR(100)             NOT NULL,
    redirect_uri  CHARACTER VARYING        NOT NULL,
    code_verifier CHARACTER VARYING,
    scopes        CHARACTER VARYING        NOT NULL,
    created_at    TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at    TIMESTAMP WITH TIME ZONE NOT NULL
);

-- purgeExpired deletes by expiry.
CREATE INDEX IF NOT EXISTS oauth_pending_authorization_expires_idx ON oauth_pending_authorization (expires_at);
