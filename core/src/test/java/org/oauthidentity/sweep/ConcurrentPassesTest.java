package org.oauthidentity.sweep;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.VerificationStatus;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.store.InMemoryIdentityStore;
import org.oauthidentity.testing.DummyProvider;
import org.oauthidentity.testing.ManualClock;

/**
 * Two sweeps over one store (two service instances, or two schedulers by mistake) started at the same
 * moment: the claims split the work, and no identity is checked twice.
 */
class ConcurrentPassesTest {
    private static final Instant T0 = Instant.parse("2024-05-01T12:00:00Z");
    private static final int IDENTITIES = 400;
    private static final int ROUNDS = 15;

    @Test
    void twoPassesStartedTogetherCheckEachIdentityExactlyOnce() throws Exception {
        ManualClock clock = ManualClock.at(T0);
        InMemoryIdentityStore store = new InMemoryIdentityStore();
        DummyProvider dummy = DummyProvider.create("dummy", clock);
        for (int i = 0; i < IDENTITIES; i++) {
            store.create(Identity.builder().id("id-" + i).providerKey("dummy").accessToken("access-" + i)
                    .refreshToken("refresh-" + i).lastVerifiedAt(T0.minus(Duration.ofDays(1))).build());
        }
        // Small pages, so the two passes interleave their claims many times per round.
        ValidationSweep one = sweep(store, dummy, clock);
        ValidationSweep two = sweep(store, dummy, clock);
        ExecutorService starters = Executors.newFixedThreadPool(2);
        long claimedByOne = 0;
        long claimedByTwo = 0;
        try {
            for (int round = 1; round <= ROUNDS; round++) {
                CyclicBarrier together = new CyclicBarrier(2);
                Future<PassSummary> first = starters.submit(() -> {
                    together.await();
                    return one.runOnce();
                });
                Future<PassSummary> second = starters.submit(() -> {
                    together.await();
                    return two.runOnce();
                });
                PassSummary a = first.get(30, TimeUnit.SECONDS);
                PassSummary b = second.get(30, TimeUnit.SECONDS);
                claimedByOne += a.claimed();
                claimedByTwo += b.claimed();

                assertThat(a.claimed() + b.claimed()).as("round %d: claims split the population", round)
                        .isEqualTo(IDENTITIES);
                assertThat(a.valid() + b.valid()).isEqualTo(IDENTITIES);
                assertThat(dummy.calls()).as("round %d: one refresh per identity", round)
                        .isEqualTo(round * IDENTITIES);
                for (int i = 0; i < IDENTITIES; i++) {
                    assertThat(dummy.calls("id-" + i)).isEqualTo(round);
                }
                clock.advance(Duration.ofHours(2)); // everyone is due again
            }
        } finally {
            starters.shutdownNow();
            one.close();
            two.close();
        }
        assertThat(claimedByOne).as("the passes really ran side by side").isPositive();
        assertThat(claimedByTwo).isPositive();
        for (int i = 0; i < IDENTITIES; i++) {
            assertThat(store.find("id-" + i)).get().extracting(Identity::status).isEqualTo(VerificationStatus.VALID);
        }
    }

    private static ValidationSweep sweep(InMemoryIdentityStore store, DummyProvider dummy, ManualClock clock) {
        return ValidationSweep.builder(IdentityRefresher.builder(store).provider(dummy).build())
                .clock(clock).concurrency(8).pageSize(16).build();
    }
}
