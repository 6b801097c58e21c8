package org.oauthidentity.store.jdbc;

/** Linking accounts with both stores in H2 in memory. */
class H2AuthorizationFlowTest extends AuthorizationFlowOverJdbcTest {
    @Override
    TestDatabase newDatabase() {
        return TestDatabase.h2InMemory();
    }
}
