package org.oauthidentity.store.jdbc;

/** Refreshes that outlive their lease, on a real PostgreSQL. */
class PostgresLeaseFaultTest extends LeaseFaultTest {
    @Override
    TestDatabase newDatabase() {
        return TestDatabase.postgres();
    }
}
