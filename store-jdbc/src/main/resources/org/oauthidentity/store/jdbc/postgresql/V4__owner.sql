-- oauth-identity store-jdbc: schema version 4, PostgreSQL.
-- The host application's user an identity was linked for. Rows stored before this script keep NULL: no owner,
-- never found by account, never in conflict with anything. At most one identity per provider key, external user
-- id and owner: a unique index, under which rows with a NULL external_user_id or owner_id never collide (NULLs
-- are distinct in both databases), so linking the same account again updates the identity instead of adding one.
-- Safe to run twice (IF NOT EXISTS), so JdbcIdentityStore can apply it itself.
ALTER TABLE oauth_identity ADD COLUMN IF NOT EXISTS owner_id VARCHAR(255);
CREATE UNIQUE INDEX IF NOT EXISTS oauth_identity_account_idx ON oauth_identity (provider_key, external_user_id, owner_id);
-- An owner's identities (listByOwner).
CREATE INDEX IF NOT EXISTS oauth_identity_owner_idx ON oauth_identity (owner_id);
