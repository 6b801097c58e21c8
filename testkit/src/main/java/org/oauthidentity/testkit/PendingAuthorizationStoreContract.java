package org.oauthidentity.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.IdentityStoreException;
import org.oauthidentity.authorize.AuthorizationFlow;
import org.oauthidentity.authorize.PendingAuthorization;
import org.oauthidentity.authorize.PendingAuthorizationStore;
import org.oauthidentity.testing.ManualClock;

/**
 * The {@link PendingAuthorizationStore} contract as JUnit 5 tests, for any store: extend it, say how to make the
 * store under test and how to look at what it holds, and every store passes the same cases. The stores of this
 * library run it (JDBC on H2 and PostgreSQL, Redis); run it against your own store too.
 *
 * <p>What it checks: a record put is consumed once with every field, and never again; a taken key is refused and
 * the first record kept; keys match exactly; a record is returned until just before its expiry by the caller's
 * clock and never at or after it, and the read that finds it expired deletes it; after a purge no expired record
 * is readable and every live one is; of many threads, and of two instances of the service with their own
 * connections, racing to consume one key, exactly one gets it, over many rounds; the PKCE verifier is stored as
 * it is without a cipher and never with one, the state and the owner only as digests; a verifier ciphertext moved
 * to another record does not decrypt and the failure is an {@link IdentityStoreException} that spends the record;
 * and no message, {@code toString} or stack trace shows any piece of a state, owner, key, digest or verifier.
 *
 * <p>Each test gets a fresh {@link ManualClock} (at the current instant, to the microsecond, so that a database
 * keeps it exactly) and a store from {@link #newStore()} over empty storage. Records are made as
 * {@link AuthorizationFlow} makes them: keys {@code "<provider>:<SHA-256 of the state>"}, random states, verifiers
 * and sessions. Thread-safety of the class itself: one test at a time per instance, as JUnit runs them.
 */
public abstract class PendingAuthorizationStoreContract {
    /** The flow's default TTL: records are put to expire this long after they were created. */
    protected static final Duration FLOW_TTL = Duration.ofMinutes(10);
    private static final String REDIRECT_URI = "https://app.example.test/oauth/callback";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    /** The clock of the current test; it moves only when the test moves it. */
    protected ManualClock clock;
    /** The store under test, from {@link #newStore()}. */
    protected PendingAuthorizationStore store;
    private ExecutorService threads;

    // ---- what a store's test supplies ----------------------------------------------------------------------

    /**
     * A store over empty storage, the verifier stored as it is (no cipher). Called before each test, after the
     * clock is set.
     *
     * @return the store under test
     */
    protected abstract PendingAuthorizationStore newStore();

    /**
     * A store over the same storage as {@link #newStore()} that encrypts the verifier at rest.
     *
     * @return a second store, encrypting
     */
    protected abstract PendingAuthorizationStore newEncryptingStore();

    /**
     * A store over the same storage with its own connections, as another instance of the service builds it.
     * The test that asks for it does not close it; close what it holds after each test.
     *
     * @return a second store, not encrypting
     */
    protected abstract PendingAuthorizationStore anotherInstance();

    /**
     * Everything the storage holds for {@code key}, as stored (a row's columns, a Redis value), concatenated.
     *
     * @param key a key as given to {@code put}
     * @return the stored text, or null when nothing is held under the key
     */
    protected abstract String storedUnder(String key);

    /**
     * Replaces the stored verifier of {@code toKey} with the one stored under {@code fromKey}, as stored (an
     * attacker with write access to the storage moving a ciphertext between records).
     *
     * @param fromKey a key holding a record with a verifier
     * @param toKey another such key
     */
    protected abstract void copyStoredVerifier(String fromKey, String toKey);

    /**
     * Whether {@link PendingAuthorizationStore#purgeExpired} deletes expired records (a database), rather than
     * the storage expiring them by itself (Redis: purge then deletes nothing and returns 0). Default true.
     *
     * @return true when purge deletes and counts
     */
    protected boolean purgeDeletesExpiredRecords() {
        return true;
    }

    /**
     * The clock a test starts with. Default: the current instant, truncated to the microsecond.
     *
     * @return a new clock
     */
    protected ManualClock newClock() {
        return ManualClock.at(Instant.now().truncatedTo(ChronoUnit.MICROS));
    }

    @BeforeEach
    final void startContractTest() {
        clock = newClock();
        store = newStore();
        threads = Executors.newCachedThreadPool();
    }

    @AfterEach
    final void stopContractThreads() {
        threads.shutdownNow();
    }

    // ---- helpers a store's own tests may use too --------------------------------------------------------------

    /** A started authorization as {@link AuthorizationFlow} records it: digests of a random state and session. */
    public static final class Started {
        /** The state sent to the vendor (a secret). */
        public final String state = random(43);
        /** The owner binding (a secret). */
        public final String session = "session-" + random(20);
        /** The PKCE verifier (a secret), or null. */
        public final String verifier;
        /** The store key: provider, colon, SHA-256 of the state. */
        public final String key;
        /** The record to put. */
        public final PendingAuthorization record;

        /**
         * @param provider the provider key
         * @param createdAt when it was started
         * @param pkce whether it carries a verifier
         * @param scopes the scopes asked for
         */
        public Started(String provider, Instant createdAt, boolean pkce, List<String> scopes) {
            this.verifier = pkce ? random(43) : null;
            this.key = provider + ":" + sha256(state);
            this.record = PendingAuthorization.builder()
                    .stateDigest(sha256(state))
                    .providerKey(provider)
                    .redirectUri(REDIRECT_URI)
                    .codeVerifier(verifier)
                    .ownerDigest(sha256(session))
                    .scopes(scopes)
                    .createdAt(createdAt)
                    .build();
        }

        /**
         * Everything no message may show, in any piece.
         *
         * @return the state, session, verifier, key and digests
         */
        public String[] secrets() {
            return Stream.of(state, session, verifier, key, record.stateDigest(), record.ownerDigest())
                    .filter(Objects::nonNull).toArray(String[]::new);
        }
    }

    /**
     * A GitLab authorization with PKCE and two scopes, started now.
     *
     * @return a new one, not yet put
     */
    protected Started startedWithVerifier() {
        return new Started("gitlab", clock.instant(), true, List.of("api", "read_user"));
    }

    /**
     * Puts {@code s} to expire {@link #FLOW_TTL} after now.
     *
     * @param s the started authorization
     */
    protected void put(Started s) {
        store.put(s.key, s.record, clock.instant().plus(FLOW_TTL));
    }

    /**
     * Base64url SHA-256 of the UTF-8 text, as the flow digests states and owners.
     *
     * @param text any text
     * @return its digest
     */
    protected static String sha256(String text) {
        try {
            return Base64.getUrlEncoder().withoutPadding().encodeToString(
                    MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Random letters and digits.
     *
     * @param length how many
     * @return the text
     */
    protected static String random(int length) {
        StringBuilder s = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            s.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        return s.toString();
    }

    /**
     * What {@code t} prints with {@code printStackTrace}: message, causes, suppressed.
     *
     * @param t a failure
     * @return its full trace
     */
    protected static String stackTrace(Throwable t) {
        StringWriter out = new StringWriter();
        t.printStackTrace(new PrintWriter(out));
        return out.toString();
    }

    /**
     * Fails if {@code text} holds any 8-character piece of any secret (a cut-off echo counts too).
     *
     * @param text what was printed
     * @param secrets what must not show
     */
    protected static void assertNoPieceOf(String text, String... secrets) {
        for (String secret : secrets) {
            for (int i = 0; i + 8 <= secret.length(); i++) {
                if (text.contains(secret.substring(i, i + 8))) {
                    fail("text must not contain a piece of a credential, but shows '" + secret.substring(i, i + 8)
                            + "...'");
                }
            }
        }
    }

    // ---- put and consume ---------------------------------------------------------------------------------------

    @Test
    void aRecordPutIsConsumedOnceWithEveryFieldAndNothingIsLeft() {
        Started s = startedWithVerifier();
        put(s);
        assertNotNull(storedUnder(s.key), "the record is stored");

        Optional<PendingAuthorization> first = store.consume(s.key, clock.instant());
        Optional<PendingAuthorization> second = store.consume(s.key, clock.instant());

        PendingAuthorization read = first.orElseThrow();
        assertEquals(s.record.stateDigest(), read.stateDigest());
        assertEquals(s.record.ownerDigest(), read.ownerDigest());
        assertEquals("gitlab", read.providerKey());
        assertEquals(REDIRECT_URI, read.redirectUri());
        assertEquals(Optional.of(s.verifier), read.codeVerifier());
        assertEquals(List.of("api", "read_user"), read.scopes());
        assertEquals(clock.instant(), read.createdAt());
        assertTrue(second.isEmpty(), "a consumed record is never returned again");
        assertNull(storedUnder(s.key), "nothing is left under the key");
    }

    @Test
    void aRecordWithoutVerifierOrScopesReadsBackAsSuch() {
        Started s = new Started("google", clock.instant(), false, List.of());
        put(s);

        PendingAuthorization read = store.consume(s.key, clock.instant()).orElseThrow();

        assertTrue(read.codeVerifier().isEmpty());
        assertTrue(read.scopes().isEmpty());
        assertEquals("google", read.providerKey());
    }

    @Test
    void aTakenKeyIsRefusedWithoutNamingItAndTheFirstRecordIsKept() {
        Started first = startedWithVerifier();
        put(first);
        PendingAuthorization impostor = PendingAuthorization.builder()
                .stateDigest(first.record.stateDigest())
                .providerKey("gitlab")
                .redirectUri("https://evil.example.test/cb")
                .codeVerifier("other-" + random(40))
                .ownerDigest(sha256("session-mallory"))
                .createdAt(clock.instant())
                .build();

        IllegalStateException taken = assertThrows(IllegalStateException.class,
                () -> store.put(first.key, impostor, clock.instant().plus(FLOW_TTL)));

        assertNoPieceOf(stackTrace(taken), first.secrets());
        PendingAuthorization kept = store.consume(first.key, clock.instant()).orElseThrow();
        assertEquals(REDIRECT_URI, kept.redirectUri());
        assertEquals(Optional.of(first.verifier), kept.codeVerifier());
    }

    @Test
    void anUnknownKeyIsNothingAndTouchesNoOtherRecord() {
        Started s = startedWithVerifier();
        put(s);

        assertTrue(store.consume("gitlab:" + sha256("never-started"), clock.instant()).isEmpty());
        // Keys match exactly: another provider's key over the same digest, or another case, is another key.
        assertTrue(store.consume("google:" + s.record.stateDigest(), clock.instant()).isEmpty());
        assertTrue(store.consume(s.key.toUpperCase(Locale.ROOT), clock.instant()).isEmpty());

        assertNotNull(storedUnder(s.key));
    }

    // ---- expiry: on read, by the caller's clock; purge ---------------------------------------------------------

    @Test
    void aRecordIsReturnedUntilJustBeforeItsExpiryByTheInjectedClock() {
        Started s = startedWithVerifier();
        put(s);

        clock.advance(FLOW_TTL.minusNanos(1000));

        assertTrue(store.consume(s.key, clock.instant()).isPresent());
    }

    @Test
    void anExpiredRecordIsNeverReturnedAndTheReadThatFindsItDeletesIt() {
        Started s = startedWithVerifier();
        Started later = startedWithVerifier();
        put(s);
        store.put(later.key, later.record, clock.instant().plus(FLOW_TTL).plusSeconds(60));

        clock.advance(FLOW_TTL); // the expiry instant itself counts as expired

        assertTrue(store.consume(s.key, clock.instant()).isEmpty());
        assertNull(storedUnder(s.key));
        assertNotNull(storedUnder(later.key));
        // Gone for good: not even a caller with an earlier clock gets it back.
        assertTrue(store.consume(s.key, clock.instant().minus(FLOW_TTL)).isEmpty());
    }

    @Test
    void afterAPurgeNoExpiredRecordIsReadableAndEveryLiveOneIs() {
        Instant t0 = clock.instant();
        Instant purgeAt = t0.plus(Duration.ofMinutes(5));
        List<Started> expiring = new ArrayList<>();
        for (Duration after : List.of(Duration.ofMinutes(1), Duration.ofMinutes(2), Duration.ofMinutes(5))) {
            Started s = startedWithVerifier();
            store.put(s.key, s.record, t0.plus(after));
            expiring.add(s);
        }
        List<Started> live = List.of(startedWithVerifier(), startedWithVerifier());
        live.forEach(s -> store.put(s.key, s.record, purgeAt.plusNanos(1000)));

        int purged = store.purgeExpired(purgeAt);

        if (purgeDeletesExpiredRecords()) {
            assertEquals(3, purged, "exactly the records expired at that instant");
            expiring.forEach(s -> assertNull(storedUnder(s.key)));
            assertEquals(0, store.purgeExpired(purgeAt));
        } else {
            assertEquals(0, purged, "the storage expires records by itself");
        }
        live.forEach(s -> assertNotNull(storedUnder(s.key)));
        expiring.forEach(s -> assertTrue(store.consume(s.key, purgeAt).isEmpty()));
        live.forEach(s -> assertTrue(store.consume(s.key, purgeAt).isPresent()));
    }

    // ---- single use under concurrency ----------------------------------------------------------------------

    @Test
    void manyThreadsConsumingOneKeyAtOnceExactlyOneGetsIt() throws Exception {
        int rounds = 40;
        int racers = 8;
        for (int round = 0; round < rounds; round++) {
            Started s = startedWithVerifier();
            put(s);

            List<Optional<PendingAuthorization>> outcomes = race(s.key, racers, racer -> store);

            List<PendingAuthorization> won = winners(outcomes);
            assertEquals(1, won.size(), "round " + round);
            assertEquals(Optional.of(s.verifier), won.get(0).codeVerifier());
            assertNull(storedUnder(s.key));
        }
    }

    @Test
    void twoInstancesWithTheirOwnConnectionsRacingForOneKeyLetExactlyOneWin() throws Exception {
        PendingAuthorizationStore other = anotherInstance();
        int rounds = 40;
        int racers = 8;
        int[] winsByInstance = new int[2];
        for (int round = 0; round < rounds; round++) {
            Started s = startedWithVerifier();
            (round % 2 == 0 ? store : other).put(s.key, s.record, clock.instant().plus(FLOW_TTL));

            List<Optional<PendingAuthorization>> outcomes = race(s.key, racers, racer -> racer % 2 == 0 ? store : other);

            assertEquals(1, winners(outcomes).size(), "round " + round);
            for (int racer = 0; racer < racers; racer++) {
                if (outcomes.get(racer).isPresent()) {
                    winsByInstance[racer % 2]++;
                }
            }
            assertNull(storedUnder(s.key));
        }
        assertEquals(rounds, winsByInstance[0] + winsByInstance[1]);
    }

    /** Releases {@code racers} threads together on one key; returns each one's outcome, in racer order. */
    private List<Optional<PendingAuthorization>> race(String key, int racers,
            IntFunction<PendingAuthorizationStore> storeOf) throws Exception {
        CyclicBarrier start = new CyclicBarrier(racers);
        List<Future<Optional<PendingAuthorization>>> done = new ArrayList<>();
        for (int racer = 0; racer < racers; racer++) {
            PendingAuthorizationStore racerStore = storeOf.apply(racer);
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

    private static List<PendingAuthorization> winners(List<Optional<PendingAuthorization>> outcomes) {
        List<PendingAuthorization> won = new ArrayList<>();
        outcomes.forEach(o -> o.ifPresent(won::add));
        return won;
    }

    // ---- encryption at rest and error hygiene ----------------------------------------------------------------

    @Test
    void withoutACipherTheVerifierIsStoredAsItIsAndTheStateAndOwnerOnlyAsDigests() {
        Started s = startedWithVerifier();

        put(s);

        String stored = storedUnder(s.key);
        assertTrue(stored.contains(s.verifier), "the verifier is stored as it is");
        assertNoPieceOf(stored, s.state, s.session);
    }

    @Test
    void withACipherTheVerifierIsEncryptedAtRestAndTheStateAndOwnerAreOnlyDigests() {
        PendingAuthorizationStore encrypting = newEncryptingStore();
        Started s = startedWithVerifier();

        encrypting.put(s.key, s.record, clock.instant().plus(FLOW_TTL));

        assertNoPieceOf(storedUnder(s.key), s.verifier, s.state, s.session);
        assertNoPieceOf(encrypting.toString(), s.secrets());
        assertEquals(Optional.of(s.verifier), encrypting.consume(s.key, clock.instant()).orElseThrow().codeVerifier());
    }

    @Test
    void aVerifierCiphertextCopiedIntoAnotherRecordDoesNotDecryptAndNamesNoSecret() {
        PendingAuthorizationStore encrypting = newEncryptingStore();
        Started alice = startedWithVerifier();
        Started mallory = startedWithVerifier();
        encrypting.put(alice.key, alice.record, clock.instant().plus(FLOW_TTL));
        encrypting.put(mallory.key, mallory.record, clock.instant().plus(FLOW_TTL));
        copyStoredVerifier(alice.key, mallory.key);
        assertNotNull(storedUnder(mallory.key));

        RuntimeException failure = assertThrows(RuntimeException.class,
                () -> encrypting.consume(mallory.key, clock.instant()));

        assertInstanceOf(IdentityStoreException.class, failure);
        assertNoPieceOf(stackTrace(failure), alice.secrets());
        assertNoPieceOf(stackTrace(failure), mallory.secrets());
        assertNull(storedUnder(mallory.key), "a record that cannot be read is spent, not retried");
        assertEquals(Optional.of(alice.verifier), encrypting.consume(alice.key, clock.instant()).orElseThrow()
                .codeVerifier());
    }

    @Test
    void neitherTheStoreNorWhatItReturnsPrintsASecret() {
        Started s = startedWithVerifier();
        put(s);

        PendingAuthorization read = store.consume(s.key, clock.instant()).orElseThrow();

        assertNoPieceOf(store + " " + read, s.secrets());
        assertFalse(store.toString().isEmpty());
    }
}
