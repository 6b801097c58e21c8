-- oauth-identity store-jdbc: schema version 3, H2 2.x.
-- Which life of an id a row belongs to: drawn at random when the identity is created, compared by every save,
-- so a save read from an identity that was deleted and created again is refused. Rows stored before this
-- script get 0 (a legacy incarnation: saves compare it like any other). Safe to run twice (IF NOT EXISTS), so
-- JdbcIdentityStore can apply it itself.
ALTER TABLE oauth_identity ADD COLUMN IF NOT EXISTS incarnation BIGINT NOT NULL DEFAULT 0;
