package org.oauthidentity.store.jdbc;

/** Refreshes through the store on a real PostgreSQL. */
class PostgresRefreshTest extends RefreshThroughStoreTest {
    @Override
    TestDatabase newDatabase() {
        return TestDatabase.postgres();
    }
}
