package org.oauthidentity.store.jdbc;

/** Linking an account again, on H2 in memory. */
class H2RelinkTest extends RelinkOverJdbcTest {
    @Override
    TestDatabase newDatabase() {
        return TestDatabase.h2InMemory();
    }
}
