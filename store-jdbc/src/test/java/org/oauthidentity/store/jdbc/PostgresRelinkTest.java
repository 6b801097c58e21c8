package org.oauthidentity.store.jdbc;

/** Linking an account again, on a real PostgreSQL (embedded). */
class PostgresRelinkTest extends RelinkOverJdbcTest {
    @Override
    TestDatabase newDatabase() {
        return TestDatabase.postgres();
    }
}
