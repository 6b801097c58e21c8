package org.oauthidentity.store.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Collection;
import javax.sql.DataSource;
import org.oauthidentity.IdentityStoreException;

/**
 * Runs one unit of work on a connection from the user's {@link DataSource}: committed as a whole or not at
 * all, whatever the pool's auto-commit setting, and every {@link SQLException} turned into an
 * {@link IdentityStoreException} whose message names what failed (ids only) and whose cause never echoes a
 * credential. The store's writes are single statements, so under auto-commit a unit costs one round trip.
 * Thread-safe; shared by the stores of this package.
 */
final class Transactions {
    private final DataSource dataSource;
    private final boolean explicit;

    /**
     * @param explicit always open a transaction and commit or roll it back, even on an auto-commit connection.
     *     H2 needs it: under auto-commit, an H2 2.3/2.4 data-change delta table ({@code SELECT ... FROM FINAL
     *     TABLE (UPDATE ...)}) that fails on a constraint keeps its half-done work (the row is gone).
     */
    Transactions(DataSource dataSource, boolean explicit) {
        this.dataSource = dataSource;
        this.explicit = explicit;
    }

    @FunctionalInterface
    interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    /**
     * @param what how the failure reads, e.g. "could not save identity alice"
     * @param secrets values bound by the work that no exception may show
     */
    <T> T run(String what, Collection<String> secrets, Work<T> work) {
        try (Connection connection = dataSource.getConnection()) {
            // Pools may hand out connections in manual-commit mode; then the unit is committed here.
            boolean pooledAutoCommit = connection.getAutoCommit();
            boolean manual = !pooledAutoCommit || explicit;
            if (pooledAutoCommit && explicit) {
                connection.setAutoCommit(false);
            }
            try {
                T result = work.run(connection);
                if (manual) {
                    connection.commit();
                }
                return result;
            } catch (SQLException | RuntimeException e) {
                if (manual) {
                    rollback(connection, e);
                }
                throw e;
            } finally {
                if (pooledAutoCommit && explicit) {
                    restoreAutoCommit(connection);
                }
            }
        } catch (SQLException e) {
            throw failure(what, e, secrets);
        }
    }

    static IdentityStoreException failure(String what, SQLException e, Collection<String> secrets) {
        String state = e.getSQLState() == null ? "" : ", SQLState " + e.getSQLState();
        return new IdentityStoreException(what + " (database error" + state + ")", Redaction.scrub(e, secrets));
    }

    private static void restoreAutoCommit(Connection connection) {
        try {
            connection.setAutoCommit(true);
        } catch (SQLException e) {
            // The connection is broken; the failure that matters is already on its way, and the pool drops it.
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
