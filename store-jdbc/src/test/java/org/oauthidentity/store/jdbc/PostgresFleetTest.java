package org.oauthidentity.store.jdbc;

/** The fleet on one embedded PostgreSQL, the production setup. */
class PostgresFleetTest extends FleetTest {
    @Override
    TestDatabase newDatabase() {
        return TestDatabase.postgres();
    }
}
