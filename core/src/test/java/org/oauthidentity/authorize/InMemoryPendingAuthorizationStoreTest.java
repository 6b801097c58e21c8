package org.oauthidentity.authorize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The pending store's contract: single use, expiry on read, purge, atomic consume under contention. */
class InMemoryPendingAuthorizationStoreTest {
    private static final Instant T0 = Instant.parse("2024-05-01T10:00:00Z");
    private static final Instant EXPIRES = T0.plus(Duration.ofMinutes(10));

    private final InMemoryPendingAuthorizationStore store = new InMemoryPendingAuthorizationStore();

    @Test
    void aRecordIsConsumedOnce() {
        PendingAuthorization record = record("verifier-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        store.put("key", record, EXPIRES);

        assertThat(store.consume("key", T0)).containsSame(record);
        assertThat(store.consume("key", T0)).isEmpty();
        assertThat(store.size()).isZero();
    }

    @Test
    void aRecordIsNeverReturnedAtOrAfterItsExpiryEvenBeforeAPurge() {
        store.put("late", record(null), EXPIRES);
        store.put("on-time", record(null), EXPIRES);

        assertThat(store.consume("late", EXPIRES)).isEmpty();
        assertThat(store.consume("on-time", EXPIRES.minusNanos(1))).isPresent();
    }

    @Test
    void purgeDeletesOnlyExpiredRecords() {
        store.put("old-1", record(null), T0.plusSeconds(60));
        store.put("old-2", record(null), T0.plusSeconds(120));
        store.put("fresh", record(null), T0.plusSeconds(600));

        int purged = store.purgeExpired(T0.plusSeconds(120));

        assertThat(purged).isEqualTo(2);
        assertThat(store.size()).isEqualTo(1);
        assertThat(store.consume("fresh", T0.plusSeconds(120))).isPresent();
    }

    @Test
    void aKeyIsNeverSilentlyReplaced() {
        store.put("key", record(null), EXPIRES);

        assertThatThrownBy(() -> store.put("key", record(null), EXPIRES)).isInstanceOf(IllegalStateException.class);
        assertThat(store.size()).isEqualTo(1);
    }

    @ParameterizedTest(name = "{0} consumers")
    @ValueSource(ints = {2, 8})
    void ofConcurrentConsumersOfOneKeyExactlyOneGetsTheRecord(int threads) throws Exception {
        int rounds = 2000 / threads;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int round = 0; round < rounds; round++) {
                String key = "key-" + round;
                store.put(key, record(null), EXPIRES);
                // A spinning start: blocked threads wake microseconds apart, longer than a racy consume's window.
                AtomicInteger arrived = new AtomicInteger();
                List<Future<Optional<PendingAuthorization>>> results = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    results.add(pool.submit(() -> {
                        arrived.incrementAndGet();
                        for (int spins = 0; arrived.get() < threads; spins++) {
                            if (spins < 20_000) {
                                Thread.onSpinWait();
                            } else {
                                Thread.yield(); // more threads than cores: let the late ones arrive
                            }
                        }
                        return store.consume(key, T0);
                    }));
                }
                int winners = 0;
                for (Future<Optional<PendingAuthorization>> result : results) {
                    winners += result.get(10, TimeUnit.SECONDS).isPresent() ? 1 : 0;
                }
                assertThat(winners).as("winners in round %d", round).isEqualTo(1);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(store.size()).isZero();
    }

    @Test
    void aPurgeRacingConsumersNeverHandsOutAnExpiredRecordNorLosesAFreshOne() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 200; round++) {
                store.put("expired-" + round, record(null), T0);
                store.put("fresh-" + round, record(null), EXPIRES);
                String expired = "expired-" + round;
                String fresh = "fresh-" + round;
                CyclicBarrier together = new CyclicBarrier(2);
                Future<Integer> purge = pool.submit(() -> {
                    together.await(10, TimeUnit.SECONDS);
                    return store.purgeExpired(T0);
                });
                Future<Boolean> consume = pool.submit(() -> {
                    together.await(10, TimeUnit.SECONDS);
                    return store.consume(expired, T0).isEmpty() && store.consume(fresh, T0).isPresent();
                });
                assertThat(consume.get(10, TimeUnit.SECONDS)).isTrue();
                assertThat(purge.get(10, TimeUnit.SECONDS)).isBetween(0, 1);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(store.size()).isZero();
    }

    @Test
    void toStringShowsNeitherTheVerifierNorTheDigests() {
        String verifier = "verifier-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
        PendingAuthorization record = record(verifier);
        store.put("key", record, EXPIRES);

        assertThat(record.toString()).contains("example").doesNotContain(verifier, "state-digest", "owner-digest");
        assertThat(store.toString()).doesNotContain("key", verifier);
    }

    private static PendingAuthorization record(String verifier) {
        return PendingAuthorization.builder()
                .stateDigest("state-digest")
                .providerKey("example")
                .redirectUri("https://app.example/oauth/callback")
                .codeVerifier(verifier)
                .ownerDigest("owner-digest")
                .createdAt(T0)
                .build();
    }
}
