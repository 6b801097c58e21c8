package org.oauthidentity.store.jdbc;

/** Schema migrations on H2 in memory. */
class H2SchemaMigrationTest extends SchemaMigrationContractTest {
    @Override
    TestDatabase newDatabase() {
        return TestDatabase.h2InMemory();
    }
}
