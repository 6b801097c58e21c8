package org.oauthidentity.store.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * Applies the versioned schema scripts shipped in {@code /org/oauthidentity/store/jdbc/<dialect>/}. The
 * scripts only create what is missing ({@code IF NOT EXISTS}), so applying them twice, to a table at an earlier
 * version, or from several instances starting at once, is harmless.
 */
final class Schema {
    private static final int MAX_ATTEMPTS = 5;
    /** Serializes this JVM's schema changes on H2 (see {@link #apply}). */
    private static final Object H2_DDL = new Object();

    private Schema() {
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

    /** Runs {@code script} unless {@code table} exists already. */
    static void createIfMissing(DataSource dataSource, Dialect dialect, String script, String table) {
        apply(dataSource, dialect, List.of(script), table, null);
    }

    /**
     * Brings {@code table} up to date: unless it exists and has {@code newestColumn} (the column the last script
     * adds; null when the table alone tells), runs every script in order. Each only creates what is missing, so
     * a table at any earlier version ends at the newest. On PostgreSQL the scripts run in one transaction behind
     * an advisory lock, so instances starting together apply them one after the other. H2 has no such lock, and
     * H2 2.4 gets concurrent DDL on one table wrong ({@code CREATE INDEX IF NOT EXISTS} fails when another session
     * creates the index at that moment; two concurrent {@code ALTER TABLE ... ADD COLUMN}s, each rebuilding the
     * table, can lose its rows): so on H2 the stores of one JVM apply scripts one at a time, and a failed run is
     * run again (each such failure means another instance got further). Several processes sharing one H2 server
     * must not upgrade it at the same moment. A check that finds the table up to date takes no lock at all, so a
     * running fleet's traffic never queues behind a starting instance's {@code ALTER TABLE}.
     */
    static void apply(DataSource dataSource, Dialect dialect, List<String> scripts, String table, String newestColumn) {
        if (dialect == Dialect.H2) {
            synchronized (H2_DDL) {
                applyUnlocked(dataSource, dialect, scripts, table, newestColumn);
            }
        } else {
            applyUnlocked(dataSource, dialect, scripts, table, newestColumn);
        }
    }

    private static void applyUnlocked(DataSource dataSource, Dialect dialect, List<String> scripts, String table,
            String newestColumn) {
        for (int attempt = 1; !upToDate(dataSource, dialect, table, newestColumn); attempt++) {
            try {
                run(dataSource, dialect, scripts, table);
                return;
            } catch (SQLException e) {
                if (attempt >= MAX_ATTEMPTS && !upToDate(dataSource, dialect, table, newestColumn)) {
                    throw Transactions.failure("could not create or upgrade table " + table, e, List.of());
                }
            }
        }
    }

    private static void run(DataSource dataSource, Dialect dialect, List<String> scripts, String table)
            throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            boolean autoCommit = connection.getAutoCommit();
            boolean transaction = dialect == Dialect.POSTGRESQL;
            connection.setAutoCommit(!transaction);
            try (Statement statement = connection.createStatement()) {
                if (transaction) {
                    try (PreparedStatement lock = connection.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
                        lock.setLong(1, lockKey(table));
                        lock.execute();
                    }
                }
                for (String script : scripts) {
                    for (String sql : statements(dialect, script)) {
                        statement.execute(sql);
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

    private static void rollback(Connection connection, Exception failure) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            failure.addSuppressed(e);
        }
    }

    /** The same key in every JVM (String.hashCode is specified), one per table. */
    private static long lockKey(String table) {
        return ("org.oauthidentity.store.jdbc schema " + table).hashCode();
    }

    private static boolean upToDate(DataSource dataSource, Dialect dialect, String table, String newestColumn) {
        return exists(dataSource, dialect, table)
                && (newestColumn == null || hasColumn(dataSource, dialect, table, newestColumn));
    }

    private static boolean hasColumn(DataSource dataSource, Dialect dialect, String table, String column) {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement query = connection.prepareStatement(dialect.columnExistsSql())) {
            query.setString(1, table);
            query.setString(2, column);
            try (ResultSet rs = query.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        } catch (SQLException e) {
            throw Transactions.failure("could not look for column " + column + " of table " + table, e, List.of());
        }
    }

    private static boolean exists(DataSource dataSource, Dialect dialect, String table) {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement query = connection.prepareStatement(dialect.tableExistsSql())) {
            query.setString(1, table);
            try (ResultSet rs = query.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        } catch (SQLException e) {
            throw Transactions.failure("could not look for table " + table, e, List.of());
        }
    }
}
