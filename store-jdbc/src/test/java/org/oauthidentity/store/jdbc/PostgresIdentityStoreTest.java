package org.oauthidentity.store.jdbc;

/** The store contract on a real PostgreSQL (embedded, started once per test JVM). */
class PostgresIdentityStoreTest extends JdbcIdentityStoreContractTest {
    @Override
    TestDatabase newDatabase() {
        return TestDatabase.postgres();
    }
}
