package org.oauthidentity.benchmarks;

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A {@link DataSource} in front of a pool that counts what the store asks of the database: connections
 * borrowed, and statements executed, by their first SQL word ({@code SELECT}, {@code UPDATE}...). It sits
 * outside the pool, so the pool's own housekeeping is not counted. Thread-safe.
 */
final class CountingDataSource implements DataSource {
    private final DataSource pool;
    private final AtomicLong connections = new AtomicLong();
    private final Map<String, AtomicLong> statements = new ConcurrentHashMap<>();

    CountingDataSource(DataSource pool) {
        this.pool = pool;
    }

    long connections() {
        return connections.get();
    }

    /** Statements executed so far, by verb. */
    Map<String, Long> statements() {
        Map<String, Long> copy = new TreeMap<>();
        statements.forEach((verb, n) -> copy.put(verb, n.get()));
        return copy;
    }

    long statementCount() {
        return statements.values().stream().mapToLong(AtomicLong::get).sum();
    }

    @Override
    public Connection getConnection() throws SQLException {
        return counted(pool.getConnection());
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return counted(pool.getConnection(username, password));
    }

    private Connection counted(Connection connection) {
        connections.incrementAndGet();
        return proxy(Connection.class, connection, (method, args) -> {
            Object result = invoke(method, connection, args);
            String name = method.getName();
            if (result instanceof Statement && (name.equals("prepareStatement") || name.equals("prepareCall"))) {
                return countedStatement((Statement) result, verb((String) args[0]));
            }
            if (result instanceof Statement) {
                return countedStatement((Statement) result, null);
            }
            return result;
        });
    }

    /** Counts each execute of {@code statement}: as {@code verb}, or (a plain Statement) by the SQL it is given. */
    private Statement countedStatement(Statement statement, String verb) {
        Class<? extends Statement> type = statement instanceof java.sql.CallableStatement
                ? java.sql.CallableStatement.class
                : statement instanceof java.sql.PreparedStatement ? java.sql.PreparedStatement.class : Statement.class;
        return proxy(type, statement, (method, args) -> {
            if (method.getName().startsWith("execute")) {
                String counted = verb != null ? verb : args != null && args.length > 0 && args[0] instanceof String
                        ? verb((String) args[0]) : "BATCH";
                statements.computeIfAbsent(counted, v -> new AtomicLong()).incrementAndGet();
            }
            return invoke(method, statement, args);
        });
    }

    private static String verb(String sql) {
        String trimmed = sql.stripLeading();
        int end = 0;
        while (end < trimmed.length() && Character.isLetter(trimmed.charAt(end))) {
            end++;
        }
        return trimmed.substring(0, end).toUpperCase(java.util.Locale.ROOT);
    }

    @FunctionalInterface
    private interface Handler {
        Object handle(java.lang.reflect.Method method, Object[] args) throws Throwable;
    }

    private static <T> T proxy(Class<T> type, Object target, Handler handler) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
                (p, method, args) -> handler.handle(method, args)));
    }

    private static Object invoke(java.lang.reflect.Method method, Object target, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return pool.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        pool.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        pool.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return pool.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return pool.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        // Unwrapping would hand out an uncounted pool.
        throw new SQLException("a CountingDataSource does not unwrap");
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
        return false;
    }
}
