package org.oauthidentity.store.jdbc;

/** Refreshes through the store on H2 in memory. */
class H2RefreshTest extends RefreshThroughStoreTest {
    @Override
    TestDatabase newDatabase() {
        return TestDatabase.h2InMemory();
    }
}
