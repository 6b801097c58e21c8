package org.oauthidentity.store.jdbc;

/** Refreshes that outlive their lease, on H2. */
class H2LeaseFaultTest extends LeaseFaultTest {
    @Override
    TestDatabase newDatabase() {
        return TestDatabase.h2InMemory();
    }
}
