package org.oauthidentity.store.jdbc;

/** One client for many identities, on a real PostgreSQL. */
class PostgresManyIdentitiesTest extends ManyIdentitiesOverJdbcTest {
    @Override
    TestDatabase newDatabase() {
        return TestDatabase.postgres();
    }
}
