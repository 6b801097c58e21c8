package org.oauthidentity.store.jdbc;

/** One client for many identities, on H2. */
class H2ManyIdentitiesTest extends ManyIdentitiesOverJdbcTest {
    @Override
    TestDatabase newDatabase() {
        return TestDatabase.h2InMemory();
    }
}
