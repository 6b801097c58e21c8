package org.oauthidentity.sweep;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.store.InMemoryIdentityStore;
import org.oauthidentity.testing.DummyProvider;
import org.oauthidentity.testing.ManualClock;

/**
 * Identities linked at the same moment must not come due together for ever: with passes every five minutes, a
 * day of simulated passes on a manual clock shows the herd spread evenly over the hour with the default jitter
 * (each identity moves to its own slot, a tenth of the interval per round) and staying together without it; no
 * identity is ever checked sooner than the interval less the jitter, or later than the interval plus one period.
 */
class SweepSpreadTest {
    private static final Instant T0 = Instant.parse("2024-05-01T12:00:00Z");
    private static final Duration INTERVAL = Duration.ofHours(1);
    private static final Duration EVERY = Duration.ofMinutes(5);
    private static final int LINKED = 300;

    @Test
    void identitiesLinkedTogetherSpreadEvenlyOverTheIntervalWithinTenRounds() {
        Day day = simulateADay(null);

        // Without jitter all 300 come due in one pass every hour. After ten rounds each identity is on its own
        // slot: every pass of the last four hours checks some, about 300 / 12 = 25, none more than twice that.
        assertThat(day.passesWithChecksInTheLastFourHours()).isEqualTo(48);
        assertThat(day.largestPassInTheLastFourHours()).isLessThanOrEqualTo(2 * LINKED / 12);
        // Never later than the interval plus one pass period, never sooner than the interval less the jitter.
        assertThat(day.gaps()).allSatisfy(gap -> assertThat(gap)
                .isBetween(INTERVAL.minus(INTERVAL.dividedBy(10)), INTERVAL.plus(EVERY)));
        // On its slot, an identity is checked once an hour to within one pass period: no extra checks.
        assertThat(day.gapsInTheLastFourHours()).allSatisfy(gap -> assertThat(gap)
                .isBetween(INTERVAL.minus(EVERY), INTERVAL.plus(EVERY)));
        assertThat(day.checksPerIdentity().values()).allSatisfy(n -> assertThat(n).isBetween(24, 26));
    }

    @Test
    void withoutJitterTheyStayInLockstep() {
        Day day = simulateADay(Duration.ZERO);

        assertThat(day.largestPassInTheLastFourHours()).isEqualTo(LINKED);
        assertThat(day.passesWithChecksInTheLastFourHours()).isEqualTo(4);
    }

    @Test
    void aRecordedCheckIsNeverLaterThanTheCheckNorEarlierThanTheJitterAndEveryInstanceAgrees() {
        IdentityRefresher refresher = IdentityRefresher.builder(new InMemoryIdentityStore())
                .provider(DummyProvider.create("dummy", ManualClock.at(T0))).build();
        try (ValidationSweep one = ValidationSweep.builder(refresher).interval(INTERVAL).build();
                ValidationSweep other = ValidationSweep.builder(refresher).interval(INTERVAL).build()) {
            Random random = new Random(42);
            Duration jitter = INTERVAL.dividedBy(10);
            for (int i = 0; i < 10_000; i++) {
                String id = "identity-" + random.nextInt(1_000_000);
                Instant at = T0.plusMillis(random.nextInt(100_000_000));

                Instant recorded = one.recordedCheckTime(id, at);

                assertThat(recorded).isBetween(at.minus(jitter), at);
                assertThat(other.recordedCheckTime(id, at)).as("another instance").isEqualTo(recorded);
                // Checked again at its slot an interval later: recorded exactly there.
                Instant onSlot = recorded.plus(INTERVAL);
                if (recorded.isAfter(at.minus(jitter))) {
                    assertThat(one.recordedCheckTime(id, onSlot.plusSeconds(90))).isEqualTo(onSlot);
                }
            }
        }
    }

    private static Day simulateADay(Duration jitter) {
        ManualClock clock = ManualClock.at(T0);
        InMemoryIdentityStore store = new InMemoryIdentityStore();
        DummyProvider dummy = DummyProvider.create("dummy", clock);
        for (int i = 0; i < LINKED; i++) {
            store.create(Identity.builder().id("linked-" + i).providerKey("dummy").accessToken("access-" + i)
                    .refreshToken("refresh-" + i).build());
        }
        Map<String, List<Instant>> checks = new ConcurrentHashMap<>();
        ValidationSweep.Builder builder = ValidationSweep.builder(IdentityRefresher.builder(store).provider(dummy)
                .build()).clock(clock).interval(INTERVAL).concurrency(8).listener(check -> {
                    checks.computeIfAbsent(check.identityId(), id -> new CopyOnWriteArrayList<>()).add(check.checkedAt());
                    return SweepListener.Action.KEEP;
                });
        if (jitter != null) {
            builder.jitter(jitter);
        }
        List<PassSummary> passes = new ArrayList<>();
        try (ValidationSweep sweep = builder.build()) {
            for (Instant end = T0.plus(Duration.ofDays(1)); clock.instant().isBefore(end); clock.advance(EVERY)) {
                passes.add(sweep.runOnce());
            }
        }
        return new Day(passes, checks);
    }

    private record Day(List<PassSummary> passes, Map<String, List<Instant>> checks) {
        List<PassSummary> lastFourHours() {
            return passes.subList(passes.size() - 48, passes.size());
        }

        long largestPassInTheLastFourHours() {
            return lastFourHours().stream().mapToLong(PassSummary::valid).max().orElse(0);
        }

        long passesWithChecksInTheLastFourHours() {
            return lastFourHours().stream().filter(p -> p.valid() > 0).count();
        }

        List<Duration> gaps() {
            return gapsEndingAfter(Instant.MIN);
        }

        List<Duration> gapsInTheLastFourHours() {
            return gapsEndingAfter(lastFourHours().get(0).startedAt());
        }

        private List<Duration> gapsEndingAfter(Instant from) {
            List<Duration> gaps = new ArrayList<>();
            checks.values().forEach(times -> {
                for (int i = 1; i < times.size(); i++) {
                    if (!times.get(i).isBefore(from)) {
                        gaps.add(Duration.between(times.get(i - 1), times.get(i)));
                    }
                }
            });
            return gaps;
        }

        Map<String, Integer> checksPerIdentity() {
            Map<String, Integer> counts = new ConcurrentHashMap<>();
            checks.forEach((id, times) -> counts.put(id, times.size()));
            return counts;
        }
    }
}
