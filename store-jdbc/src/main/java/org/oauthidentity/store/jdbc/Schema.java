package org.oauthidentity.store.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The versioned schema of both stores, and its migration. The versions are the scripts shipped in
 * {@code /org/oauthidentity/store/jdbc/<dialect>/V<n>__<what>.sql}, applied in order; which ones a database
 * has is recorded in {@value #HISTORY}, one row per version: {@code applied} when this class ran its script,
 * {@code found} when the version was there before the history was (a database of an earlier release, or one a
 * migration tool built): each version is then recognised by the table or column its script adds.
 *
 * <p>{@link #migrate} brings a database at any version (none included) to {@link #LATEST}; {@link #require}
 * only checks that a store's versions are there. A database whose history records a version newer than
 * {@link #LATEST} (migrated by a later release) is used as it is, with a warning: every version only adds
 * (tables, and columns that are nullable or have a default), so a release keeps working on a later schema and a
 * rolling upgrade never locks out the instances not yet upgraded. Every script only creates what is missing
 * ({@code IF NOT EXISTS}), so a script run twice (H2 cannot undo DDL: a migration cut short is run again) does
 * no harm; new scripts must keep that property.
 *
 * <p>Concurrency. An up-to-date database costs two catalog queries and takes no lock, so a starting instance
 * never queues the fleet's traffic behind an {@code ALTER TABLE}. Otherwise, on PostgreSQL the whole migration
 * (history included) is one transaction behind advisory locks, taken in a fixed order: the instances starting
 * together migrate one after the other, the later ones find nothing to do, and a failure leaves the database
 * as it was. The locks are the ones earlier releases took per table, so their instances wait too. H2 has no such
 * lock and H2 2.4 gets concurrent DDL on one table wrong ({@code CREATE INDEX IF NOT EXISTS} fails when another
 * session creates the index at that moment; two concurrent {@code ADD COLUMN}s, each rebuilding the table, can
 * lose its rows): on H2 the stores of one JVM migrate one at a time, and a failed run is run again (each such
 * failure means another instance got further). Several processes sharing one H2 server must not migrate it at
 * the same moment. Thread-safe; holds no state.
 */
final class Schema {
    private static final Logger log = LoggerFactory.getLogger(Schema.class);
    /** The newest version; what {@link #migrate} brings a database to. */
    static final int LATEST = 4;
    static final String HISTORY = "oauth_identity_schema_history";

    /** One version: its script, and the table (and column) it adds, by which it is recognised without history. */
    record Version(int number, String script, String table, String column) {
    }

    static final List<Version> VERSIONS = List.of(
            new Version(1, "V1__oauth_identity.sql", JdbcIdentityStore.TABLE, null),
            new Version(2, "V2__pending_authorizations.sql", JdbcPendingAuthorizationStore.TABLE, null),
            new Version(3, "V3__incarnation.sql", JdbcIdentityStore.TABLE, "incarnation"),
            new Version(4, "V4__owner.sql", JdbcIdentityStore.TABLE, "owner_id"));

    // The same DDL in both dialects.
    static final String CREATE_HISTORY = "CREATE TABLE IF NOT EXISTS " + HISTORY + " ("
            + "version INT NOT NULL PRIMARY KEY, "
            + "script VARCHAR(255) NOT NULL, "
            + "checksum VARCHAR(64) NOT NULL, "
            + "how VARCHAR(10) NOT NULL, "
            + "applied_at TIMESTAMP WITH TIME ZONE NOT NULL)";
    private static final String RECORD = "INSERT INTO " + HISTORY + " (version, script, checksum, how, applied_at)"
            + " VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP)";
    private static final int MAX_ATTEMPTS = 5;
    /** Serializes this JVM's migrations on H2 (see the class comment). */
    private static final Object H2_DDL = new Object();

    private Schema() {
    }

    /** The versions a database has, and whether they come from its history (else from its catalog). */
    private record State(SortedSet<Integer> versions, boolean recorded) {
        int highest() {
            return versions.isEmpty() ? 0 : versions.last();
        }

        boolean complete() {
            return recorded && VERSIONS.stream().allMatch(v -> versions.contains(v.number()));
        }
    }

    /**
     * Brings the database to {@link #LATEST}: records the versions found when there is no history yet, then runs
     * and records each missing version's script, in order.
     *
     * @throws org.oauthidentity.IdentityStoreException the database failed
     */
    static void migrate(DataSource dataSource, Dialect dialect) {
        if (dialect == Dialect.H2) {
            synchronized (H2_DDL) {
                migrateUnlocked(dataSource, dialect);
            }
        } else {
            migrateUnlocked(dataSource, dialect);
        }
    }

    /**
     * Checks, without changing anything, that the database has every version in {@code needed}.
     *
     * @param store the store that needs them, for the message
     * @throws SchemaVersionException a needed version is missing
     */
    static void require(DataSource dataSource, Dialect dialect, Collection<Integer> needed, String store) {
        State state = read(dataSource, dialect);
        warnIfNewer(state);
        List<Integer> missing = needed.stream().filter(v -> !state.versions().contains(v)).sorted().toList();
        if (!missing.isEmpty()) {
            String scripts = VERSIONS.stream().filter(v -> missing.contains(v.number())).map(Version::script)
                    .collect(Collectors.joining(", "));
            throw new SchemaVersionException(SchemaVersionException.Reason.OUTDATED, state.highest(), missing,
                    store + " needs schema versions " + missing + " (" + scripts + "), which the database lacks"
                    + " (it has " + state.versions() + "): build the store with migrateSchema(), or apply those"
                    + " scripts from classpath:" + dialect.schemaLocation() + " with your migration tool first");
        }
    }

    private static void migrateUnlocked(DataSource dataSource, Dialect dialect) {
        for (int attempt = 1; ; attempt++) {
            State state = read(dataSource, dialect);
            warnIfNewer(state);
            if (state.complete()) {
                return;
            }
            try {
                run(dataSource, dialect);
                return;
            } catch (SQLException e) {
                if (attempt >= MAX_ATTEMPTS) {
                    throw Transactions.failure("could not migrate the schema to version " + LATEST, e, List.of());
                }
            }
        }
    }

    private static void warnIfNewer(State state) {
        if (state.highest() > LATEST) {
            log.warn("the database schema is at version {} ({}), newer than this release of the JDBC stores knows "
                    + "({}): it is used as it is (every version only adds); upgrade this instance", state.highest(),
                    HISTORY, LATEST);
        }
    }

    private static void run(DataSource dataSource, Dialect dialect) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            boolean autoCommit = connection.getAutoCommit();
            boolean transaction = dialect == Dialect.POSTGRESQL;
            connection.setAutoCommit(!transaction);
            try (Statement statement = connection.createStatement()) {
                if (transaction) {
                    lock(connection);
                }
                statement.execute(CREATE_HISTORY);
                SortedSet<Integer> done = recorded(connection);
                if (done.isEmpty()) {
                    done = detect(connection, dialect);
                    for (Version version : VERSIONS) {
                        if (done.contains(version.number())) {
                            record(connection, dialect, version, "found");
                        }
                    }
                }
                warnIfNewer(new State(done, true));
                for (Version version : VERSIONS) {
                    if (!done.contains(version.number())) {
                        for (String sql : statements(dialect, version.script())) {
                            statement.execute(sql);
                        }
                        record(connection, dialect, version, "applied");
                    }
                }
                if (transaction) {
                    connection.commit();
                }
            } catch (SQLException | RuntimeException e) {
                if (transaction) {
                    rollback(connection, e);
                }
                throw e;
            } finally {
                connection.setAutoCommit(autoCommit);
            }
        }
    }

    /**
     * The advisory locks earlier releases took, one per table, in a fixed order: instances of this release and
     * of earlier ones starting at once all wait for each other, and none waits for a lock held by a waiter.
     */
    private static void lock(Connection connection) throws SQLException {
        try (PreparedStatement lock = connection.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
            for (String table : List.of(JdbcIdentityStore.TABLE, JdbcPendingAuthorizationStore.TABLE)) {
                // The same key in every JVM (String.hashCode is specified).
                lock.setLong(1, ("org.oauthidentity.store.jdbc schema " + table).hashCode());
                lock.execute();
            }
        }
    }

    private static void record(Connection connection, Dialect dialect, Version version, String how)
            throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(RECORD)) {
            insert.setInt(1, version.number());
            insert.setString(2, version.script());
            insert.setString(3, checksum(dialect, version.script()));
            insert.setString(4, how);
            insert.executeUpdate();
        }
    }

    private static State read(DataSource dataSource, Dialect dialect) {
        try (Connection connection = dataSource.getConnection()) {
            if (exists(connection, dialect.tableExistsSql(), HISTORY, null)) {
                SortedSet<Integer> recorded = recorded(connection);
                if (!recorded.isEmpty()) {
                    return new State(recorded, true);
                }
            }
            return new State(detect(connection, dialect), false);
        } catch (SQLException e) {
            throw Transactions.failure("could not read the schema version", e, List.of());
        }
    }

    private static SortedSet<Integer> recorded(Connection connection) throws SQLException {
        SortedSet<Integer> versions = new TreeSet<>();
        try (Statement query = connection.createStatement();
                ResultSet rs = query.executeQuery("SELECT version FROM " + HISTORY)) {
            while (rs.next()) {
                versions.add(rs.getInt(1));
            }
        }
        return versions;
    }

    /** The versions whose table (and column) exist: what a database without history has. */
    private static SortedSet<Integer> detect(Connection connection, Dialect dialect) throws SQLException {
        SortedSet<Integer> versions = new TreeSet<>();
        for (Version version : VERSIONS) {
            boolean present = version.column() == null
                    ? exists(connection, dialect.tableExistsSql(), version.table(), null)
                    : exists(connection, dialect.columnExistsSql(), version.table(), version.column());
            if (present) {
                versions.add(version.number());
            }
        }
        return versions;
    }

    private static boolean exists(Connection connection, String sql, String table, String column)
            throws SQLException {
        try (PreparedStatement query = connection.prepareStatement(sql)) {
            query.setString(1, table);
            if (column != null) {
                query.setString(2, column);
            }
            try (ResultSet rs = query.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    /** SHA-256 of a script's statements: comments may change without changing it. */
    static String checksum(Dialect dialect, String script) {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            byte[] text = String.join(";\n", statements(dialect, script)).getBytes(StandardCharsets.UTF_8);
            return HexFormat.of().formatHex(sha256.digest(text));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** The statements of one script, in order (comments dropped; statements end with {@code ;}). */
    static List<String> statements(Dialect dialect, String script) {
        String path = "/" + dialect.schemaLocation() + "/" + script;
        try (InputStream in = Schema.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("schema script " + path + " is missing from the jar");
            }
            StringBuilder sql = new StringBuilder();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.strip().startsWith("--")) {
                    sql.append(line).append('\n');
                }
            }
            List<String> statements = new ArrayList<>();
            for (String statement : sql.toString().split(";")) {
                if (!statement.isBlank()) {
                    statements.add(statement.strip());
                }
            }
            return statements;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void rollback(Connection connection, Exception failure) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            failure.addSuppressed(e);
        }
    }
}
