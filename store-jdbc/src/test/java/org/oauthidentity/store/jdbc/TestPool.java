package org.oauthidentity.store.jdbc;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A small fixed-size connection pool over {@link DriverManager}, as a service would have one (HikariCP, say),
 * without a new dependency: at most {@code size} physical connections, reused; a borrowed connection's
 * {@code close()} hands it back in auto-commit mode. Thread-safe.
 */
final class TestPool extends ConnectionSource implements AutoCloseable {
    private final String url;
    private final String user;
    private final String password;
    private final Semaphore permits;
    private final ConcurrentLinkedQueue<Connection> idle = new ConcurrentLinkedQueue<>();

    TestPool(String url, String user, String password, int size) {
        this.url = url;
        this.user = user;
        this.password = password;
        this.permits = new Semaphore(size);
    }

    @Override
    public Connection getConnection() throws SQLException {
        try {
            if (!permits.tryAcquire(30, TimeUnit.SECONDS)) {
                throw new SQLException("test pool exhausted", "08001");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted", "08001", e);
        }
        Connection physical = idle.poll();
        try {
            while (physical != null && physical.isClosed()) {
                physical = idle.poll();
            }
            if (physical == null) {
                physical = DriverManager.getConnection(url, user, password);
            }
        } catch (SQLException | RuntimeException e) {
            permits.release();
            throw e;
        }
        return borrowed(physical);
    }

    private Connection borrowed(Connection physical) {
        boolean[] closed = new boolean[1];
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "close":
                            if (!closed[0]) {
                                closed[0] = true;
                                giveBack(physical);
                            }
                            return null;
                        case "isClosed":
                            return closed[0] || physical.isClosed();
                        default:
                            if (closed[0]) {
                                throw new SQLException("connection handed back to the pool", "08003");
                            }
                            try {
                                return method.invoke(physical, args);
                            } catch (InvocationTargetException e) {
                                throw e.getCause();
                            }
                    }
                });
    }

    private void giveBack(Connection physical) {
        try {
            if (!physical.isClosed()) {
                if (!physical.getAutoCommit()) {
                    physical.rollback();
                    physical.setAutoCommit(true);
                }
                idle.add(physical);
            }
        } catch (SQLException e) {
            closeQuietly(physical);
        } finally {
            permits.release();
        }
    }

    @Override
    public void close() {
        for (Connection c; (c = idle.poll()) != null; ) {
            closeQuietly(c);
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // closing a broken connection
        }
    }
}
