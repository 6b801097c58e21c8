package org.oauthidentity.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.IdentityStoreException;
import org.oauthidentity.authorize.PendingAuthorization;
import org.oauthidentity.authorize.PendingAuthorizationStore;

/**
 * The {@link PendingAuthorizationStore} contract (the one core's in-memory store keeps) on a real database:
 * put, single-use consume across threads and connection pools, expiry on read by the caller's clock, purge,
 * the verifier encrypted at rest, and no secret in any message. One subclass per database.
 */
abstract class JdbcPendingAuthorizationStoreContractTest extends StoreTestSupport {
    static final Duration FLOW_TTL = Duration.ofMinutes(10);

    JdbcPendingAuthorizationStore pending;

    @BeforeEach
    void emptyPendingTable() {
        pending = newPendingStore().build();
        db.execute("DELETE FROM " + JdbcPendingAuthorizationStore.TABLE);
    }

    JdbcPendingAuthorizationStore.Builder newPendingStore() {
        return JdbcPendingAuthorizationStore.builder(db.pool).createSchemaIfMissing();
    }

    /** A started authorization as AuthorizationFlow records it: digests of a random state and session. */
    static final class Started {
        final String state = random(43);
        final String session = "session-" + random(20);
        final String verifier;
        final String key;
        final PendingAuthorization record;

        Started(String provider, Instant createdAt, boolean pkce, List<String> scopes) {
            this.verifier = pkce ? random(43) : null;
            this.key = provider + ":" + sha256(state);
            this.record = PendingAuthorization.builder()
                    .stateDigest(sha256(state))
                    .providerKey(provider)
                    .redirectUri("https://app.example.test/oauth/callback")
                    .codeVerifier(verifier)
                    .ownerDigest(sha256(session))
                    .scopes(scopes)
                    .createdAt(createdAt)
                    .build();
        }

        /** Everything no message may show, in any piece. */
        String[] secrets() {
            return Stream.of(state, session, verifier, key, record.stateDigest(), record.ownerDigest())
                    .filter(Objects::nonNull).toArray(String[]::new);
        }
    }

    /** A GitLab authorization with PKCE, started now. */
    Started startedWithVerifier() {
        return new Started("gitlab", clock.instant(), true, List.of("api", "read_user"));
    }

    static String sha256(String text) {
        try {
            return Base64.getUrlEncoder().withoutPadding().encodeToString(
                    MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    int pendingRows() {
        return ((Number) db.queryValue("SELECT COUNT(*) FROM " + JdbcPendingAuthorizationStore.TABLE)).intValue();
    }

    int rowsUnder(String key) {
        return ((Number) db.queryValue("SELECT COUNT(*) FROM " + JdbcPendingAuthorizationStore.TABLE
                + " WHERE pending_key = ?", key)).intValue();
    }

    // ---- put and consume ---------------------------------------------------------------------------------------

    @Test
    void detectsItsDialectAndCreatesItsTableOnlyOnce() {
        assertThat(pending.dialect()).isEqualTo(db.dialect);
        JdbcPendingAuthorizationStore again = newPendingStore().build();
        Started s = startedWithVerifier();

        again.put(s.key, s.record, clock.instant().plus(FLOW_TTL));

        assertThat(pending.consume(s.key, clock.instant())).isPresent();
    }

    @Test
    void aRecordPutIsConsumedOnceWithEveryFieldAndItsRowIsGone() {
        Started s = startedWithVerifier();
        pending.put(s.key, s.record, clock.instant().plus(FLOW_TTL));
        assertThat(rowsUnder(s.key)).isEqualTo(1);

        Optional<PendingAuthorization> first = pending.consume(s.key, clock.instant());
        Optional<PendingAuthorization> second = pending.consume(s.key, clock.instant());

        PendingAuthorization read = first.orElseThrow();
        assertThat(read.stateDigest()).isEqualTo(s.record.stateDigest());
        assertThat(read.ownerDigest()).isEqualTo(s.record.ownerDigest());
        assertThat(read.providerKey()).isEqualTo("gitlab");
        assertThat(read.redirectUri()).isEqualTo("https://app.example.test/oauth/callback");
        assertThat(read.codeVerifier()).contains(s.verifier);
        assertThat(read.scopes()).containsExactly("api", "read_user");
        assertThat(read.createdAt()).isEqualTo(clock.instant());
        assertThat(second).isEmpty();
        assertThat(pendingRows()).isZero();
    }

    @Test
    void aRecordWithoutVerifierOrScopesReadsBackAsSuch() {
        Started s = new Started("google", clock.instant(), false, List.of());
        pending.put(s.key, s.record, clock.instant().plus(FLOW_TTL));

        PendingAuthorization read = pending.consume(s.key, clock.instant()).orElseThrow();

        assertThat(read.codeVerifier()).isEmpty();
        assertThat(read.scopes()).isEmpty();
        assertThat(read.providerKey()).isEqualTo("google");
        assertThat(db.queryValue("SELECT code_verifier FROM " + JdbcPendingAuthorizationStore.TABLE)).isNull();
    }

    @Test
    void aTakenKeyIsRefusedWithoutNamingItAndTheFirstRecordIsKept() {
        Started first = startedWithVerifier();
        pending.put(first.key, first.record, clock.instant().plus(FLOW_TTL));
        PendingAuthorization impostor = PendingAuthorization.builder()
                .stateDigest(first.record.stateDigest())
                .providerKey("gitlab")
                .redirectUri("https://evil.example.test/cb")
                .codeVerifier("other-" + random(40))
                .ownerDigest(sha256("session-mallory"))
                .createdAt(clock.instant())
                .build();

        Throwable taken = catchThrowable(() -> pending.put(first.key, impostor, clock.instant().plus(FLOW_TTL)));

        assertThat(taken).isInstanceOf(IllegalStateException.class).hasMessageContaining("exists already");
        assertNoPieceOf(stackTrace(taken), first.secrets());
        PendingAuthorization kept = pending.consume(first.key, clock.instant()).orElseThrow();
        assertThat(kept.redirectUri()).isEqualTo("https://app.example.test/oauth/callback");
        assertThat(kept.codeVerifier()).contains(first.verifier);
    }

    @Test
    void anUnknownKeyIsNothingAndTouchesNoOtherRecord() {
        Started s = startedWithVerifier();
        pending.put(s.key, s.record, clock.instant().plus(FLOW_TTL));

        assertThat(pending.consume("gitlab:" + sha256("never-started"), clock.instant())).isEmpty();
        // Keys match exactly: another provider's key over the same digest, or another case, is another key.
        assertThat(pending.consume("google:" + s.record.stateDigest(), clock.instant())).isEmpty();
        assertThat(pending.consume(s.key.toUpperCase(Locale.ROOT), clock.instant())).isEmpty();

        assertThat(rowsUnder(s.key)).isEqualTo(1);
    }

    // ---- expiry: on read, by the caller's clock; purge ---------------------------------------------------------

    @Test
    void aRecordIsReturnedUntilJustBeforeItsExpiryByTheInjectedClock() {
        Started s = startedWithVerifier();
        pending.put(s.key, s.record, clock.instant().plus(FLOW_TTL));

        clock.advance(FLOW_TTL.minusNanos(1000));

        assertThat(pending.consume(s.key, clock.instant())).isPresent();
    }

    @Test
    void anExpiredRecordIsNeverReturnedAndTheReadThatFindsItDeletesIt() {
        Started s = startedWithVerifier();
        Started later = startedWithVerifier();
        pending.put(s.key, s.record, clock.instant().plus(FLOW_TTL));
        pending.put(later.key, later.record, clock.instant().plus(FLOW_TTL).plusSeconds(60));

        clock.advance(FLOW_TTL); // the expiry instant itself counts as expired

        assertThat(pending.consume(s.key, clock.instant())).isEmpty();
        assertThat(rowsUnder(s.key)).isZero();
        assertThat(rowsUnder(later.key)).isEqualTo(1);
        // Gone for good: not even a caller with an earlier clock gets it back.
        assertThat(pending.consume(s.key, clock.instant().minus(FLOW_TTL))).isEmpty();
    }

    @Test
    void purgeDeletesExactlyTheRecordsExpiredAtThatInstant() {
        Instant t0 = clock.instant();
        List<Started> expiring = new ArrayList<>();
        for (Duration after : List.of(Duration.ofMinutes(1), Duration.ofMinutes(2), Duration.ofMinutes(5))) {
            Started s = startedWithVerifier();
            pending.put(s.key, s.record, t0.plus(after));
            expiring.add(s);
        }
        List<Started> live = List.of(startedWithVerifier(), startedWithVerifier());
        live.forEach(s -> pending.put(s.key, s.record, t0.plus(Duration.ofMinutes(5)).plusNanos(1000)));

        int purged = pending.purgeExpired(t0.plus(Duration.ofMinutes(5)));

        assertThat(purged).isEqualTo(3);
        assertThat(pendingRows()).isEqualTo(2);
        expiring.forEach(s -> assertThat(rowsUnder(s.key)).isZero());
        assertThat(pending.purgeExpired(t0.plus(Duration.ofMinutes(5)))).isZero();
        live.forEach(s -> assertThat(pending.consume(s.key, t0.plus(Duration.ofMinutes(5)))).isPresent());
    }

    // ---- single use under concurrency ----------------------------------------------------------------------

    @Test
    void manyThreadsConsumingOneKeyAtOnceExactlyOneGetsIt() throws Exception {
        int rounds = 40;
        int racers = 8;
        for (int round = 0; round < rounds; round++) {
            Started s = startedWithVerifier();
            pending.put(s.key, s.record, clock.instant().plus(FLOW_TTL));

            List<Optional<PendingAuthorization>> outcomes = race(s.key, racers, t -> pending);

            assertThat(outcomes).filteredOn(Optional::isPresent).as("round %d", round).hasSize(1);
            assertThat(outcomes).filteredOn(Optional::isPresent).first()
                    .satisfies(won -> assertThat(won.orElseThrow().codeVerifier()).contains(s.verifier));
        }
        assertThat(pendingRows()).isZero();
    }

    @Test
    void twoStoresOnTwoConnectionPoolsRacingForOneKeyLetExactlyOneWin() throws Exception {
        try (TestPool otherPool = new TestPool(db.url, db.user, db.password, 8)) {
            // Another instance of the service: its own pool, its own store, the same database.
            JdbcPendingAuthorizationStore otherInstance = JdbcPendingAuthorizationStore.builder(otherPool).build();
            int rounds = 40;
            int racers = 8;
            int[] winsByStore = new int[2];
            for (int round = 0; round < rounds; round++) {
                Started s = startedWithVerifier();
                (round % 2 == 0 ? pending : otherInstance).put(s.key, s.record, clock.instant().plus(FLOW_TTL));

                List<Optional<PendingAuthorization>> outcomes = race(s.key, racers, t -> t % 2 == 0 ? pending : otherInstance);

                assertThat(outcomes).filteredOn(Optional::isPresent).as("round %d", round).hasSize(1);
                for (int t = 0; t < racers; t++) {
                    if (outcomes.get(t).isPresent()) {
                        winsByStore[t % 2]++;
                    }
                }
            }
            assertThat(winsByStore[0] + winsByStore[1]).isEqualTo(rounds);
            assertThat(pendingRows()).isZero();
        }
    }

    interface StoreOf {
        PendingAuthorizationStore forRacer(int racer);
    }

    /** Releases {@code racers} threads together on one key; returns each one's outcome, in racer order. */
    private List<Optional<PendingAuthorization>> race(String key, int racers, StoreOf stores) throws Exception {
        CyclicBarrier start = new CyclicBarrier(racers);
        List<Future<Optional<PendingAuthorization>>> done = new ArrayList<>();
        for (int t = 0; t < racers; t++) {
            PendingAuthorizationStore racerStore = stores.forRacer(t);
            done.add(threads.submit(() -> {
                start.await();
                return racerStore.consume(key, clock.instant());
            }));
        }
        List<Optional<PendingAuthorization>> outcomes = new ArrayList<>();
        for (Future<Optional<PendingAuthorization>> f : done) {
            outcomes.add(f.get(60, TimeUnit.SECONDS));
        }
        return outcomes;
    }

    // ---- encryption at rest and error hygiene ----------------------------------------------------------------

    @Test
    void withoutACipherTheVerifierIsStoredAsItIs() {
        Started s = startedWithVerifier();

        pending.put(s.key, s.record, clock.instant().plus(FLOW_TTL));

        assertThat(db.queryValue("SELECT code_verifier FROM " + JdbcPendingAuthorizationStore.TABLE))
                .isEqualTo(s.verifier);
    }

    @Test
    void withACipherTheVerifierIsEncryptedAtRestAndTheStateAndOwnerAreOnlyDigests() {
        JdbcPendingAuthorizationStore encrypted = newPendingStore().tokenCipher(TestKeys.newCipher()).build();
        Started s = startedWithVerifier();

        encrypted.put(s.key, s.record, clock.instant().plus(FLOW_TTL));

        String raw = (String) db.queryValue("SELECT code_verifier FROM " + JdbcPendingAuthorizationStore.TABLE);
        assertThat(raw).startsWith("v1:");
        String row = (String) db.queryValue("SELECT CONCAT(pending_key, provider_key, state_digest, owner_digest,"
                + " redirect_uri, code_verifier, scopes) FROM " + JdbcPendingAuthorizationStore.TABLE);
        assertNoPieceOf(row, s.verifier, s.state, s.session);
        assertThat(encrypted.toString()).contains("verifierEncrypted=true");
        assertThat(encrypted.consume(s.key, clock.instant()).orElseThrow().codeVerifier()).contains(s.verifier);
    }

    @Test
    void aVerifierCiphertextCopiedIntoAnotherRowDoesNotDecryptAndNamesNoSecret() {
        JdbcPendingAuthorizationStore encrypted = newPendingStore().tokenCipher(TestKeys.newCipher()).build();
        Started alice = startedWithVerifier();
        Started mallory = startedWithVerifier();
        encrypted.put(alice.key, alice.record, clock.instant().plus(FLOW_TTL));
        encrypted.put(mallory.key, mallory.record, clock.instant().plus(FLOW_TTL));
        db.execute("UPDATE " + JdbcPendingAuthorizationStore.TABLE + " SET code_verifier = (SELECT code_verifier FROM "
                + JdbcPendingAuthorizationStore.TABLE + " WHERE pending_key = ?) WHERE pending_key = ?",
                alice.key, mallory.key);

        Throwable failure = catchThrowable(() -> encrypted.consume(mallory.key, clock.instant()));

        assertThat(failure).isInstanceOf(IdentityStoreException.class)
                .hasMessageContaining("could not decrypt the code verifier");
        assertNoPieceOf(stackTrace(failure), alice.secrets());
        assertNoPieceOf(stackTrace(failure), mallory.secrets());
        assertThat(rowsUnder(mallory.key)).as("a record that cannot be read is spent, not retried").isZero();
        assertThat(encrypted.consume(alice.key, clock.instant()).orElseThrow().codeVerifier()).contains(alice.verifier);
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

    @Test
    void neitherTheStoreNorWhatItReturnsPrintsASecret() {
        Started s = startedWithVerifier();
        pending.put(s.key, s.record, clock.instant().plus(FLOW_TTL));

        PendingAuthorization read = pending.consume(s.key, clock.instant()).orElseThrow();

        assertNoPieceOf(pending + " " + read, s.secrets());
        assertThat(pending.toString()).contains(db.dialect.name()).contains("verifierEncrypted=false");
    }
}
