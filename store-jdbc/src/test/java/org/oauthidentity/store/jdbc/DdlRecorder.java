package org.oauthidentity.store.jdbc;

import static org.oauthidentity.store.jdbc.JdbcProxies.proxy;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import javax.sql.DataSource;

/** A pool that records the SQL its connections run as plain statements (the migrator's DDL). */
final class DdlRecorder extends ConnectionSource {
    private final DataSource pool;
    private final List<String> ran;

    DdlRecorder(DataSource pool, List<String> ran) {
        this.pool = pool;
        this.ran = ran;
    }

    @Override
    public Connection getConnection() throws SQLException {
        Connection connection = pool.getConnection();
        return proxy(Connection.class, connection, (method, args) -> {
            Object result = method.invoke(connection, args);
            if (result instanceof Statement statement && !(result instanceof PreparedStatement)) {
                return proxy(Statement.class, statement, (m, a) -> {
                    if (m.getName().equals("execute")) {
                        ran.add((String) a[0]);
                    }
                    return m.invoke(statement, a);
                });
            }
            return result;
        });
    }
}
