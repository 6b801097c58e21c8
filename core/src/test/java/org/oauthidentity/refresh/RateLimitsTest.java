package org.oauthidentity.refresh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.oauthidentity.ProviderPausedException;
import org.oauthidentity.testing.ManualClock;

/**
 * The per-provider budget of token requests, on a manual clock: a wait advances the clock instead of sleeping, so
 * every slot's time is exact and nothing waits on the wall clock.
 */
class RateLimitsTest {
    private static final Instant T0 = Instant.parse("2024-05-01T12:00:00Z");

    private final ManualClock clock = ManualClock.at(T0);

    private RateLimits limits(double perSecond) {
        return RateLimits.builder().perSecond("vendor", perSecond).clock(clock).sleeper(clock::advance).build();
    }

    @Test
    void requestsAreSpacedEvenlyAtTheConfiguredRate() throws Exception {
        RateLimits limits = limits(200);
        List<Instant> sent = new ArrayList<>();

        for (int i = 0; i < 1_000; i++) {
            limits.acquire("vendor", i % 2 == 0);
            sent.add(clock.instant());
        }

        // The first two may go at once (one slot of savings); after that exactly 5 ms apart.
        for (int i = 2; i < sent.size(); i++) {
            assertThat(Duration.between(sent.get(i - 1), sent.get(i))).isEqualTo(Duration.ofMillis(5));
        }
        assertThat(Duration.between(sent.get(0), sent.get(999))).isEqualTo(Duration.ofMillis(5 * 998));
        assertThat(maxInAnyOneSecond(sent)).isLessThanOrEqualTo(202);
    }

    @Test
    void idleTimeBuysAtMostOneExtraRequest() throws Exception {
        RateLimits limits = limits(10);
        limits.acquire("vendor", false);
        clock.advance(Duration.ofMinutes(10)); // a long quiet spell

        List<Instant> sent = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            limits.acquire("vendor", false);
            sent.add(clock.instant());
        }

        assertThat(sent.get(1)).as("one request of savings").isEqualTo(sent.get(0));
        for (int i = 2; i < sent.size(); i++) {
            assertThat(Duration.between(sent.get(i - 1), sent.get(i))).isEqualTo(Duration.ofMillis(100));
        }
    }

    @Test
    void aCallerThatWakesLateDoesNotSlowTheScheduleDown() throws Exception {
        // A sleeper that always oversleeps by 40 % of a slot: the schedule keeps to its slots regardless.
        RateLimits limits = RateLimits.builder().perSecond("vendor", 100).clock(clock)
                .sleeper(d -> clock.advance(d.plus(Duration.ofMillis(4)))).build();
        limits.acquire("vendor", true);
        Instant first = clock.instant();

        for (int i = 0; i < 1_000; i++) {
            limits.acquire("vendor", true);
        }

        Duration took = Duration.between(first, clock.instant());
        assertThat(took).as("1,000 more at 100/s: 10 s, plus the last oversleep").isBetween(Duration.ofMillis(9_990),
                Duration.ofMillis(10_004));
    }

    @Test
    void aProviderWithoutALimitIsNeverHeldBack() throws Exception {
        RateLimits limits = limits(1);

        for (int i = 0; i < 100; i++) {
            limits.acquire("other", i % 2 == 0);
        }

        assertThat(clock.instant()).isEqualTo(T0);
        assertThat(limits.perSecond("other")).isEmpty();
        assertThat(limits.perSecond("vendor")).contains(1.0);
    }

    @Test
    void anOnDemandCallerTakesTheSlotABackgroundCallerWasWaitingFor() throws Exception {
        List<String> order = Collections.synchronizedList(new ArrayList<>());
        AtomicReference<RateLimits> shared = new AtomicReference<>();
        ExecutorService onDemand = Executors.newSingleThreadExecutor();
        try {
            // While the background caller waits for its slot, a user's refresh arrives and reserves that slot.
            RateLimits limits = RateLimits.builder().perSecond("vendor", 10).clock(clock).sleeper(d -> {
                if (Thread.currentThread().getName().startsWith("background") && order.isEmpty()) {
                    Future<?> user = onDemand.submit(() -> {
                        shared.get().acquire("vendor", false);
                        order.add("on-demand at " + clock.instant());
                        return null;
                    });
                    try {
                        user.get(30, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                }
                clock.advance(d);
            }).build();
            shared.set(limits);
            limits.acquire("vendor", false); // T0
            limits.acquire("vendor", false); // T0 (the one slot of savings), next free T0 + 100 ms

            Thread background = new Thread(() -> {
                try {
                    limits.acquire("vendor", true);
                    order.add("background at " + clock.instant());
                } catch (Exception e) {
                    order.add("failed " + e);
                }
            }, "background-1");
            background.start();
            background.join(30_000);

            assertThat(order).containsExactly("on-demand at " + T0.plusMillis(100),
                    "background at " + T0.plusMillis(200));
        } finally {
            onDemand.shutdownNow();
        }
    }

    @Test
    void manyCallersReleasedTogetherEachGetTheirOwnSlotOneSpacingApart() throws Exception {
        for (int round = 0; round < 20; round++) {
            ManualClock roundClock = ManualClock.at(T0);
            RateLimits limits = RateLimits.builder().perSecond("vendor", 50).clock(roundClock)
                    .sleeper(roundClock::advance).build();
            int threads = 16;
            int each = 25;
            CyclicBarrier start = new CyclicBarrier(threads);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<List<Long>>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                boolean background = t % 2 == 0;
                done.add(pool.submit(() -> {
                    start.await(30, TimeUnit.SECONDS);
                    List<Long> slots = new ArrayList<>();
                    for (int i = 0; i < each; i++) {
                        slots.add(limits.acquire("vendor", background));
                    }
                    return slots;
                }));
            }
            List<Long> slots = new ArrayList<>();
            for (Future<List<Long>> f : done) {
                slots.addAll(f.get(60, TimeUnit.SECONDS));
            }
            pool.shutdown();

            // On-demand and background callers racing never share a slot or squeeze two into one spacing.
            assertThat(slots).hasSize(threads * each).doesNotHaveDuplicates();
            Collections.sort(slots);
            for (int i = 1; i < slots.size(); i++) {
                assertThat(slots.get(i) - slots.get(i - 1)).isGreaterThanOrEqualTo(20_000_000L);
            }
        }
    }

    @Test
    void aPauseHoldsBackgroundRequestsOnlyAndEndsWhenRetryAfterSays() throws Exception {
        RateLimits limits = RateLimits.builder().clock(clock).sleeper(clock::advance).build();

        Instant until = limits.pause("vendor", Optional.of(Duration.ofSeconds(30)));

        assertThat(until).isEqualTo(T0.plusSeconds(30));
        assertThatThrownBy(() -> limits.acquire("vendor", true)).isInstanceOfSatisfying(ProviderPausedException.class,
                e -> {
                    assertThat(e.pausedUntil()).isEqualTo(until);
                    assertThat(e.providerKey()).isEqualTo("vendor");
                    assertThat(e.retryAfter()).contains(Duration.ofSeconds(30));
                });
        limits.acquire("vendor", false); // a user's refresh still goes
        limits.acquire("other", true); // another provider is not paused
        assertThat(limits.pause("vendor", Optional.of(Duration.ofSeconds(5))))
                .as("a shorter pause never cuts one short").isEqualTo(until);

        clock.advance(Duration.ofSeconds(30));
        limits.acquire("vendor", true);
        assertThat(limits.pausedUntil("vendor")).isEmpty();
    }

    @Test
    void aPauseWithoutRetryAfterLastsAMinuteAndNoneLastsMoreThanAnHour() {
        RateLimits limits = RateLimits.none();
        Instant before = Instant.now();

        Instant defaulted = limits.pause("a", Optional.empty());
        Instant capped = limits.pause("b", Optional.of(Duration.ofDays(3)));

        assertThat(Duration.between(before, defaulted)).isBetween(Duration.ofSeconds(59), Duration.ofSeconds(61));
        assertThat(Duration.between(before, capped)).isBetween(Duration.ofMinutes(59), Duration.ofMinutes(61));
        assertThat(RateLimits.none().pausedUntil("a")).as("each none() has pauses of its own").isEmpty();
    }

    @Test
    void aBackgroundCallerWaitingForItsSlotStopsWhenThePauseBegins() throws Exception {
        AtomicReference<RateLimits> shared = new AtomicReference<>();
        RateLimits limits = RateLimits.builder().perSecond("vendor", 1).clock(clock).sleeper(d -> {
            shared.get().pause("vendor", Optional.of(Duration.ofMinutes(2))); // a 429 elsewhere while it waits
            clock.advance(d);
        }).build();
        shared.set(limits);
        limits.acquire("vendor", true);
        limits.acquire("vendor", true);

        assertThatThrownBy(() -> limits.acquire("vendor", true)).isInstanceOf(ProviderPausedException.class);
    }

    @Test
    void anInterruptedWaitTakesNoSlotAndSaysSo() throws Exception {
        RateLimits limits = RateLimits.builder().perSecond("vendor", 1).clock(clock).sleeper(d -> {
            throw new InterruptedException();
        }).build();
        limits.acquire("vendor", true);
        limits.acquire("vendor", true);
        CountDownLatch tried = new CountDownLatch(1);
        CompletableFuture<Throwable> failure = CompletableFuture.supplyAsync(() -> {
            try {
                limits.acquire("vendor", false);
                return null;
            } catch (Throwable t) {
                return t;
            } finally {
                tried.countDown();
            }
        });

        assertThat(tried.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(failure.get()).isInstanceOf(InterruptedException.class);
    }

    @Test
    void aClockThatDoesNotMoveWithTheWaitsNeverHoldsABackgroundCallerForEver() throws Exception {
        // A manual clock with the default kind of sleeper: the waits pass, the clock does not.
        List<Duration> waits = new ArrayList<>();
        RateLimits limits = RateLimits.builder().perSecond("vendor", 100).clock(clock).sleeper(waits::add).build();

        List<Long> slots = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            slots.add(limits.acquire("vendor", true));
        }

        assertThat(slots).doesNotHaveDuplicates();
        assertThat(waits).as("one wait per slot after the first two").hasSize(3)
                .allSatisfy(w -> assertThat(w).isLessThanOrEqualTo(Duration.ofMillis(30)));
    }

    @Test
    void badLimitsAreRefused() {
        assertThatThrownBy(() -> RateLimits.builder().perSecond("v", 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RateLimits.builder().perSecond("v", Double.NaN))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RateLimits.builder().perSecond("v", Double.POSITIVE_INFINITY))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static int maxInAnyOneSecond(List<Instant> sorted) {
        int max = 0;
        int from = 0;
        for (int to = 0; to < sorted.size(); to++) {
            while (!sorted.get(from).plusSeconds(1).isAfter(sorted.get(to))) {
                from++;
            }
            max = Math.max(max, to - from + 1);
        }
        return max;
    }
}
