package org.oauthidentity.store.jdbc;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.h2.tools.Server;

/**
 * One fresh, real database for one test class: a new database in the embedded PostgreSQL that the whole test
 * JVM shares (started once), or a new H2 database, in memory or behind an H2 TCP server for tests with
 * several processes. Gives a pool for the test JVM and the connection settings for worker processes.
 */
final class TestDatabase implements AutoCloseable {
    private static final AtomicInteger SEQUENCE = new AtomicInteger();
    private static EmbeddedPostgres postgres;
    private static Server h2Server;

    final Dialect dialect;
    final String url;
    final String user;
    final String password;
    final TestPool pool;

    private TestDatabase(Dialect dialect, String url, String user, String password) {
        this.dialect = dialect;
        this.url = url;
        this.user = user;
        this.password = password;
        this.pool = new TestPool(url, user, password, 8);
    }

    static TestDatabase of(Dialect dialect) {
        return dialect == Dialect.POSTGRESQL ? postgres() : h2InMemory();
    }

    /** A database other processes can reach too. */
    static TestDatabase shared(Dialect dialect) {
        return dialect == Dialect.POSTGRESQL ? postgres() : h2OverTcp();
    }

    static TestDatabase postgres() {
        String name = "store_" + ProcessHandle.current().pid() + "_" + SEQUENCE.incrementAndGet();
        EmbeddedPostgres pg = embeddedPostgres();
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return new TestDatabase(Dialect.POSTGRESQL, pg.getJdbcUrl("postgres", name), "postgres", "postgres");
    }

    static TestDatabase h2InMemory() {
        return new TestDatabase(Dialect.H2, "jdbc:h2:mem:store" + SEQUENCE.incrementAndGet()
                + ";DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=10000", "sa", "");
    }

    static TestDatabase h2OverTcp() {
        Server server = h2Server();
        return new TestDatabase(Dialect.H2, "jdbc:h2:tcp://127.0.0.1:" + server.getPort() + "/mem:shared"
                + SEQUENCE.incrementAndGet() + ";DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=10000", "sa", "");
    }

    private static synchronized EmbeddedPostgres embeddedPostgres() {
        if (postgres == null) {
            try {
                // Durability is not under test: without fsync the many small commits of the tests are cheap.
                postgres = EmbeddedPostgres.builder()
                        .setServerConfig("fsync", "off")
                        .setServerConfig("synchronous_commit", "off")
                        .setServerConfig("full_page_writes", "off")
                        .setServerConfig("max_connections", "200")
                        .start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    postgres.close();
                } catch (IOException ignored) {
                    // the JVM is going away
                }
            }));
        }
        return postgres;
    }

    private static synchronized Server h2Server() {
        if (h2Server == null) {
            try {
                // Loopback only; -ifNotExists lets each test class open a fresh in-memory database by name.
                h2Server = Server.createTcpServer("-tcpPort", "0", "-ifNotExists").start();
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> h2Server.stop()));
        }
        return h2Server;
    }

    /** Runs one statement outside the store (the test's own view of the table). */
    int execute(String sql, Object... parameters) {
        try (Connection c = DriverManager.getConnection(url, user, password);
                PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                ps.setObject(i + 1, parameters[i]);
            }
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The first column of the first row of a query, or null. */
    Object queryValue(String sql, Object... parameters) {
        try (Connection c = DriverManager.getConnection(url, user, password);
                PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                ps.setObject(i + 1, parameters[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getObject(1) : null;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The first column of every row of a query, as strings. */
    List<String> queryStrings(String sql, Object... parameters) {
        try (Connection c = DriverManager.getConnection(url, user, password);
                PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                ps.setObject(i + 1, parameters[i]);
            }
            List<String> values = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    values.add(rs.getString(1));
                }
            }
            return values;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A timestamp column of the first row of a query, as an instant, or null. */
    Instant queryInstant(String sql, Object... parameters) {
        try (Connection c = DriverManager.getConnection(url, user, password);
                PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                ps.setObject(i + 1, parameters[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                OffsetDateTime value = rs.next() ? rs.getObject(1, OffsetDateTime.class) : null;
                return value == null ? null : value.toInstant();
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        pool.close();
    }

    @Override
    public String toString() {
        return dialect.toString();
    }
}
