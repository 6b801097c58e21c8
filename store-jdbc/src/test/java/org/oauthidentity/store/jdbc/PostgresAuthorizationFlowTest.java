package org.oauthidentity.store.jdbc;

/** Linking accounts with both stores in a real PostgreSQL (embedded, started once per test JVM). */
class PostgresAuthorizationFlowTest extends AuthorizationFlowOverJdbcTest {
    @Override
    TestDatabase newDatabase() {
        return TestDatabase.postgres();
    }
}
