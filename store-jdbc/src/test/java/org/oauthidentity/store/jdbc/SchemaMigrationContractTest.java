package org.oauthidentity.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.VerificationStatus;
import org.oauthidentity.authorize.PendingAuthorization;
import org.oauthidentity.testing.ManualClock;
import org.oauthidentity.testkit.PendingAuthorizationStoreContract;

/**
 * Schema migrations on a real database, one fresh database per test (the subclass says which): given a
 * database as an earlier release left it (its scripts, and rows its code wrote), when a store that migrates is
 * built, then the history records every version once, the missing scripts ran, and every row reads back and
 * saves. Given a database the store cannot use (older with migration off, or newer than the code), then
 * {@code build()} fails with a {@link SchemaVersionException} and changes nothing.
 */
abstract class SchemaMigrationContractTest {
    /** The INSERT of the release that shipped version 1 (its JdbcIdentityStore.create). */
    private static final String V1_INSERT = "INSERT INTO oauth_identity (id, provider_key, external_user_id,"
            + " access_token, refresh_token, token_type, expires_at, scopes, extras, last_verified_at, status, version,"
            + " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)";
    /** Its save: a compare-and-set on the version. */
    private static final String V1_SAVE = "UPDATE oauth_identity SET access_token = ?, version = version + 1,"
            + " updated_at = ? WHERE id = ? AND version = ?";
    /** The releases of version 3 drew an incarnation at create. */
    private static final String V3_INSERT = "INSERT INTO oauth_identity (id, provider_key, external_user_id,"
            + " access_token, refresh_token, token_type, expires_at, scopes, extras, last_verified_at, status, version,"
            + " created_at, updated_at, incarnation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)";
    private static final ObjectMapper JSON = new ObjectMapper();

    TestDatabase db;
    ManualClock clock;
    private final List<TestPool> pools = new ArrayList<>();
    private ExecutorService threads;

    abstract TestDatabase newDatabase();

    @BeforeEach
    void freshDatabase() {
        db = newDatabase();
        clock = ManualClock.at(Instant.now().truncatedTo(ChronoUnit.MICROS));
        threads = Executors.newCachedThreadPool();
    }

    @AfterEach
    void closeDatabase() {
        threads.shutdownNow();
        pools.forEach(TestPool::close);
        db.close();
    }

    // ---- upgrading a database of an earlier release ------------------------------------------------------------

    @Test
    void anEmptyDatabaseIsMigratedToTheLatestVersionWithEveryVersionRecordedAsApplied() {
        JdbcIdentityStore store = migrating(db.pool).build();

        assertThat(history()).containsExactly("1 V1__oauth_identity.sql applied",
                "2 V2__pending_authorizations.sql applied", "3 V3__incarnation.sql applied", "4 V4__owner.sql applied");
        assertThat(store.create(legacy("alice", 0)).incarnation()).isNotZero();
        assertThat(db.queryValue("SELECT checksum FROM " + Schema.HISTORY + " WHERE version = 4"))
                .isEqualTo(Schema.checksum(db.dialect, "V4__owner.sql"));
    }

    @Test
    void aVersionOneDatabaseWithRowsIsUpgradedAndEveryRowReadsBackAndSaves() {
        startAt(1);
        List<Identity> rows = insertAsVersionOne(30);

        JdbcIdentityStore store = migrating(db.pool).build();

        assertThat(history()).containsExactly("1 V1__oauth_identity.sql found",
                "2 V2__pending_authorizations.sql applied", "3 V3__incarnation.sql applied", "4 V4__owner.sql applied");
        assertEveryRowReadsBack(store, rows);
        assertSavesAndCreates(store, rows.get(0));
        assertPendingAuthorizationsWork(JdbcPendingAuthorizationStore.builder(db.pool).build(), null);
    }

    @Test
    void aVersionTwoDatabaseWithIdentitiesAndPendingAuthorizationsIsUpgraded() {
        startAt(1, 2);
        List<Identity> rows = insertAsVersionOne(12);
        PendingAuthorizationStoreContract.Started started =
                new PendingAuthorizationStoreContract.Started("gitlab", clock.instant(), true, List.of("api"));
        // The store of that release wrote its rows as this one does (the table has not changed since).
        JdbcPendingAuthorizationStore.builder(db.pool).build().put(started.key, started.record,
                clock.instant().plus(Duration.ofMinutes(10)));

        JdbcIdentityStore store = migrating(db.pool).build();

        assertThat(history()).containsExactly("1 V1__oauth_identity.sql found",
                "2 V2__pending_authorizations.sql found", "3 V3__incarnation.sql applied", "4 V4__owner.sql applied");
        assertEveryRowReadsBack(store, rows);
        assertSavesAndCreates(store, rows.get(5));
        assertPendingAuthorizationsWork(JdbcPendingAuthorizationStore.builder(db.pool).migrateSchema().build(), started);
    }

    @Test
    void aVersionThreeDatabaseIsUpgradedAndKeepsItsIncarnations() {
        startAt(1, 2, 3);
        List<Identity> rows = new ArrayList<>(insertAsVersionOne(5)); // stored before version 3: incarnation 0
        for (int i = 0; i < 10; i++) {
            rows.add(insertAsVersionThree(legacy("v3-" + i, i)));
        }

        JdbcIdentityStore store = migrating(db.pool).build();

        assertThat(history()).containsExactly("1 V1__oauth_identity.sql found",
                "2 V2__pending_authorizations.sql found", "3 V3__incarnation.sql found", "4 V4__owner.sql applied");
        assertEveryRowReadsBack(store, rows);
        assertSavesAndCreates(store, rows.get(7));
    }

    @Test
    void aDatabaseWithoutPendingAuthorizationsGetsThemAndLosesNoIdentity() {
        // An earlier release's JdbcIdentityStore alone created versions 1, 3 and 4; version 2 never ran.
        startAt(1, 3, 4);
        List<Identity> rows = insertAsVersionOne(8);

        JdbcIdentityStore store = migrating(db.pool).build();

        assertThat(history()).containsExactly("1 V1__oauth_identity.sql found",
                "2 V2__pending_authorizations.sql applied", "3 V3__incarnation.sql found", "4 V4__owner.sql found");
        assertEveryRowReadsBack(store, rows);
        assertPendingAuthorizationsWork(JdbcPendingAuthorizationStore.builder(db.pool).build(), null);
    }

    @Test
    void buildingTheStoresAgainChangesNothing() {
        startAt(1);
        List<Identity> rows = insertAsVersionOne(10);
        migrating(db.pool).build();
        List<String> history = history();
        Object firstAppliedAt = db.queryValue("SELECT MIN(applied_at) FROM " + Schema.HISTORY);

        migrating(db.pool).build();
        JdbcPendingAuthorizationStore.builder(db.pool).migrateSchema().build();
        JdbcIdentityStore store = JdbcIdentityStore.builder(db.pool).clock(clock).createSchemaIfMissing().build();

        assertThat(history()).isEqualTo(history).hasSize(Schema.LATEST);
        assertThat(db.queryValue("SELECT COUNT(*) FROM " + Schema.HISTORY)).isEqualTo((long) Schema.LATEST);
        assertThat(db.queryValue("SELECT MIN(applied_at) FROM " + Schema.HISTORY)).isEqualTo(firstAppliedAt);
        assertEveryRowReadsBack(store, rows);
    }

    // ---- instances starting together ---------------------------------------------------------------------------

    @Test
    void instancesStartingTogetherOnAnOlderDatabaseMigrateItOnceAndAllEndAtTheLatestVersion() throws Exception {
        int instances = 6;
        for (int round = 0; round < 4; round++) {
            dropEverything();
            startAt(1, 2);
            List<Identity> rows = insertAsVersionOne(20);
            // Odd rounds: the history exists and records 1 and 2, as a release that knew only those left it (the
            // next release's upgrade); even rounds: an earlier release's database without history.
            boolean recorded = round % 2 == 1;
            if (recorded) {
                db.execute(Schema.CREATE_HISTORY);
                for (int version = 1; version <= 2; version++) {
                    db.execute("INSERT INTO " + Schema.HISTORY + " (version, script, checksum, how, applied_at)"
                            + " VALUES (?, ?, 'x', 'applied', CURRENT_TIMESTAMP)", version,
                            Schema.VERSIONS.get(version - 1).script());
                }
            }
            CyclicBarrier start = new CyclicBarrier(instances);
            List<Future<Object>> started = new ArrayList<>();
            List<String> ddl = new CopyOnWriteArrayList<>();
            for (int i = 0; i < instances; i++) {
                // Each instance its own pool; every other one a pending-authorization store, which migrates too.
                DataSource pool = new DdlRecorder(pool(), ddl);
                boolean pending = i % 2 == 1;
                started.add(threads.submit(() -> {
                    start.await();
                    return pending ? JdbcPendingAuthorizationStore.builder(pool).migrateSchema().build()
                            : migrating(pool).build();
                }));
            }
            for (int i = 0; i < instances; i++) {
                Object store = started.get(i).get(60, TimeUnit.SECONDS);
                if (store instanceof JdbcIdentityStore identities) {
                    assertThat(identities.create(legacy("new-" + round + "-" + i, 0)).incarnation()).isNotZero();
                }
            }

            String how = recorded ? "applied" : "found";
            assertThat(history()).as("round %d", round).containsExactly("1 V1__oauth_identity.sql " + how,
                    "2 V2__pending_authorizations.sql " + how, "3 V3__incarnation.sql applied",
                    "4 V4__owner.sql applied");
            // One instance migrated: each script's statements ran once (a second run, even rolled back, shows).
            assertThat(ddl).as("round %d", round).filteredOn(sql -> sql.startsWith("ALTER TABLE")).hasSize(2);
            assertThat(ddl).filteredOn(sql -> sql.startsWith("CREATE UNIQUE INDEX")).hasSize(1);
            JdbcIdentityStore store = JdbcIdentityStore.builder(db.pool).build();
            assertEveryRowReadsBack(store, rows);
            assertThat(db.queryValue("SELECT COUNT(*) FROM oauth_identity")).isEqualTo((long) rows.size() + instances / 2);
        }
    }

    // ---- a schema the store cannot use -------------------------------------------------------------------------

    @Test
    void aDatabaseNewerThanTheCodeIsUsedAsItIsSoARollingUpgradeNeverLocksOutTheOldInstances() {
        migrating(db.pool).build();
        db.execute("INSERT INTO " + Schema.HISTORY + " (version, script, checksum, how, applied_at)"
                + " VALUES (99, 'V99__future.sql', 'x', 'applied', CURRENT_TIMESTAMP)");

        JdbcIdentityStore migratingStore = migrating(db.pool).build();
        JdbcIdentityStore checkingStore = JdbcIdentityStore.builder(db.pool).build();
        JdbcPendingAuthorizationStore.builder(db.pool).migrateSchema().build();
        JdbcPendingAuthorizationStore.builder(db.pool).build();

        Identity created = migratingStore.create(Identity.builder().id("after-v99").providerKey("gitlab")
                .accessToken("access-after-v99").refreshToken("refresh-after-v99").build());
        assertThat(checkingStore.find("after-v99")).contains(created);
        assertThat(db.queryValue("SELECT COUNT(*) FROM " + Schema.HISTORY)).as("nothing recorded")
                .isEqualTo(Schema.LATEST + 1L);
    }

    @Test
    void aDatabaseOlderThanTheStoreNeedsIsRefusedWhenMigrationIsOffAndLeftAsItWas() {
        startAt(1);
        List<Identity> rows = insertAsVersionOne(3);

        SchemaVersionException identities = catchThrowableOfType(
                () -> JdbcIdentityStore.builder(db.pool).build(), SchemaVersionException.class);
        SchemaVersionException pending = catchThrowableOfType(
                () -> JdbcPendingAuthorizationStore.builder(db.pool).build(), SchemaVersionException.class);

        assertThat(identities).as("refused").isNotNull();
        assertThat(identities.reason()).isEqualTo(SchemaVersionException.Reason.OUTDATED);
        assertThat(identities.databaseVersion()).isEqualTo(1);
        assertThat(identities.missingVersions()).containsExactly(3, 4);
        assertThat(identities.getMessage()).contains("V3__incarnation.sql", "V4__owner.sql", "migrateSchema()",
                db.dialect.schemaLocation());
        assertThat(pending.reason()).isEqualTo(SchemaVersionException.Reason.OUTDATED);
        assertThat(pending.missingVersions()).containsExactly(2);
        assertThat(tableExists(Schema.HISTORY)).isFalse();
        assertThat(tableExists(JdbcPendingAuthorizationStore.TABLE)).isFalse();

        // Migrating then lets both build, rows intact.
        assertEveryRowReadsBack(migrating(db.pool).build(), rows);
        JdbcPendingAuthorizationStore.builder(db.pool).build();
    }

    @Test
    void anEmptyDatabaseIsRefusedWhenMigrationIsOff() {
        SchemaVersionException refused = catchThrowableOfType(
                () -> JdbcIdentityStore.builder(db.pool).build(), SchemaVersionException.class);

        assertThat(refused).as("refused").isNotNull();
        assertThat(refused.reason()).isEqualTo(SchemaVersionException.Reason.OUTDATED);
        assertThat(refused.databaseVersion()).isZero();
        assertThat(refused.missingVersions()).containsExactly(1, 3, 4);
        assertThat(tableExists(JdbcIdentityStore.TABLE)).isFalse();
    }

    @Test
    void aSchemaAMigrationToolOwnsIsCheckedAndUsedAsItIsWhenMigrationIsOff() {
        // The scripts run by Flyway or Liquibase, up to version 3: no history of ours.
        startAt(1, 2, 3);

        SchemaVersionException refused = catchThrowableOfType(
                () -> JdbcIdentityStore.builder(db.pool).clock(clock).build(), SchemaVersionException.class);
        JdbcPendingAuthorizationStore pending = JdbcPendingAuthorizationStore.builder(db.pool).build();

        assertThat(refused).as("refused").isNotNull();
        assertThat(refused.missingVersions()).containsExactly(4);
        assertThat(refused.getMessage()).contains("V4__owner.sql");
        assertPendingAuthorizationsWork(pending, null);

        // The tool applies version 4: the store builds, and the schema stays the tool's.
        startAt(4);
        JdbcIdentityStore store = JdbcIdentityStore.builder(db.pool).clock(clock).build();
        assertThat(store.create(legacy("alice", 0)).version()).isEqualTo(1);
        assertThat(tableExists(Schema.HISTORY)).isFalse();
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    JdbcIdentityStore.Builder migrating(DataSource dataSource) {
        return JdbcIdentityStore.builder(dataSource).clock(clock).migrateSchema();
    }

    TestPool pool() {
        TestPool pool = new TestPool(db.url, db.user, db.password, 2);
        pools.add(pool);
        return pool;
    }

    /** The database as an earlier release (or a migration tool) left it: these versions' scripts, in order. */
    void startAt(int... versions) {
        for (int version : versions) {
            Schema.statements(db.dialect, Schema.VERSIONS.get(version - 1).script()).forEach(db::execute);
        }
    }

    void dropEverything() {
        for (String table : List.of(Schema.HISTORY, JdbcPendingAuthorizationStore.TABLE, JdbcIdentityStore.TABLE)) {
            db.execute("DROP TABLE IF EXISTS " + table);
        }
    }

    /** {@code version script how} per recorded version, ascending. */
    List<String> history() {
        List<String> rows = new ArrayList<>();
        try (Connection c = db.pool.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT version, script, how FROM " + Schema.HISTORY
                        + " ORDER BY version");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                rows.add(rs.getInt(1) + " " + rs.getString(2) + " " + rs.getString(3));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return rows;
    }

    boolean tableExists(String table) {
        try (Connection c = db.pool.getConnection();
                PreparedStatement ps = c.prepareStatement(db.dialect.tableExistsSql())) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An identity as the releases before owners stored them, in all their shapes (see {@link #legacy}). */
    Identity legacy(String id, int shape) {
        Identity.Builder b = Identity.builder().id(id).providerKey(shape % 3 == 0 ? "gitlab" : "azure-devops")
                .accessToken("at-" + id + "-" + StoreTestSupport.random(40)).tokenType("Bearer");
        if (shape % 2 == 0) {
            b.refreshToken("rt-" + id + "-" + StoreTestSupport.random(40)).externalUserId("ext-" + id)
                    .expiresAt(clock.instant().plus(Duration.ofMinutes(shape + 1)))
                    .scopes(List.of("read_api", "openid")).extra("id_token", "idt-" + StoreTestSupport.random(30));
        }
        if (shape % 4 == 1) {
            b.lastVerifiedAt(clock.instant().minusSeconds(shape)).status(VerificationStatus.VALID);
        } else if (shape % 4 == 3) {
            b.lastVerifiedAt(clock.instant()).status(VerificationStatus.NOT_VALID);
        }
        return b.build();
    }

    /** {@code count} rows written by the code of version 1 (every third one saved once since): what it returns. */
    List<Identity> insertAsVersionOne(int count) {
        List<Identity> rows = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Identity identity = legacy("v1-" + i, i).toBuilder().version(1).build();
            insert(V1_INSERT, identity, null);
            if (i % 3 == 0) {
                String newToken = "at-saved-" + StoreTestSupport.random(40);
                try (Connection c = db.pool.getConnection(); PreparedStatement ps = c.prepareStatement(V1_SAVE)) {
                    ps.setString(1, newToken);
                    ps.setObject(2, Rows.timestamp(clock.instant()));
                    ps.setString(3, identity.id());
                    ps.setLong(4, 1);
                    assertThat(ps.executeUpdate()).isEqualTo(1);
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
                identity = identity.toBuilder().accessToken(newToken).version(2).build();
            }
            rows.add(identity);
        }
        return rows;
    }

    /** A row written by the code of version 3: with an incarnation of its own. */
    Identity insertAsVersionThree(Identity identity) {
        long incarnation = 1 + (long) (Math.random() * Long.MAX_VALUE / 2);
        insert(V3_INSERT, identity, incarnation);
        return identity.toBuilder().version(1).incarnation(incarnation).build();
    }

    private void insert(String sql, Identity identity, Long incarnation) {
        try (Connection c = db.pool.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, identity.id());
            ps.setString(2, identity.providerKey());
            text(ps, 3, identity.externalUserId().orElse(null));
            ps.setString(4, identity.accessToken());
            text(ps, 5, identity.refreshToken().orElse(null));
            ps.setString(6, identity.tokenType());
            time(ps, 7, identity.expiresAt().orElse(null));
            ps.setString(8, JSON.writeValueAsString(new ArrayList<>(identity.scopes())));
            ps.setString(9, JSON.writeValueAsString(identity.extras()));
            time(ps, 10, identity.lastVerifiedAt().orElse(null));
            ps.setString(11, identity.status().name());
            ps.setObject(12, Rows.timestamp(clock.instant()));
            ps.setObject(13, Rows.timestamp(clock.instant()));
            if (incarnation != null) {
                ps.setLong(14, incarnation);
            }
            assertThat(ps.executeUpdate()).isEqualTo(1);
        } catch (SQLException | com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void text(PreparedStatement ps, int index, String value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.VARCHAR);
        } else {
            ps.setString(index, value);
        }
    }

    private static void time(PreparedStatement ps, int index, Instant value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.TIMESTAMP_WITH_TIMEZONE);
        } else {
            ps.setObject(index, Rows.timestamp(value));
        }
    }

    /** Every row reads back as written (microseconds kept), with no owner; nothing else is in the table. */
    void assertEveryRowReadsBack(JdbcIdentityStore store, List<Identity> rows) {
        for (Identity row : rows) {
            Identity expected = row.toBuilder().expiresAt(row.expiresAt().map(t -> t.truncatedTo(ChronoUnit.MICROS))
                    .orElse(null)).build();
            assertThat(store.find(row.id())).as(row.id()).contains(expected);
            assertThat(store.find(row.id()).orElseThrow().ownerId()).isEmpty();
        }
    }

    /** A row of the earlier release saves (its incarnation kept), takes a lease, and new rows get incarnations. */
    void assertSavesAndCreates(JdbcIdentityStore store, Identity row) {
        Identity saved = store.save(store.find(row.id()).orElseThrow().toBuilder().accessToken("at-after").build());
        assertThat(saved.version()).isEqualTo(row.version() + 1);
        assertThat(saved.incarnation()).isEqualTo(row.incarnation());
        assertThat(store.find(row.id())).contains(saved);
        try (var lease = store.acquireRefreshLease(row.id(), Duration.ZERO)) {
            assertThat(lease.identity()).isEqualTo(saved);
        }
        Identity owned = store.create(legacy("owned", 0).toBuilder().ownerId("owner-1").build());
        assertThat(store.findByExternalUser("gitlab", "ext-owned", "owner-1")).contains(owned);
    }

    /** A pending authorization put now is consumed once; one written before the upgrade ({@code earlier}) too. */
    void assertPendingAuthorizationsWork(JdbcPendingAuthorizationStore pending,
            PendingAuthorizationStoreContract.Started earlier) {
        PendingAuthorizationStoreContract.Started now =
                new PendingAuthorizationStoreContract.Started("gitlab", clock.instant(), true, List.of("api"));
        pending.put(now.key, now.record, clock.instant().plus(Duration.ofMinutes(10)));
        for (PendingAuthorizationStoreContract.Started s : earlier == null ? List.of(now) : List.of(now, earlier)) {
            PendingAuthorization consumed = pending.consume(s.key, clock.instant()).orElseThrow();
            assertThat(consumed.codeVerifier()).isEqualTo(s.record.codeVerifier());
            assertThat(consumed.stateDigest()).isEqualTo(s.record.stateDigest());
            assertThat(pending.consume(s.key, clock.instant())).isEmpty();
        }
    }
}
