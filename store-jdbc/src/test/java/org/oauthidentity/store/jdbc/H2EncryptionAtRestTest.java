package org.oauthidentity.store.jdbc;

/** Encryption at rest and key rotation on H2 in memory. */
class H2EncryptionAtRestTest extends EncryptionAtRestContractTest {
    @Override
    TestDatabase newDatabase() {
        return TestDatabase.h2InMemory();
    }
}
