package org.oauthidentity.benchmarks;

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A {@link DataSource} in front of a pool that counts what the store asks of the database: connections
 * borrowed (and the time spent waiting for the pool to hand them out), and statements executed, by their first
 * SQL word ({@code SELECT}, {@code UPDATE}...). It sits outside the pool, so the pool's own housekeeping is not
 * counted. It also keeps the last prepared statement executed, with its parameters ({@link #lastExecuted()}),
 * so that a benchmark can {@code EXPLAIN} exactly what the store ran. Thread-safe.
 */
final class CountingDataSource implements DataSource {
    /** A prepared statement as executed: its SQL and its {@code setXxx(index, value...)} calls, in order. */
    record Executed(String sql, List<Object[]> parameters) {
        /** Makes the same {@code setXxx} calls on {@code target} (e.g. the statement prefixed with EXPLAIN). */
        void bind(PreparedStatement target) throws SQLException {
            for (Object[] call : parameters) {
                java.lang.reflect.Method method = (java.lang.reflect.Method) call[0];
                try {
                    method.invoke(target, (Object[]) call[1]);
                } catch (ReflectiveOperationException e) {
                    throw new SQLException("could not replay " + method.getName(), e);
                }
            }
        }
    }

    private final DataSource pool;
    private final AtomicLong connections = new AtomicLong();
    private final AtomicLong borrowNanos = new AtomicLong();
    private final Map<String, AtomicLong> statements = new ConcurrentHashMap<>();
    private final AtomicReference<Executed> lastExecuted = new AtomicReference<>();

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

    /** Time spent in the pool's {@code getConnection}, summed over every borrow: waits for a free connection. */
    long borrowNanos() {
        return borrowNanos.get();
    }

    /** The last prepared statement executed through this source, or null. */
    Executed lastExecuted() {
        return lastExecuted.get();
    }

    long statementCount() {
        return statements.values().stream().mapToLong(AtomicLong::get).sum();
    }

    @Override
    public Connection getConnection() throws SQLException {
        long start = System.nanoTime();
        Connection c = pool.getConnection();
        borrowNanos.addAndGet(System.nanoTime() - start);
        return counted(c);
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        long start = System.nanoTime();
        Connection c = pool.getConnection(username, password);
        borrowNanos.addAndGet(System.nanoTime() - start);
        return counted(c);
    }

    private Connection counted(Connection connection) {
        connections.incrementAndGet();
        return proxy(Connection.class, connection, (method, args) -> {
            Object result = invoke(method, connection, args);
            String name = method.getName();
            if (result instanceof Statement && (name.equals("prepareStatement") || name.equals("prepareCall"))) {
                return countedStatement((Statement) result, (String) args[0]);
            }
            if (result instanceof Statement) {
                return countedStatement((Statement) result, null);
            }
            return result;
        });
    }

    /**
     * Counts each execute of {@code statement}: by the verb of {@code preparedSql}, or (a plain Statement) by the
     * SQL it is given. A prepared statement's parameters are kept until it is executed.
     */
    private Statement countedStatement(Statement statement, String preparedSql) {
        Class<? extends Statement> type = statement instanceof java.sql.CallableStatement
                ? java.sql.CallableStatement.class
                : statement instanceof PreparedStatement ? PreparedStatement.class : Statement.class;
        String verb = preparedSql == null ? null : verb(preparedSql);
        List<Object[]> parameters = preparedSql == null ? null : new ArrayList<>();
        return proxy(type, statement, (method, args) -> {
            String name = method.getName();
            if (name.startsWith("execute")) {
                String counted = verb != null ? verb : args != null && args.length > 0 && args[0] instanceof String
                        ? verb((String) args[0]) : "BATCH";
                statements.computeIfAbsent(counted, v -> new AtomicLong()).incrementAndGet();
                if (parameters != null) {
                    lastExecuted.set(new Executed(preparedSql, List.copyOf(parameters)));
                }
            } else if (parameters != null && name.startsWith("set") && args != null && args.length >= 2
                    && args[0] instanceof Integer) {
                parameters.add(new Object[] {method, args.clone()});
            } else if (parameters != null && name.equals("clearParameters")) {
                parameters.clear();
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
