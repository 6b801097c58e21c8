package org.oauthidentity.store.jdbc;

/** The store contract on H2 in memory, the embedded default. */
class H2IdentityStoreTest extends JdbcIdentityStoreContractTest {
    @Override
    TestDatabase newDatabase() {
        return TestDatabase.h2InMemory();
    }
}
