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
 * scripts only create what is missing ({@code IF NOT EXISTS}), so applying them twice, or from several
 * instances starting at once, is harmless.
 */
final class Schema {
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
        if (exists(dataSource, dialect, table)) {
            return;
        }
        try (Connection connection = dataSource.getConnection()) {
            boolean autoCommit = connection.getAutoCommit();
            connection.setAutoCommit(true);
            try (Statement statement = connection.createStatement()) {
                for (String sql : statements(dialect, script)) {
                    statement.execute(sql);
                }
            } finally {
                connection.setAutoCommit(autoCommit);
            }
        } catch (SQLException e) {
            // Another instance may have created it at the same moment (PostgreSQL can then report a duplicate).
            if (!exists(dataSource, dialect, table)) {
                throw Transactions.failure("could not create table " + table, e, List.of());
            }
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
