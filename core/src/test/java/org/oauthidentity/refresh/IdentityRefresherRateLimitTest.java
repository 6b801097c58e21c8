package org.oauthidentity.refresh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.ProviderPausedException;
import org.oauthidentity.store.InMemoryIdentityStore;
import org.oauthidentity.testing.DummyProvider;
import org.oauthidentity.testing.ManualClock;

/** The refresher spends one slot of its provider's budget per token request, retries included. */
class IdentityRefresherRateLimitTest {
    private static final Instant T0 = Instant.parse("2024-05-01T12:00:00Z");

    private final ManualClock clock = ManualClock.at(T0);
    private final InMemoryIdentityStore store = new InMemoryIdentityStore();
    private final DummyProvider dummy = DummyProvider.create("dummy", clock);
    private final DummyProvider other = DummyProvider.create("other", clock);
    private final RateLimits limits = RateLimits.builder().perSecond("dummy", 10).clock(clock)
            .sleeper(clock::advance).build();
    private final IdentityRefresher refresher = IdentityRefresher.builder(store).provider(dummy).provider(other)
            .rateLimits(limits).executor(Runnable::run).build();

    @Test
    void tokenRequestsToALimitedProviderAreSpacedAndOthersAreNot() throws Exception {
        for (int i = 0; i < 21; i++) {
            refresher.refresh(create("dummy", "d" + i));
        }
        assertThat(Duration.between(T0, clock.instant())).as("21 at 10/s: 20 slots, less the one of savings")
                .isEqualTo(Duration.ofMillis(1_900));
        assertThat(dummy.calls()).isEqualTo(21);

        Instant before = clock.instant();
        for (int i = 0; i < 50; i++) {
            refresher.refresh(create("other", "o" + i));
        }
        assertThat(clock.instant()).isEqualTo(before);
    }

    @Test
    void copiesShareTheBudgetAndABackgroundCopyOfAPausedProviderSendsNothing() throws Exception {
        IdentityRefresher sweepCopy = refresher.withRetryPolicy(RetryPolicy.none()).background();
        assertThat(sweepCopy.rateLimits()).isSameAs(limits);
        refresher.refresh(create("dummy", "a"));
        refresher.refresh(create("dummy", "b"));
        sweepCopy.refresh(create("dummy", "c"));
        assertThat(Duration.between(T0, clock.instant())).isEqualTo(Duration.ofMillis(100));

        limits.pause("dummy", Optional.of(Duration.ofSeconds(30)));
        Identity d = create("dummy", "d");
        assertThatThrownBy(() -> sweepCopy.refresh(d)).isInstanceOf(ProviderPausedException.class);
        assertThat(dummy.calls("d")).isZero();
        assertThat(store.find("d")).contains(d);

        refresher.refresh(d); // on demand: not paused
        assertThat(dummy.calls("d")).isEqualTo(1);
    }

    private Identity create(String providerKey, String id) {
        return store.create(Identity.builder().id(id).providerKey(providerKey).accessToken("access-" + id)
                .refreshToken("refresh-" + id).expiresAt(T0.minusSeconds(1)).build());
    }
}
