-- oauth-identity store-jdbc: schema version 1, H2 2.x.
-- One row per linked account. Safe to run twice (IF NOT EXISTS), so JdbcIdentityStore can apply it itself.
CREATE TABLE IF NOT EXISTS oauth_identity (
    id               VARCHAR(255)             NOT NULL PRIMARY KEY,
    provider_key     VARCHAR(100)             NOT NULL,
    external_user_id VARCHAR(255),
    access_token     CHARACTER VARYING        NOT NULL,
    refresh_token    CHARACTER VARYING,
    token_type       VARCHAR(50)              NOT NULL,
    expires_at       TIMESTAMP WITH TIME ZONE,
    scopes           CHARACTER VARYING        NOT NULL,
    extras           CHARACTER VARYING        NOT NULL,
    last_verified_at TIMESTAMP WITH TIME ZONE,
    status           VARCHAR(20)              NOT NULL,
    version          BIGINT                   NOT NULL,
    lease_owner      VARCHAR(36),
    lease_expires_at TIMESTAMP WITH TIME ZONE,
    created_at       TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at       TIMESTAMP WITH TIME ZONE NOT NULL
);

-- The sweep's claim reads the never-verified and least recently verified rows first, in this order.
CREATE INDEX IF NOT EXISTS oauth_identity_last_verified_idx ON oauth_identity (last_verified_at NULLS FIRST, id);
