package org.oauthidentity.store.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotFoundException;
import org.oauthidentity.IdentityStore;
import org.oauthidentity.IdentityStoreException;
import org.oauthidentity.VerificationStatus;
import org.oauthidentity.VersionConflictException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link IdentityStore} in a SQL database over plain JDBC: PostgreSQL for a fleet of instances, H2 for one
 * embedded instance. One row per identity in the table {@code oauth_identity} (see the module README, or
 * {@link Dialect#schemaLocation()} for the versioned scripts).
 *
 * <p><b>Guarantees.</b> Thread-safe, and safe across processes sharing the database: every write is one SQL
 * statement, so it is applied whole or not at all, and no operation holds a transaction open between calls.
 * {@link #create} draws a new random {@code incarnation} for the row, and {@link #save} is a compare-and-set on
 * incarnation and version ({@code UPDATE ... WHERE id = ? AND incarnation = ? AND version = ?}): a lost race is a
 * {@link VersionConflictException}, and a save read from an identity that was deleted since (and maybe created
 * again under the same id, its version starting at 1 again) is an {@link IdentityNotFoundException}; never an
 * overwrite. Rows stored before the incarnation column existed read as incarnation 0. The validation bookkeeping
 * ({@code last_verified_at}, {@code status}) is written only by {@link #claimUnverified} and
 * {@link #recordVerification}, which never move the version. Database failures are
 * {@link IdentityStoreException}s whose messages name identity ids only; a driver message that echoes a
 * credential is withheld from the cause.
 *
 * <p><b>Refresh leases</b> ({@link #acquireRefreshLease}) are two columns of the row: {@code lease_owner} (a
 * random id per lease) and {@code lease_expires_at}. Taking a free or expired lease is one conditional
 * {@code UPDATE}, which also tells the two apart ({@link RefreshLease#tookOver()}: the previous holder's lease
 * ran out unreleased); {@link RefreshLease#saveAndRelease} saves and clears it in one statement; so a refresh
 * under the lease costs two round trips. Threads of one process queue in memory and only the first polls
 * the database. A holder that dies (or hangs, or never closes its lease) keeps it until
 * {@code lease_expires_at}, then anyone, in any process, may take it. A holder whose refresh is slow keeps it
 * by {@linkplain RefreshLease#renew() renewing} it every {@linkplain RefreshLease#renewalInterval() third of the
 * TTL} (one {@code UPDATE} matching its owner id; safe from a timer thread; false, never an exception, once the
 * lease is lost or the database cannot be reached).
 * Lease times come from the injected {@link Clock}: instances' clocks must agree to well within the lease
 * TTL (NTP does), and the TTL must exceed the slowest refresh between two renewals.
 *
 * <p><b>Sweep claims</b> ({@link #claimUnverified}) set {@code last_verified_at} on a page of rows, one statement
 * per range of the index {@code oauth_identity_last_verified_idx}, never-verified rows first, then the least
 * recently verified; on PostgreSQL the page is chosen with {@code FOR UPDATE SKIP LOCKED}, so passes on several
 * instances take disjoint pages without waiting for each other, and each call resumes the index scan after the
 * last row this store claimed in the same pass, so a page's cost does not grow with the table or with the part
 * of the pass already claimed.
 *
 * <p>Tokens are stored as they are unless a {@link TokenCipher} is set. Timestamps are stored to the
 * microsecond. The store never changes the schema unless asked ({@link Builder#migrateSchema()}); without that,
 * {@link Builder#build()} checks that the database has the schema versions it needs, and refuses one that is older
 * ({@link SchemaVersionException}); a newer one (a later release migrated it) is used with a warning.
 *
 * <p><b>Accounts.</b> A unique index on {@code (provider_key, external_user_id, owner_id)} keeps one identity
 * per vendor account and owner, across processes: a {@link #create} or {@link #save} that would add a second one
 * fails with an {@link IdentityStoreException} naming the identity that holds the account. Rows without an owner
 * or an external user id (all rows stored before {@code owner_id} existed) never collide.
 */
public final class JdbcIdentityStore implements IdentityStore {
    /** How long a refresh lease lasts when its holder neither saves nor releases it. */
    public static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(60);

    static final String TABLE = "oauth_identity";
    /** The schema versions of {@code oauth_identity} (version 2 is another table's). */
    static final List<Integer> SCHEMA_VERSIONS = List.of(1, 3, 4);

    private static final Logger log = LoggerFactory.getLogger(JdbcIdentityStore.class);
    private static final String WRITTEN = "version, incarnation, last_verified_at, status, lease_owner";
    private static final String SET_CREDENTIALS = "provider_key = ?, external_user_id = ?, owner_id = ?, access_token = ?,"
            + " refresh_token = ?, token_type = ?, expires_at = ?, scopes = ?, extras = ?,"
            + " version = version + 1, updated_at = ?";
    private static final String UNIQUE_VIOLATION = "23505";

    private final Transactions transactions;
    private final Dialect dialect;
    private final Clock clock;
    private final Duration leaseTtl;
    private final Rows rows;
    private final RefreshLeases leases;
    private final Accounts accounts;
    private final Claims claims;
    private final ReencryptionPass reencryption;

    private final String findSql;
    private final String incarnationSql;
    private final String insertSql;
    private final String saveSql;
    private final String saveAndReleaseSql;
    private final String deleteSql;
    private final String recordSql;

    private JdbcIdentityStore(Builder b, Dialect dialect) {
        this.transactions = new Transactions(b.dataSource, dialect == Dialect.H2);
        this.dialect = dialect;
        this.clock = b.clock;
        this.leaseTtl = b.leaseTtl;
        this.rows = new Rows(b.cipher);
        this.leases = new RefreshLeases(transactions, rows, dialect, b.clock, b.leaseTtl, b.pause, this::exists,
                this::saveAndRelease);
        this.accounts = new Accounts(transactions, rows);
        this.claims = new Claims(transactions, rows, dialect);
        this.reencryption = b.cipher == null ? null : new ReencryptionPass(transactions, rows, b.cipher, TABLE);

        findSql = "SELECT " + Rows.COLUMNS + " FROM " + TABLE + " WHERE id = ?";
        incarnationSql = "SELECT incarnation FROM " + TABLE + " WHERE id = ?";
        insertSql = dialect.returning("INSERT INTO " + TABLE + " (id, provider_key, external_user_id, owner_id,"
                + " access_token, refresh_token, token_type, expires_at, scopes, extras, last_verified_at, status,"
                + " version, incarnation, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)", WRITTEN);
        saveSql = dialect.returning("UPDATE " + TABLE + " SET " + SET_CREDENTIALS
                + " WHERE id = ? AND incarnation = ? AND version = ?", WRITTEN);
        // Saves whenever incarnation and version still match, and clears the lease only if it is still this holder's:
        // a lease that ran out mid-refresh must not cost the (possibly rotated) tokens the vendor just issued.
        saveAndReleaseSql = dialect.returning("UPDATE " + TABLE + " SET " + SET_CREDENTIALS
                + ", lease_owner = CASE WHEN lease_owner = ? THEN NULL ELSE lease_owner END"
                + ", lease_expires_at = CASE WHEN lease_owner = ? THEN NULL ELSE lease_expires_at END"
                + " WHERE id = ? AND incarnation = ? AND version = ?", WRITTEN);
        deleteSql = "DELETE FROM " + TABLE + " WHERE id = ?";
        recordSql = "UPDATE " + TABLE + " SET status = ?, last_verified_at = ? WHERE id = ?";
    }

    /** A builder over the user's connection pool; the store borrows a connection per operation and returns it. */
    public static Builder builder(DataSource dataSource) {
        return new Builder(dataSource);
    }

    /** The database this store speaks to, as set or detected. */
    public Dialect dialect() {
        return dialect;
    }

    /** The sweep claims, for tests that look at their statements' plans. */
    Claims claims() {
        return claims;
    }

    /** How long a refresh lease lasts when its holder neither saves nor releases it. */
    public Duration leaseTtl() {
        return leaseTtl;
    }

    @Override
    public Optional<Identity> find(String id) {
        Objects.requireNonNull(id, "id");
        return transactions.run("could not read identity " + id, List.of(), c -> {
            try (PreparedStatement ps = c.prepareStatement(findSql)) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(rows.read(rs)) : Optional.<Identity>empty();
                }
            }
        });
    }

    @Override
    public Identity create(Identity identity) {
        if (identity.version() != 0) {
            throw new IllegalArgumentException("a new identity has version 0, not " + identity.version());
        }
        String id = identity.id();
        Rows.Credentials stored = rows.credentials(identity);
        Instant now = clock.instant();
        try {
            return transactions.run("could not create identity " + id, stored.secrets, c -> {
                try (PreparedStatement ps = c.prepareStatement(insertSql)) {
                    ps.setString(1, id);
                    int next = bindCredentials(ps, 2, identity, stored);
                    Rows.setTimestamp(ps, next++, identity.lastVerifiedAt().orElse(null));
                    ps.setString(next++, identity.status().name());
                    ps.setLong(next++, IdentityStore.newIncarnation());
                    Rows.setTimestamp(ps, next++, now);
                    Rows.setTimestamp(ps, next, now);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        return written(identity, rs);
                    }
                } catch (SQLException e) {
                    if (UNIQUE_VIOLATION.equals(e.getSQLState())) {
                        throw new DuplicateKey(e);
                    }
                    throw e;
                }
            });
        } catch (DuplicateKey e) {
            // The primary key, the account index, or a unique index the user added.
            if (exists(id)) {
                throw new IdentityStoreException("identity " + id + " exists already");
            }
            Optional<Identity> sameAccount = accounts.sameAccount(identity);
            if (sameAccount.isPresent()) {
                throw new IdentityStoreException("identity " + id + " not created: its account is linked for the same"
                        + " owner as identity " + sameAccount.get().id());
            }
            throw Transactions.failure("could not create identity " + id, e.violation, stored.secrets);
        }
    }

    @Override
    public Identity save(Identity identity) {
        Rows.Credentials stored = rows.credentials(identity);
        return transactions.run("could not save identity " + identity.id(), stored.secrets,
                c -> update(c, identity, stored, null));
    }

    /** {@inheritDoc} One indexed query. */
    @Override
    public Optional<Identity> findByExternalUser(String providerKey, String externalUserId, String ownerId) {
        return accounts.find(providerKey, externalUserId, ownerId);
    }

    /** {@inheritDoc} One indexed query. */
    @Override
    public List<Identity> listByOwner(String ownerId) {
        return accounts.listByOwner(ownerId);
    }

    @Override
    public boolean delete(String id) {
        return transactions.run("could not delete identity " + id, List.of(), c -> {
            try (PreparedStatement ps = c.prepareStatement(deleteSql)) {
                ps.setString(1, id);
                return ps.executeUpdate() > 0;
            }
        });
    }

    /**
     * {@inheritDoc}
     *
     * <p>On PostgreSQL one or two statements per call, each an index range scan; concurrent callers skip each
     * other's rows, and a page costs about the same at the end of a pass as at its start (see the class comment).
     * On H2 one statement; a caller that raced another for the same rows may come back with a short page, and
     * with an empty one only after a few attempts while claimable rows remain. Rows skipped this way are left
     * for the next call or pass.
     */
    @Override
    public List<Identity> claimUnverified(Instant cutoff, Instant now, int limit) {
        return claims.claim(cutoff, now, limit);
    }

    @Override
    public boolean recordVerification(String id, VerificationStatus status, Instant verifiedAt) {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(verifiedAt, "verifiedAt");
        return transactions.run("could not record the verification of identity " + id, List.of(), c -> {
            try (PreparedStatement ps = c.prepareStatement(recordSql)) {
                ps.setString(1, status.name());
                Rows.setTimestamp(ps, 2, verifiedAt);
                ps.setString(3, id);
                return ps.executeUpdate() > 0;
            }
        });
    }

    /**
     * {@inheritDoc}
     *
     * <p>{@code maxWait} is real (monotonic) time; the lease's own expiry is on the injected clock. Waiting
     * threads of this process queue in memory; the one at the head polls the database with a short backoff
     * (5 ms growing to 100 ms). A holder in this process whose lease has run out on the clock no longer holds
     * the queue up either.
     */
    @Override
    public RefreshLease acquireRefreshLease(String id, Duration maxWait) {
        return leases.acquire(id, maxWait);
    }

    /**
     * After a key rotation ({@link AesGcmTokenCipher}): rewrites under the current key every row the cipher says
     * {@linkplain TokenCipher#needsReencryption needs it}, by one compare-and-set {@code UPDATE} per row that moves
     * no version and loses to any concurrent save; safe alongside live traffic. Reads 100 rows a page.
     *
     * @return what the pass did; {@link Reencryption#done()} says whether the old keys may go
     * @throws IllegalStateException no {@link TokenCipher} is set
     * @throws IdentityStoreException the database failed; rows rewritten so far stay rewritten
     */
    public Reencryption reencrypt() {
        if (reencryption == null) {
            throw new IllegalStateException("no TokenCipher is set: there is nothing to re-encrypt with");
        }
        return reencryption.run(100);
    }

    @Override
    public String toString() {
        return "JdbcIdentityStore{dialect=" + dialect + ", table=" + TABLE + ", leaseTtl=" + leaseTtl
                + ", tokensEncrypted=" + (reencryption != null) + '}';
    }

    /** Identities with a lease holder or waiter in this process (for tests). */
    int localLeasesInUse() {
        return leases.localLeasesInUse();
    }

    // ---- statements -------------------------------------------------------------------------------------------

    private Identity saveAndRelease(Identity refreshed, String owner) {
        Rows.Credentials stored = rows.credentials(refreshed);
        return transactions.run("could not save identity " + refreshed.id(), stored.secrets,
                c -> update(c, refreshed, stored, owner));
    }

    /** The compare-and-set of {@link #save}, also clearing the lease of {@code leaseOwner} when not null. */
    private Identity update(Connection c, Identity identity, Rows.Credentials stored, String leaseOwner)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(leaseOwner == null ? saveSql : saveAndReleaseSql)) {
            int next = bindCredentials(ps, 1, identity, stored);
            Rows.setTimestamp(ps, next++, clock.instant());
            if (leaseOwner != null) {
                ps.setString(next++, leaseOwner);
                ps.setString(next++, leaseOwner);
            }
            ps.setString(next++, identity.id());
            ps.setLong(next++, identity.incarnation());
            ps.setLong(next, identity.version());
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    String holder = rs.getString("lease_owner");
                    if (leaseOwner != null && holder != null) {
                        log.warn("identity {}: the refresh lease ran out before the refreshed tokens were saved "
                                + "(lease TTL {}); another caller may have refreshed it too. Raise the lease TTL "
                                + "above the slowest refresh.", identity.id(), leaseTtl);
                    }
                    return written(identity, rs);
                }
            }
        }
        throw missingOrMoved(c, identity);
    }

    /** Why a compare-and-set matched no row: the id is gone or belongs to another incarnation, or the version moved. */
    private RuntimeException missingOrMoved(Connection c, Identity identity) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(incarnationSql)) {
            ps.setString(1, identity.id());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getLong(1) == identity.incarnation()
                        ? new VersionConflictException(identity.id(), identity.version())
                        : new IdentityNotFoundException(identity.id());
            }
        }
    }

    /**
     * Binds the columns {@link #save} writes, provider_key through extras (owner_id included), from index
     * {@code first}.
     *
     * @return the next free index
     */
    private static int bindCredentials(PreparedStatement ps, int first, Identity identity, Rows.Credentials stored)
            throws SQLException {
        int i = first;
        ps.setString(i++, identity.providerKey());
        Rows.setText(ps, i++, identity.externalUserId().orElse(null));
        Rows.setText(ps, i++, identity.ownerId().orElse(null));
        ps.setString(i++, stored.accessToken);
        Rows.setText(ps, i++, stored.refreshToken);
        ps.setString(i++, identity.tokenType());
        Rows.setTimestamp(ps, i++, identity.expiresAt().orElse(null));
        ps.setString(i++, stored.scopes);
        ps.setString(i++, stored.extras);
        return i;
    }

    /** The identity as written: its own credentials, the row's version and verification bookkeeping. */
    private static Identity written(Identity identity, ResultSet rs) throws SQLException {
        return identity.toBuilder()
                .expiresAt(identity.expiresAt().map(Rows::timestamp).map(t -> t.toInstant()).orElse(null))
                .lastVerifiedAt(Rows.instant(rs, "last_verified_at"))
                .status(VerificationStatus.valueOf(rs.getString("status")))
                .version(rs.getLong("version"))
                .incarnation(rs.getLong("incarnation"))
                .build();
    }

    private boolean exists(String id) {
        return transactions.run("could not read identity " + id, List.of(), c -> {
            try (PreparedStatement ps = c.prepareStatement(incarnationSql)) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next();
                }
            }
        });
    }

    /** Carries a unique violation out of the transaction, which is rolled back first. */
    private static final class DuplicateKey extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient SQLException violation;

        DuplicateKey(SQLException violation) {
            super(null, null, false, false);
            this.violation = violation;
        }
    }

    /** Not thread-safe; build on one thread. */
    public static final class Builder {
        private final DataSource dataSource;
        private Dialect dialect;
        private Clock clock = Clock.systemUTC();
        private Duration leaseTtl = DEFAULT_LEASE_TTL;
        private TokenCipher cipher;
        private boolean migrateSchema;
        private RefreshLeases.Pause pause = RefreshLeases.Pause.SLEEP;

        private Builder(DataSource dataSource) {
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        }

        /** The database's dialect; detected from a connection's metadata at {@link #build()} when not set. */
        public Builder dialect(Dialect dialect) {
            this.dialect = Objects.requireNonNull(dialect, "dialect");
            return this;
        }

        /**
         * The clock for lease expiry and the {@code created_at}/{@code updated_at} columns. Default: system UTC.
         * Every instance sharing the database must use a clock that agrees with the others to well within
         * the lease TTL.
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * How long a refresh lease lasts if its holder neither saves nor releases it (it crashed, or lost the
         * database). Default {@link #DEFAULT_LEASE_TTL}. A holder that renews its lease (every third of the TTL)
         * keeps it through a slow refresh; one that does not must finish within the TTL, or a second instance may
         * refresh with the same refresh token. Short enough that a crash blocks an identity only briefly.
         */
        public Builder leaseTtl(Duration leaseTtl) {
            if (leaseTtl.isNegative() || leaseTtl.isZero()) {
                throw new IllegalArgumentException("leaseTtl must be positive");
            }
            this.leaseTtl = leaseTtl;
            return this;
        }

        /** Encrypts access tokens, refresh tokens and vendor extras at rest. Default: stored as they are. */
        public Builder tokenCipher(TokenCipher cipher) {
            this.cipher = Objects.requireNonNull(cipher, "cipher");
            return this;
        }

        /**
         * Migrates the schema at {@link #build()} to the newest version this release knows: records in
         * {@code oauth_identity_schema_history} which versions the database has (recognising those an earlier
         * release or a migration tool applied), then runs the missing scripts in order (both tables': the
         * pending authorizations' too). Instances starting together are safe on PostgreSQL (one migrates, the
         * others wait) and within one JVM on H2; an up-to-date database costs two catalog queries and no lock.
         * Default off: then {@link #build()} only checks the schema. Leave it off when a migration tool owns the
         * schema.
         */
        public Builder migrateSchema() {
            this.migrateSchema = true;
            return this;
        }

        /** The earlier name of {@link #migrateSchema()}, which it calls. */
        public Builder createSchemaIfMissing() {
            return migrateSchema();
        }

        Builder leasePause(RefreshLeases.Pause pause) {
            this.pause = Objects.requireNonNull(pause, "pause");
            return this;
        }

        /**
         * Builds the store. Opens connections to detect the dialect (when not set), and to migrate the schema
         * (when asked) or else check it: a few catalog queries.
         *
         * @throws IdentityStoreException the database could not be reached
         * @throws SchemaVersionException the schema lacks a version this store needs (migration off)
         * @throws IllegalArgumentException the database is neither PostgreSQL nor H2
         */
        public JdbcIdentityStore build() {
            Dialect resolved = dialect != null ? dialect : Dialect.detect(dataSource);
            if (migrateSchema) {
                Schema.migrate(dataSource, resolved);
            } else {
                Schema.require(dataSource, resolved, SCHEMA_VERSIONS, "JdbcIdentityStore");
            }
            return new JdbcIdentityStore(this, resolved);
        }
    }
}
