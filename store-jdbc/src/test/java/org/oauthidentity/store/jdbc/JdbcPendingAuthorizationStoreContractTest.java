package org.oauthidentity.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.oauthidentity.IdentityStoreException;
import org.oauthidentity.authorize.PendingAuthorization;
import org.oauthidentity.authorize.PendingAuthorizationStore;
import org.oauthidentity.testkit.PendingAuthorizationStoreContract;

/**
 * The {@link PendingAuthorizationStore} contract (the testkit's, which every store passes) on a real database,
 * plus what is the database's own: the dialect and the table, the column that stays NULL, the cipher's format in
 * the column, and a row the database refuses. One subclass per database; one database per test class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class JdbcPendingAuthorizationStoreContractTest extends PendingAuthorizationStoreContract {
    TestDatabase db;
    JdbcPendingAuthorizationStore pending;
    private final List<TestPool> otherPools = new ArrayList<>();

    abstract TestDatabase newDatabase();

    @BeforeAll
    void startDatabase() {
        db = newDatabase();
    }

    @AfterAll
    void closeDatabase() {
        db.close();
    }

    @AfterEach
    void closeOtherPools() {
        otherPools.forEach(TestPool::close);
        otherPools.clear();
    }

    JdbcPendingAuthorizationStore.Builder newPendingStore() {
        return JdbcPendingAuthorizationStore.builder(db.pool).createSchemaIfMissing();
    }

    @Override
    protected PendingAuthorizationStore newStore() {
        pending = newPendingStore().build();
        db.execute("DELETE FROM " + JdbcPendingAuthorizationStore.TABLE);
        return pending;
    }

    @Override
    protected PendingAuthorizationStore newEncryptingStore() {
        return newPendingStore().tokenCipher(TestKeys.newCipher()).build();
    }

    @Override
    protected PendingAuthorizationStore anotherInstance() {
        // Another instance of the service: its own pool, its own store, the same database.
        TestPool pool = new TestPool(db.url, db.user, db.password, 8);
        otherPools.add(pool);
        return JdbcPendingAuthorizationStore.builder(pool).build();
    }

    @Override
    protected String storedUnder(String key) {
        return (String) db.queryValue("SELECT CONCAT(pending_key, provider_key, state_digest, owner_digest,"
                + " redirect_uri, code_verifier, scopes, created_at, expires_at) FROM "
                + JdbcPendingAuthorizationStore.TABLE + " WHERE pending_key = ?", key);
    }

    @Override
    protected void copyStoredVerifier(String fromKey, String toKey) {
        db.execute("UPDATE " + JdbcPendingAuthorizationStore.TABLE + " SET code_verifier = (SELECT code_verifier FROM "
                + JdbcPendingAuthorizationStore.TABLE + " WHERE pending_key = ?) WHERE pending_key = ?", fromKey, toKey);
    }

    int pendingRows() {
        return ((Number) db.queryValue("SELECT COUNT(*) FROM " + JdbcPendingAuthorizationStore.TABLE)).intValue();
    }

    // ---- the database's own ----------------------------------------------------------------------------------

    @Test
    void detectsItsDialectAndCreatesItsTableOnlyOnce() {
        assertThat(pending.dialect()).isEqualTo(db.dialect);
        JdbcPendingAuthorizationStore again = newPendingStore().build();
        Started s = startedWithVerifier();

        again.put(s.key, s.record, clock.instant().plus(FLOW_TTL));

        assertThat(pending.consume(s.key, clock.instant())).isPresent();
    }

    @Test
    void aRecordWithoutVerifierLeavesItsColumnNull() {
        Started s = new Started("google", clock.instant(), false, List.of());

        put(s);

        assertThat(db.queryValue("SELECT code_verifier FROM " + JdbcPendingAuthorizationStore.TABLE)).isNull();
    }

    @Test
    void withACipherTheColumnHoldsTheCiphersFormatAndTheStoreSaysSo() {
        JdbcPendingAuthorizationStore encrypted = newPendingStore().tokenCipher(TestKeys.newCipher()).build();
        Started s = startedWithVerifier();

        encrypted.put(s.key, s.record, clock.instant().plus(FLOW_TTL));

        assertThat((String) db.queryValue("SELECT code_verifier FROM " + JdbcPendingAuthorizationStore.TABLE))
                .startsWith("v1:");
        assertThat(encrypted.toString()).contains("verifierEncrypted=true");
        assertThat(pending.toString()).contains(db.dialect.name()).contains("verifierEncrypted=false");
    }

    @Test
    void aRowTheDatabaseRefusesFailsWithoutEchoingTheKeyDigestsOrVerifier() {
        // A constraint the database reports with the failing row (PostgreSQL: "Failing row contains (...)").
        db.execute("ALTER TABLE " + JdbcPendingAuthorizationStore.TABLE
                + " ADD CONSTRAINT test_short_redirect CHECK (CHAR_LENGTH(redirect_uri) < 60)");
        try {
            Started s = startedWithVerifier();
            PendingAuthorization longRedirect = PendingAuthorization.builder()
                    .stateDigest(s.record.stateDigest())
                    .providerKey("gitlab")
                    .redirectUri("https://app.example.test/oauth/callback/with/a/path/longer/than/sixty")
                    .codeVerifier(s.verifier)
                    .ownerDigest(s.record.ownerDigest())
                    .createdAt(clock.instant())
                    .build();

            Throwable failure = catchThrowable(() -> pending.put(s.key, longRedirect, clock.instant().plus(FLOW_TTL)));

            assertThat(failure).isInstanceOf(IdentityStoreException.class)
                    .hasMessageStartingWith("could not record a pending authorization of provider gitlab")
                    .hasMessageContaining("SQLState 23");
            String trace = stackTrace(failure);
            assertNoPieceOf(trace, s.secrets());
            if (db.dialect == Dialect.POSTGRESQL) {
                // PostgreSQL did echo the row: the test saw the redaction at work, not a quiet database.
                assertThat(trace).contains("<withheld: it echoed a credential>");
            }
            assertThat(pendingRows()).isZero();
        } finally {
            db.execute("ALTER TABLE " + JdbcPendingAuthorizationStore.TABLE + " DROP CONSTRAINT test_short_redirect");
        }
    }
}
