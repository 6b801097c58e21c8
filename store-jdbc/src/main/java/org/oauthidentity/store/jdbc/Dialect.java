package org.oauthidentity.store.jdbc;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import javax.sql.DataSource;

/**
 * The databases {@link JdbcIdentityStore} and {@link JdbcPendingAuthorizationStore} speak. Detected from
 * {@link DatabaseMetaData#getDatabaseProductName()} unless set on the builder.
 */
public enum Dialect {
    /** PostgreSQL 12 or later: the production target for fleets. */
    POSTGRESQL("postgresql"),
    /** H2 2.x: the embedded default for a single instance, demos and tests. */
    H2("h2");

    private final String folder;

    Dialect(String folder) {
        this.folder = folder;
    }

    /**
     * Classpath folder of this dialect's versioned schema scripts ({@code V1__oauth_identity.sql}, ...), for
     * a migration tool such as Flyway ({@code classpath:org/oauthidentity/store/jdbc/postgresql}).
     */
    public String schemaLocation() {
        return "org/oauthidentity/store/jdbc/" + folder;
    }

    /** Asks one connection of the pool which database it is. */
    static Dialect detect(DataSource dataSource) {
        try (Connection connection = dataSource.getConnection()) {
            return detect(connection.getMetaData());
        } catch (SQLException e) {
            throw Transactions.failure("could not detect the database's dialect", e, List.of());
        }
    }

    static Dialect detect(DatabaseMetaData metaData) throws SQLException {
        String product = metaData.getDatabaseProductName();
        String name = product == null ? "" : product.toLowerCase(Locale.ROOT);
        if (name.contains("postgresql")) {
            return POSTGRESQL;
        }
        if (name.equals("h2")) {
            return H2;
        }
        throw new IllegalArgumentException("unsupported database '" + product
                + "': the JDBC stores speak PostgreSQL and H2");
    }

    /** A query with one parameter, a table name, answering one row whose boolean says if it is visible. */
    String tableExistsSql() {
        if (this == POSTGRESQL) {
            // Honours search_path, and never fails (a failed probe would log an error on the server).
            return "SELECT to_regclass(?) IS NOT NULL";
        }
        return "SELECT COUNT(*) > 0 FROM INFORMATION_SCHEMA.TABLES"
                + " WHERE TABLE_SCHEMA = CURRENT_SCHEMA AND TABLE_NAME = UPPER(?)";
    }

    /**
     * A query with two parameters, a table name and a column name, answering one row whose boolean says if the
     * table is visible and has that column.
     */
    String columnExistsSql() {
        if (this == POSTGRESQL) {
            return "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(?) AND attname = ?"
                    + " AND NOT attisdropped)";
        }
        return "SELECT COUNT(*) > 0 FROM INFORMATION_SCHEMA.COLUMNS"
                + " WHERE TABLE_SCHEMA = CURRENT_SCHEMA AND TABLE_NAME = UPPER(?) AND COLUMN_NAME = UPPER(?)";
    }

    /** A data-change statement that answers the changed rows, as they are after the change. */
    String returning(String dml, String columns) {
        if (this == POSTGRESQL) {
            return dml + " RETURNING " + columns;
        }
        // H2 has no RETURNING; its data change delta table is the same thing.
        return "SELECT " + columns + " FROM FINAL TABLE (" + dml + ")";
    }

    /** A {@code DELETE} that answers the deleted rows, as they were before it. */
    String returningDeleted(String delete, String columns) {
        if (this == POSTGRESQL) {
            return delete + " RETURNING " + columns;
        }
        return "SELECT " + columns + " FROM OLD TABLE (" + delete + ")";
    }
}
