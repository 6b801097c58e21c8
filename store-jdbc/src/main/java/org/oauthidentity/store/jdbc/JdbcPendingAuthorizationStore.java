package org.oauthidentity.store.jdbc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;
import org.oauthidentity.IdentityStoreException;
import org.oauthidentity.authorize.AuthorizationFlow;
import org.oauthidentity.authorize.PendingAuthorization;
import org.oauthidentity.authorize.PendingAuthorizationStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link PendingAuthorizationStore} in a SQL database over plain JDBC (PostgreSQL or H2, as
 * {@link JdbcIdentityStore}), so that an {@link AuthorizationFlow} started on one instance of a service can
 * be completed on any other: the vendor sends the browser back to whichever instance the load balancer picks.
 * One row per started authorization in the table {@code oauth_pending_authorization} (the dialect's
 * {@code V2__pending_authorizations.sql}, see the module README).
 *
 * <p><b>Guarantees.</b> Thread-safe, and safe across processes sharing the database. {@link #put} is one
 * {@code INSERT}; a taken key is an {@link IllegalStateException} and leaves the first record as it was.
 * {@link #consume} is one {@code DELETE} that answers the row it deleted ({@code DELETE ... RETURNING} on
 * PostgreSQL, {@code SELECT ... FROM OLD TABLE (DELETE ...)} in an explicit transaction on H2), so of any
 * number of concurrent callers, in any number of processes, exactly one gets the record, and never twice.
 * An expired record is deleted by the {@code consume} that finds it and never returned. {@link #purgeExpired}
 * deletes every expired row in one statement. Times are the caller's ({@code now}, {@code expiresAt}); the
 * store has no clock. Timestamps are stored to the microsecond, truncated: a record may expire up to a
 * microsecond before the instant it was given.
 *
 * <p><b>What it persists.</b> The key, the provider key, the redirect URI, the scopes, the created and
 * expiry times, the SHA-256 digests of the state and of the owner binding (never the state or the owner
 * itself), and the PKCE code verifier: as it is, or encrypted by the {@link TokenCipher} when one is set
 * (context {@code "code_verifier:<key>"}, so a ciphertext copied to another row does not decrypt).
 *
 * <p><b>Failures</b> of the database are {@link IdentityStoreException}s; their messages name the operation
 * and the provider at most, never a key, state digest, owner digest or verifier, and a driver message in the
 * cause that echoes any piece of one is withheld. The store never changes the schema unless asked
 * ({@link Builder#migrateSchema()}); without that, {@link Builder#build()} checks that its table is there
 * ({@link SchemaVersionException}).
 */
public final class JdbcPendingAuthorizationStore implements PendingAuthorizationStore {
    static final String TABLE = "oauth_pending_authorization";
    /** The schema version of {@code oauth_pending_authorization}. */
    static final List<Integer> SCHEMA_VERSIONS = List.of(2);

    private static final Logger log = LoggerFactory.getLogger(JdbcPendingAuthorizationStore.class);
    private static final String COLUMNS = "pending_key, provider_key, state_digest, owner_digest, redirect_uri,"
            + " code_verifier, scopes, created_at, expires_at";
    private static final String UNIQUE_VIOLATION = "23505";
    private static final String VERIFIER = "code_verifier";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<List<String>> SCOPES = new TypeReference<>() { };

    private final Transactions transactions;
    private final Dialect dialect;
    private final TokenCipher cipher;
    private final String insertSql;
    private final String consumeSql;
    private final String purgeSql;

    private JdbcPendingAuthorizationStore(Builder b, Dialect dialect) {
        // H2 needs explicit transactions: a failing delta-table statement under auto-commit keeps half its work.
        this.transactions = new Transactions(b.dataSource, dialect == Dialect.H2);
        this.dialect = dialect;
        this.cipher = b.cipher;
        insertSql = "INSERT INTO " + TABLE + " (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
        consumeSql = dialect.returningDeleted("DELETE FROM " + TABLE + " WHERE pending_key = ?", COLUMNS);
        purgeSql = "DELETE FROM " + TABLE + " WHERE expires_at <= ?";
    }

    /** A builder over the user's connection pool; the store borrows a connection per operation and returns it. */
    public static Builder builder(DataSource dataSource) {
        return new Builder(dataSource);
    }

    /** The database this store speaks to, as set or detected. */
    public Dialect dialect() {
        return dialect;
    }

    /**
     * {@inheritDoc}
     *
     * @throws IdentityStoreException the database failed; nothing was recorded
     */
    @Override
    public void put(String key, PendingAuthorization authorization, Instant expiresAt) {
        requireKey(key);
        Objects.requireNonNull(authorization, "authorization");
        Objects.requireNonNull(expiresAt, "expiresAt");
        String provider = authorization.providerKey();
        List<String> secrets = secrets(key);
        secrets.add(authorization.stateDigest());
        secrets.add(authorization.ownerDigest());
        String verifier = authorization.codeVerifier().orElse(null);
        String storedVerifier = null;
        if (verifier != null) {
            secrets.add(verifier);
            storedVerifier = encrypt(verifier, key, provider, secrets);
            secrets.add(storedVerifier);
        }
        String scopes = json(authorization.scopes(), provider);
        String stored = storedVerifier;
        transactions.run("could not record a pending authorization of provider " + provider, secrets, c -> {
            try (PreparedStatement ps = c.prepareStatement(insertSql)) {
                ps.setString(1, key);
                ps.setString(2, provider);
                ps.setString(3, authorization.stateDigest());
                ps.setString(4, authorization.ownerDigest());
                ps.setString(5, authorization.redirectUri());
                Rows.setText(ps, 6, stored);
                ps.setString(7, scopes);
                Rows.setTimestamp(ps, 8, authorization.createdAt());
                Rows.setTimestamp(ps, 9, expiresAt);
                ps.executeUpdate();
                return null;
            } catch (SQLException e) {
                if (UNIQUE_VIOLATION.equals(e.getSQLState())) {
                    // Thrown inside the unit so that it is rolled back first; no cause: it would echo the key.
                    throw new IllegalStateException("a pending authorization of provider " + provider
                            + " with this key exists already");
                }
                throw e;
            }
        });
    }

    /**
     * {@inheritDoc}
     *
     * <p>One statement: the row is deleted whether or not it has expired, and returned only if it has not.
     *
     * @throws IdentityStoreException the database failed (the record may or may not have been consumed), or
     *     the stored record could not be read back (its verifier does not decrypt); such a record is gone
     */
    @Override
    public Optional<PendingAuthorization> consume(String key, Instant now) {
        requireKey(key);
        Objects.requireNonNull(now, "now");
        StoredRow row = transactions.run("could not consume a pending authorization", secrets(key), c -> {
            try (PreparedStatement ps = c.prepareStatement(consumeSql)) {
                ps.setString(1, key);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? new StoredRow(rs) : null;
                }
            }
        });
        if (row == null) {
            return Optional.empty();
        }
        if (!now.isBefore(row.expiresAt)) {
            log.debug("a pending authorization of provider {} had expired at {}; deleted", row.providerKey,
                    row.expiresAt);
            return Optional.empty();
        }
        // Decrypted after the commit, so that the outcome is the same on both databases: the row is gone.
        return Optional.of(row.toAuthorization(key));
    }

    /**
     * {@inheritDoc}
     *
     * @throws IdentityStoreException the database failed; nothing was deleted
     */
    @Override
    public int purgeExpired(Instant now) {
        Objects.requireNonNull(now, "now");
        return transactions.run("could not purge expired pending authorizations", List.of(), c -> {
            try (PreparedStatement ps = c.prepareStatement(purgeSql)) {
                Rows.setTimestamp(ps, 1, now);
                return ps.executeUpdate();
            }
        });
    }

    @Override
    public String toString() {
        return "JdbcPendingAuthorizationStore{dialect=" + dialect + ", table=" + TABLE + ", verifierEncrypted="
                + (cipher != null) + '}';
    }

    private static void requireKey(String key) {
        if (key == null || key.isBlank()) {
            throw new IllegalArgumentException("key is required");
        }
    }

    /** The values no exception may show: the key holds the state's digest. */
    private static List<String> secrets(String key) {
        List<String> secrets = new ArrayList<>();
        secrets.add(key);
        return secrets;
    }

    private String encrypt(String verifier, String key, String provider, List<String> secrets) {
        if (cipher == null) {
            return verifier;
        }
        try {
            return cipher.encrypt(verifier, VERIFIER + ":" + key);
        } catch (RuntimeException e) {
            throw new IdentityStoreException("could not encrypt the code verifier of a pending authorization of"
                    + " provider " + provider, Redaction.scrub(e, secrets));
        }
    }

    private static String json(List<String> scopes, String provider) {
        try {
            return JSON.writeValueAsString(scopes);
        } catch (JsonProcessingException e) {
            throw new IdentityStoreException("could not encode the scopes of a pending authorization of provider "
                    + provider);
        }
    }

    /** One deleted row, as stored: read inside the unit of work, turned into a record after it. */
    private final class StoredRow {
        final String providerKey;
        final String stateDigest;
        final String ownerDigest;
        final String redirectUri;
        final String codeVerifier;
        final String scopes;
        final Instant createdAt;
        final Instant expiresAt;

        StoredRow(ResultSet rs) throws SQLException {
            providerKey = rs.getString("provider_key");
            stateDigest = rs.getString("state_digest");
            ownerDigest = rs.getString("owner_digest");
            redirectUri = rs.getString("redirect_uri");
            codeVerifier = rs.getString("code_verifier");
            scopes = rs.getString("scopes");
            createdAt = Rows.instant(rs, "created_at");
            expiresAt = Rows.instant(rs, "expires_at");
        }

        PendingAuthorization toAuthorization(String key) {
            try {
                return PendingAuthorization.builder()
                        .providerKey(providerKey)
                        .stateDigest(stateDigest)
                        .ownerDigest(ownerDigest)
                        .redirectUri(redirectUri)
                        .codeVerifier(decrypt(codeVerifier, key))
                        .scopes(JSON.readValue(scopes, SCOPES))
                        .createdAt(createdAt)
                        .build();
            } catch (JsonProcessingException | IllegalArgumentException | NullPointerException e) {
                // No cause: Jackson's and the builder's messages may quote the column they choked on.
                throw new IdentityStoreException("a pending authorization of provider " + providerKey
                        + " has a column that does not read back (" + e.getClass().getSimpleName() + ")");
            }
        }

        private String decrypt(String stored, String key) {
            if (cipher == null || stored == null) {
                return stored;
            }
            try {
                return cipher.decrypt(stored, VERIFIER + ":" + key);
            } catch (RuntimeException e) {
                // The cause names the cipher's complaint (a bad tag, a missing key); the ciphertext is not secret.
                throw new IdentityStoreException("could not decrypt the code verifier of a pending authorization of"
                        + " provider " + providerKey + " (wrong key, or a value written for another row)",
                        Redaction.scrub(e, List.of(key)));
            }
        }
    }

    /** Not thread-safe; build on one thread. */
    public static final class Builder {
        private final DataSource dataSource;
        private Dialect dialect;
        private TokenCipher cipher;
        private boolean migrateSchema;

        private Builder(DataSource dataSource) {
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        }

        /** The database's dialect; detected from a connection's metadata at {@link #build()} when not set. */
        public Builder dialect(Dialect dialect) {
            this.dialect = Objects.requireNonNull(dialect, "dialect");
            return this;
        }

        /**
         * Encrypts the PKCE code verifier at rest (it is the one secret of a pending authorization that is
         * stored as such). Default: stored as it is, for at most the flow's TTL. The same cipher as the
         * identity store's will do; contexts differ ({@code "code_verifier:<key>"}).
         */
        public Builder tokenCipher(TokenCipher cipher) {
            this.cipher = Objects.requireNonNull(cipher, "cipher");
            return this;
        }

        /**
         * Migrates the schema at {@link #build()} to the newest version this release knows, both tables (see
         * {@link JdbcIdentityStore.Builder#migrateSchema()}; the pending authorizations' table is
         * {@code V2__pending_authorizations.sql}). Default off: then {@link #build()} only checks the schema.
         * Leave it off when a migration tool owns the schema.
         */
        public Builder migrateSchema() {
            this.migrateSchema = true;
            return this;
        }

        /** The earlier name of {@link #migrateSchema()}, which it calls. */
        public Builder createSchemaIfMissing() {
            return migrateSchema();
        }

        /**
         * Builds the store. Opens connections to detect the dialect (when not set), and to migrate the schema
         * (when asked) or else check it: a few catalog queries.
         *
         * @throws IdentityStoreException the database could not be reached
         * @throws SchemaVersionException the schema lacks the store's table (migration off)
         * @throws IllegalArgumentException the database is neither PostgreSQL nor H2
         */
        public JdbcPendingAuthorizationStore build() {
            Dialect resolved = dialect != null ? dialect : Dialect.detect(dataSource);
            if (migrateSchema) {
                Schema.migrate(dataSource, resolved);
            } else {
                Schema.require(dataSource, resolved, SCHEMA_VERSIONS, "JdbcPendingAuthorizationStore");
            }
            return new JdbcPendingAuthorizationStore(this, resolved);
        }
    }
}
