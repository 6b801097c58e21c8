package org.oauthidentity.store.jdbc;

/** The chaos fleet on one embedded PostgreSQL, the production setup. */
class PostgresChaosTest extends ChaosTest {
    @Override
    TestDatabase newDatabase() {
        return TestDatabase.postgres();
    }
}
