package org.oauthidentity.store.jdbc;

/** Encryption at rest and key rotation on a real PostgreSQL (embedded). */
class PostgresEncryptionAtRestTest extends EncryptionAtRestContractTest {
    @Override
    TestDatabase newDatabase() {
        return TestDatabase.postgres();
    }
}
