package org.oauthidentity.store.jdbc;

/** The pending authorization store contract on H2 in memory, the embedded default. */
class H2PendingAuthorizationStoreTest extends JdbcPendingAuthorizationStoreContractTest {
    @Override
    TestDatabase newDatabase() {
        return TestDatabase.h2InMemory();
    }
}
