package org.oauthidentity.store.jdbc;

/** The pending authorization store contract on a real PostgreSQL (embedded, started once per test JVM). */
class PostgresPendingAuthorizationStoreTest extends JdbcPendingAuthorizationStoreContractTest {
    @Override
    TestDatabase newDatabase() {
        return TestDatabase.postgres();
    }
}
