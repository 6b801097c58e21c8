package org.oauthidentity.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.Provider;
import org.oauthidentity.VerificationStatus;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.store.InMemoryIdentityStore;
import org.oauthidentity.testing.DummyProvider;
import org.oauthidentity.testing.ManualClock;

/**
 * The scheduler entry point, progress of a running pass, and shutdown. Scheduled passes run when the test
 * ticks a {@link ManualScheduler}; a pass is held mid-way by a latch in the provider, never by sleeping.
 */
class SweepSchedulingTest {
    private static final Instant T0 = Instant.parse("2024-05-01T12:00:00Z");
    /** Safety net only: a latch that is never counted down fails the test instead of hanging it. */
    private static final long TIMEOUT_S = 30;

    private final ManualClock clock = ManualClock.at(T0);
    private final InMemoryIdentityStore store = new InMemoryIdentityStore();
    private final DummyProvider dummy = DummyProvider.create("dummy", clock);
    private final ManualScheduler scheduler = new ManualScheduler();
    private final List<PassSummary> finished = new CopyOnWriteArrayList<>();
    private final List<ValidationSweep> sweeps = new ArrayList<>();

    @AfterEach
    void closeSweeps() {
        sweeps.forEach(ValidationSweep::close);
    }

    @Test
    void startRunsAPassEveryPeriodOnTheSuppliedScheduler() {
        createStale(3);
        ValidationSweep sweep = sweep(dummy, 8);

        sweep.start(Duration.ofMinutes(5));

        assertThat(scheduler.tasks).singleElement().satisfies(task -> {
            assertThat(task.fixedDelay).as("no burst of passes after a long one").isTrue();
            assertThat(task.initialDelayNanos).isZero();
            assertThat(task.periodNanos).isEqualTo(Duration.ofMinutes(5).toNanos());
        });
        assertThat(dummy.calls()).as("nothing runs before the scheduler does").isZero();

        scheduler.tick();
        assertThat(dummy.calls()).isEqualTo(3);
        assertThat(finished).singleElement().extracting(PassSummary::valid).isEqualTo(3L);
        assertThat(sweep.lastPass()).contains(finished.get(0));

        scheduler.tick(); // five minutes later: nothing is due
        assertThat(finished.get(1).claimed()).isZero();

        clock.advance(Duration.ofHours(2));
        scheduler.tick();
        assertThat(finished.get(2).valid()).isEqualTo(3);
        assertThat(dummy.calls()).isEqualTo(6);
        assertThatThrownBy(() -> sweep.start(Duration.ofMinutes(5))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aPassIsNeverStartedWhileOneRunsAndItsProgressIsVisible() throws Exception {
        createStale(10);
        CountDownLatch sixthEntered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Provider held = new HookedProvider(dummy, (call, identity) -> {
            if (call == 6) {
                sixthEntered.countDown();
                assertThat(release.await(TIMEOUT_S, TimeUnit.SECONDS)).isTrue();
            }
        });
        ValidationSweep sweep = sweep(held, 1);
        sweep.start(Duration.ofMinutes(5));

        CompletableFuture<Void> scheduledPass = CompletableFuture.runAsync(scheduler::tick);
        assertThat(sixthEntered.await(TIMEOUT_S, TimeUnit.SECONDS)).isTrue();

        PassSummary progress = sweep.currentPass().orElseThrow();
        assertThat(progress.isRunning()).isTrue();
        assertThat(progress.claimed()).isEqualTo(10);
        assertThat(progress.valid()).as("five checked, the sixth in flight").isEqualTo(5);
        assertThat(progress.unchecked()).isEqualTo(5);

        scheduler.tick(); // the scheduler fires again while the pass runs
        PassSummary asked = sweep.runOnce();
        assertThat(asked.state()).isEqualTo(PassSummary.State.NOT_STARTED);
        assertThat(asked.claimed()).isZero();

        release.countDown();
        scheduledPass.get(TIMEOUT_S, TimeUnit.SECONDS);
        assertThat(finished).singleElement().satisfies(s -> {
            assertThat(s.state()).isEqualTo(PassSummary.State.COMPLETED);
            assertThat(s.valid()).isEqualTo(10);
        });
        assertThat(sweep.currentPass()).isEmpty();
        for (int i = 0; i < 10; i++) {
            assertThat(dummy.calls("id-" + i)).as("checked once").isEqualTo(1);
        }
    }

    @Test
    void closeDuringAPassStopsNewChecksAndTheScheduleButNotTheSuppliedScheduler() {
        createStale(10);
        AtomicReference<ValidationSweep> self = new AtomicReference<>();
        // The third check closes the sweep from inside the pass (as an operator's shutdown hook might).
        Provider closing = new HookedProvider(dummy, (call, identity) -> {
            if (call == 3) {
                self.get().close();
            }
        });
        ValidationSweep sweep = sweep(closing, 1);
        self.set(sweep);
        sweep.start(Duration.ofMinutes(5));

        scheduler.tick();

        PassSummary summary = finished.get(0);
        assertThat(summary.state()).isEqualTo(PassSummary.State.SHUTDOWN);
        assertThat(summary.valid()).as("the check in flight finishes and is recorded").isEqualTo(3);
        assertThat(summary.unchecked()).isEqualTo(7);
        assertThat(dummy.calls()).isEqualTo(3);
        assertThat(scheduler.tasks.get(0).isCancelled()).isTrue();
        assertThat(scheduler.isShutdown()).as("the caller's scheduler is the caller's").isFalse();

        scheduler.tick();
        assertThat(finished).hasSize(1);
        assertThatThrownBy(sweep::runOnce).isInstanceOf(IllegalStateException.class);
        assertThat(countUnverified(10)).as("left claimed for a later pass").isEqualTo(7);
    }

    @Test
    void closeWaitsForTheRunningPassToFinish() throws Exception {
        createStale(10);
        CountDownLatch thirdEntered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Provider held = new HookedProvider(dummy, (call, identity) -> {
            if (call == 3) {
                thirdEntered.countDown();
                assertThat(release.await(TIMEOUT_S, TimeUnit.SECONDS)).isTrue();
            }
        });
        ValidationSweep sweep = sweep(held, 1);
        CompletableFuture<PassSummary> pass = CompletableFuture.supplyAsync(sweep::runOnce);
        assertThat(thirdEntered.await(TIMEOUT_S, TimeUnit.SECONDS)).isTrue();

        CompletableFuture<Void> closing = CompletableFuture.runAsync(sweep::close);
        release.countDown();
        closing.get(TIMEOUT_S, TimeUnit.SECONDS);

        assertThat(sweep.lastPass()).as("close() returned after the pass ended").isPresent();
        assertThat(sweep.currentPass()).isEmpty();
        PassSummary summary = pass.get(TIMEOUT_S, TimeUnit.SECONDS);
        assertThat(summary.valid() + summary.unchecked()).isEqualTo(10);
        assertThat(dummy.calls()).isEqualTo((int) summary.valid());
        assertThat(countUnverified(10)).isEqualTo(summary.unchecked());
        assertThat(threadsLeftAfterJoining(sweep)).as("owned worker threads end").isEmpty();
    }

    @Test
    void ownedSchedulerRunsPassesAndCloseEndsItsThreads() throws Exception {
        createStale(4);
        CountDownLatch firstPass = new CountDownLatch(1);
        ValidationSweep sweep = ValidationSweep.builder(IdentityRefresher.builder(store).provider(dummy).build())
                .clock(clock).listener(new SweepListener() {
                    @Override
                    public Action checked(IdentityCheck check) {
                        return Action.KEEP;
                    }

                    @Override
                    public void passFinished(PassSummary summary) {
                        firstPass.countDown();
                    }
                }).build();
        sweeps.add(sweep);

        sweep.start(Duration.ofHours(1)); // the first pass runs at once
        assertThat(firstPass.await(TIMEOUT_S, TimeUnit.SECONDS)).isTrue();
        assertThat(liveThreads(sweep)).anyMatch(name -> name.contains("-scheduler-"));

        sweep.close();

        assertThat(dummy.calls()).isEqualTo(4);
        assertThat(threadsLeftAfterJoining(sweep)).isEmpty();
    }

    private long countUnverified(int n) {
        long unverified = 0;
        for (int i = 0; i < n; i++) {
            Identity identity = store.find("id-" + i).orElseThrow();
            if (identity.status() == VerificationStatus.UNVERIFIED) {
                assertThat(identity.lastVerifiedAt()).as("claimed").contains(T0);
                unverified++;
            }
        }
        return unverified;
    }

    private static List<String> liveThreads(ValidationSweep sweep) {
        List<String> names = new ArrayList<>();
        threadsOf(sweep).forEach(t -> names.add(t.getName()));
        return names;
    }

    /**
     * The sweep's threads still alive after joining each: a terminated pool's threads end on their own
     * (join is the synchronisation; its timeout only keeps a failing test from hanging).
     */
    private static List<String> threadsLeftAfterJoining(ValidationSweep sweep) throws InterruptedException {
        for (Thread t : threadsOf(sweep)) {
            t.join(TimeUnit.SECONDS.toMillis(TIMEOUT_S));
        }
        return liveThreads(sweep);
    }

    private static List<Thread> threadsOf(ValidationSweep sweep) {
        List<Thread> threads = new ArrayList<>();
        Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
                .filter(t -> t.getName().startsWith(sweep.threadNamePrefix() + "-")).forEach(threads::add);
        return threads;
    }

    private void createStale(int n) {
        for (int i = 0; i < n; i++) {
            store.create(Identity.builder().id("id-" + i).providerKey("dummy").accessToken("access-" + i)
                    .refreshToken("refresh-" + i).lastVerifiedAt(T0.minus(Duration.ofDays(1))).build());
        }
    }

    private ValidationSweep sweep(Provider provider, int concurrency) {
        ValidationSweep sweep = ValidationSweep.builder(IdentityRefresher.builder(store).provider(provider).build())
                .clock(clock).concurrency(concurrency).scheduler(scheduler)
                .listener(new SweepListener() {
                    @Override
                    public Action checked(IdentityCheck check) {
                        return Action.KEEP;
                    }

                    @Override
                    public void passFinished(PassSummary summary) {
                        finished.add(summary);
                    }
                }).build();
        sweeps.add(sweep);
        return sweep;
    }
}
