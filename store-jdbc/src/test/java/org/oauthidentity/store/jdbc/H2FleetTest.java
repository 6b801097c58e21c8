package org.oauthidentity.store.jdbc;

/** The fleet on one H2 database behind an H2 TCP server in the test JVM. */
class H2FleetTest extends FleetTest {
    @Override
    TestDatabase newDatabase() {
        return TestDatabase.h2OverTcp();
    }
}
