package org.oauthidentity.sweep;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotFoundException;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.IdentityStore;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.ProviderPausedException;
import org.oauthidentity.RefreshException;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.refresh.RetryPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-validates stored identities in the background, so a service learns that an account was revoked,
 * suspended or deleted at the vendor without waiting for a user to hit an error.
 *
 * <p>One pass ({@link #runOnce()}):
 * <ol>
 *   <li>claims, a page at a time, the identities not verified within the {@linkplain Builder#interval
 *       interval}: the store stamps their {@code lastVerifiedAt} before any refresh, so an overlapping pass,
 *       here or in another process sharing the store, never checks one identity twice;</li>
 *   <li>refreshes each through the {@link IdentityRefresher} (lease, compare-and-set, no retries by default:
 *       the sweep records a failure instead of waiting), at most {@linkplain Builder#concurrency concurrency}
 *       at once;</li>
 *   <li>records the {@link Outcome} with {@link IdentityStore#recordVerification}: refreshed &rarr; VALID;
 *       {@code IdentityNotValid} (revoked, or no refresh token: no request is made) &rarr; NOT_VALID; any
 *       other failure &rarr; ERROR, still linked but not trusted (fail closed), the cause kept for the
 *       listener;</li>
 *   <li>tells the {@link SweepListener}, which may ask for the identity to be deleted.</li>
 * </ol>
 * The recorded {@code lastVerifiedAt} is the check's time moved back by at most the {@linkplain Builder#jitter
 * jitter} towards the identity's own slot in the interval (fixed by a hash of its id), so identities linked or
 * checked at the same moment spread evenly over the interval within a few rounds instead of coming due in one herd
 * for ever; run passes often ({@link #start(Duration)} with a period of a few minutes) so each takes only what fell
 * due since the last.
 *
 * <p><b>Vendors that ask us to wait.</b> The sweep refreshes through a {@linkplain IdentityRefresher#background()
 * background} copy of the refresher: under the refresher's {@link org.oauthidentity.refresh.RateLimits rate limits}
 * its token requests give way to users' refreshes. When a provider answers 429, or 503 with {@code Retry-After}
 * (here or to any refresh of the process), the pass checks none of that provider's identities for the rest of the
 * pass: each is {@linkplain PassSummary#deferred() deferred}, due again when the vendor's pause ends, its status
 * unchanged and the listener not told (it was not checked). When every provider is paused the pass stops
 * claiming ({@link PassSummary.State#PAUSED}).
 *
 * A {@link ProviderConfigurationException} (our client credentials rejected, no provider for a key) stops
 * the pass at once: no new check starts, checks in flight finish, and no identity is marked NOT_VALID or
 * ERROR because of it. One that {@linkplain ProviderConfigurationException#concernsOneIdentity concerns one
 * identity only} (its own settings clash with the configuration) marks that identity ERROR and the pass
 * goes on: one odd row must not stop the validation of every other identity. An identity deleted while the pass held its claim is {@link Outcome#SKIPPED} with a
 * warning. Work not started when the pass's {@linkplain Builder#passDeadline deadline} comes, or when the
 * pass stops, stays claimed-and-unchecked: it is claimed again once its claim is older than the interval,
 * never lost. Heap use is bounded by the page size and the concurrency, not by the number of identities.
 *
 * <p>Scheduling: {@link #start(Duration)} runs a pass every period on a {@link ScheduledExecutorService}
 * the caller supplies or one the sweep owns. Two passes of one sweep never run at once: a pass asked for
 * while one runs is {@linkplain PassSummary.State#NOT_STARTED not started}. Every pass ends with a summary,
 * logged (counts only, never a token), returned by {@link #runOnce()} and given to
 * {@link SweepListener#passFinished}; {@link #currentPass()} shows the running pass's counts as they move.
 *
 * <p>Thread-safe. Time (claims, recorded outcomes, deadline) comes from the injected {@link Clock}.
 * Checks in flight are never interrupted, not even by {@link #close()}: an interrupted token request may
 * have rotated the refresh token at the vendor without the store ever hearing of it.
 */
public final class ValidationSweep implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ValidationSweep.class);
    private static final AtomicInteger INSTANCES = new AtomicInteger();

    private final IdentityRefresher refresher;
    private final IdentityStore store;
    private final SweepListener listener;
    private final Clock clock;
    private final Duration interval;
    private final Duration jitter;
    private final Set<String> providerKeys;
    private final Duration passDeadline;
    private final int concurrency;
    private final int pageSize;
    private final Duration closeTimeout;
    private final Executor workers;
    private final ExecutorService ownedWorkers;
    private final ScheduledExecutorService suppliedScheduler;
    private final String threadNamePrefix;

    /** Guards against two passes of this sweep at once; not a lock, so a listener cannot re-enter a pass. */
    private final AtomicBoolean running = new AtomicBoolean();
    private final Object passEnded = new Object();
    /** Set on the threads running a check or a listener call, where close() must not wait for the pass. */
    private final ThreadLocal<Boolean> insidePass = ThreadLocal.withInitial(() -> Boolean.FALSE);
    private volatile Pass current;
    private volatile PassSummary lastPass;
    private volatile boolean closed;
    private ScheduledExecutorService ownedScheduler;
    private ScheduledFuture<?> schedule;

    private ValidationSweep(Builder b) {
        this.refresher = b.refresher.withRetryPolicy(b.retryPolicy).background();
        this.store = refresher.store();
        this.providerKeys = refresher.providerKeys();
        this.listener = b.listener;
        this.clock = b.clock;
        this.interval = b.interval;
        this.jitter = b.jitter == null ? b.interval.dividedBy(10) : b.jitter;
        if (jitter.compareTo(interval) >= 0) {
            throw new IllegalArgumentException("the jitter must be shorter than the interval");
        }
        this.passDeadline = b.passDeadline == null ? b.interval : b.passDeadline;
        this.concurrency = b.concurrency;
        this.pageSize = b.pageSize == 0 ? Math.max(256, 2 * b.concurrency) : b.pageSize;
        this.closeTimeout = b.closeTimeout;
        this.suppliedScheduler = b.scheduler;
        this.threadNamePrefix = "oauth-identity-sweep-" + INSTANCES.incrementAndGet();
        if (b.executor != null) {
            this.workers = b.executor;
            this.ownedWorkers = null;
        } else {
            // The permits bound the queue to the concurrency; idle threads go away between passes.
            ThreadPoolExecutor pool = new ThreadPoolExecutor(concurrency, concurrency, 60, TimeUnit.SECONDS,
                    new LinkedBlockingQueue<>(), daemonThreads(threadNamePrefix + "-worker-"));
            pool.allowCoreThreadTimeOut(true);
            this.workers = pool;
            this.ownedWorkers = pool;
        }
    }

    /**
     * A sweep that checks identities of {@code refresher}'s store through it. The sweep uses a copy of the
     * refresher that does not retry ({@link RetryPolicy#none()}) unless {@link Builder#retryPolicy} says
     * otherwise.
     */
    public static Builder builder(IdentityRefresher refresher) {
        return new Builder(refresher);
    }

    // ---- one pass -----------------------------------------------------------------------------------------

    /**
     * Runs one pass on the calling thread (the checks run on the worker executor) and returns its summary
     * once every started check has finished. If a pass of this sweep is already running, returns at once a
     * summary in state {@link PassSummary.State#NOT_STARTED}.
     *
     * @throws IllegalStateException the sweep is closed
     */
    public PassSummary runOnce() {
        requireOpen();
        if (!running.compareAndSet(false, true)) {
            log.info("validation pass not started: the previous pass of this sweep is still running");
            return PassSummary.notStarted(clock.instant());
        }
        try {
            return runPass();
        } finally {
            synchronized (passEnded) {
                current = null;
                running.set(false);
                passEnded.notifyAll();
            }
        }
    }

    /** The running pass's counts so far; empty when no pass is running. */
    public Optional<PassSummary> currentPass() {
        Pass pass = current;
        return pass == null ? Optional.empty() : Optional.of(pass.snapshot(clock.instant()));
    }

    /** The summary of the last pass that ended; empty before the first. */
    public Optional<PassSummary> lastPass() {
        return Optional.ofNullable(lastPass);
    }

    private PassSummary runPass() {
        Instant startedAt = clock.instant();
        Pass pass = new Pass(startedAt, startedAt.plus(passDeadline), concurrency);
        current = pass;
        if (closed) {
            pass.stop(PassSummary.State.SHUTDOWN, null);
        }
        log.debug("validation pass started: identities not verified since {}", startedAt.minus(interval));
        claimAndDispatch(pass, startedAt.minus(interval));
        pass.awaitChecksInFlight();
        PassSummary summary = pass.finish(clock.instant());
        lastPass = summary;
        logSummary(summary);
        insidePass.set(Boolean.TRUE);
        try {
            listener.passFinished(summary);
        } catch (RuntimeException e) {
            log.warn("sweep listener failed on passFinished; ignored", e);
        } finally {
            insidePass.set(Boolean.FALSE);
        }
        return summary;
    }

    /** Claims page after page and starts a check per identity, until done or told to stop. */
    private void claimAndDispatch(Pass pass, Instant cutoff) {
        while (!shouldStop(pass)) {
            List<Identity> page;
            try {
                page = store.claimUnverified(cutoff, clock.instant(), pageSize);
            } catch (RuntimeException e) {
                log.error("validation pass stopped: the identity store failed to claim identities", e);
                pass.stop(PassSummary.State.FAILED, e);
                return;
            }
            if (page.isEmpty()) {
                return;
            }
            pass.claimed(page.size());
            for (int i = 0; i < page.size(); i++) {
                Identity identity = page.get(i);
                Optional<Instant> deferred = deferredUntil(pass, identity.providerKey());
                if (deferred.isPresent()) {
                    defer(pass, identity, deferred.get());
                    continue;
                }
                try {
                    pass.permits.acquire();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    pass.stop(PassSummary.State.SHUTDOWN, null);
                    return;
                }
                if (shouldStop(pass)) {
                    pass.permits.release();
                    deferPausedRest(pass, page.subList(i, page.size()));
                    return;
                }
                try {
                    workers.execute(() -> check(pass, identity));
                } catch (RejectedExecutionException e) {
                    pass.permits.release();
                    if (!closed) {
                        log.error("validation pass stopped: the worker executor refused a check", e);
                    }
                    pass.stop(closed ? PassSummary.State.SHUTDOWN : PassSummary.State.FAILED, closed ? null : e);
                    return;
                }
            }
        }
    }

    /** True if no further check may start; records why when the reason is first seen here. */
    private boolean shouldStop(Pass pass) {
        if (pass.stopping()) {
            return true;
        }
        if (closed) {
            pass.stop(PassSummary.State.SHUTDOWN, null);
            return true;
        }
        if (pass.pastDeadline(clock)) {
            pass.stop(PassSummary.State.DEADLINE_REACHED, null);
            return true;
        }
        if (pass.allPaused(providerKeys)) {
            pass.stop(PassSummary.State.PAUSED, null);
            return true;
        }
        return false;
    }

    // ---- pauses: a provider that asks us to wait ---------------------------------------------------------

    /**
     * If this provider's checks are deferred for the rest of the pass, until when: the end of its pause (it answered
     * 429, or 503 with {@code Retry-After}, here or to another refresh of this process), or now once that has
     * passed. Empty when its identities are checked.
     */
    private Optional<Instant> deferredUntil(Pass pass, String providerKey) {
        Optional<Instant> until = refresher.rateLimits().pausedUntil(providerKey);
        if (until.isPresent()) {
            deferRestOfPass(pass, providerKey, until.get());
            return until;
        }
        return pass.paused(providerKey) ? Optional.of(clock.instant()) : Optional.empty();
    }

    private void deferRestOfPass(Pass pass, String providerKey, Instant pausedUntil) {
        if (pass.pause(providerKey)) {
            log.warn("validation pass: provider '{}' asked us to wait until {}; its checks are deferred for the rest "
                    + "of this pass and stay due", providerKey, pausedUntil);
        }
    }

    /**
     * Leaves a claimed identity due again when its provider's pause ends (or now, if it has ended): its
     * {@code lastVerifiedAt} goes back to one interval before that, its status stays. Nothing else is recorded.
     */
    private void defer(Pass pass, Identity claimed, Instant pausedUntil) {
        Instant now = clock.instant();
        Instant dueAgain = pausedUntil.isAfter(now) ? pausedUntil : now;
        try {
            if (store.recordVerification(claimed.id(), claimed.status(), dueAgain.minus(interval))) {
                pass.deferred();
            } else {
                pass.count(Outcome.SKIPPED);
            }
        } catch (RuntimeException e) {
            if (pass.stop(PassSummary.State.FAILED, e)) {
                log.error("validation pass stopping: the identity store failed to defer the check of identity {}",
                        claimed.id(), e);
            }
        }
    }

    /** When the pass stops because every provider is paused, what it claimed but did not start stays due. */
    private void deferPausedRest(Pass pass, List<Identity> rest) {
        for (Identity identity : rest) {
            deferredUntil(pass, identity.providerKey()).ifPresent(until -> defer(pass, identity, until));
        }
    }

    /**
     * When a check is recorded as done: its time, moved back by at most the jitter towards the identity's own slot
     * in the interval (a point fixed by a hash of its id: the same in every instance, spread evenly over the
     * interval by the hash). An identity on its slot is recorded at the slot and so checked every interval at the
     * same point of it; one off its slot (linked with many others at one moment, or checked late after an outage)
     * comes a jitter closer with each check, so a herd spreads evenly over the interval within interval / jitter
     * rounds (ten by default) and stays spread.
     */
    Instant recordedCheckTime(String id, Instant at) {
        long spacing = interval.toNanos();
        long bound = jitter.toNanos();
        if (bound <= 0) {
            return at;
        }
        long now = at.getEpochSecond() * 1_000_000_000L + at.getNano();
        long slot = Math.floorMod(mix(id), spacing);
        // The latest moment at or before the check that is the identity's slot: a whole number of intervals
        // (counted from the epoch) plus the slot.
        long sinceSlot = Math.floorMod(now - slot, spacing);
        return at.minusNanos(Math.min(sinceSlot, bound));
    }

    /** A well-mixed 64-bit hash of an id (FNV-1a over its characters, then a finalizer). */
    private static long mix(String id) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < id.length(); i++) {
            h = (h ^ id.charAt(i)) * 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        return h ^ (h >>> 33);
    }

    /** One identity, on a worker thread. Always gives its permit back. */
    private void check(Pass pass, Identity claimed) {
        insidePass.set(Boolean.TRUE);
        try {
            // Checked again here: the pass may have stopped, or the provider paused, while this waited for a thread.
            Optional<Instant> deferred = deferredUntil(pass, claimed.providerKey());
            if (deferred.isPresent()) {
                defer(pass, claimed, deferred.get());
                return;
            }
            if (shouldStop(pass)) {
                return;
            }
            String id = claimed.id();
            Identity seen = claimed;
            Outcome outcome;
            Exception cause = null;
            try {
                seen = refresher.refresh(claimed);
                // Deleted and linked again since the claim: the new account was not what this pass claimed.
                outcome = seen.sameIncarnation(claimed) ? Outcome.VALID : Outcome.SKIPPED;
            } catch (ProviderConfigurationException e) {
                if (!e.concernsOneIdentity()) {
                    // Our fault, not the identity's: record nothing, leave it claimed, stop the pass.
                    if (pass.stop(PassSummary.State.CONFIGURATION_ERROR, e)) {
                        log.error("validation pass stopping: configuration error while checking identity {}: {}; "
                                + "no identity is marked invalid for it, unchecked ones are retried after {}",
                                id, e.getMessage(), interval);
                    }
                    return;
                }
                // Only this identity's settings clash with the configuration: fail it closed, check the rest.
                outcome = Outcome.ERROR;
                cause = e;
            } catch (IdentityNotValid e) {
                outcome = e.getCause() instanceof IdentityNotFoundException ? Outcome.SKIPPED : Outcome.NOT_VALID;
                cause = e;
            } catch (ProviderPausedException e) {
                // The vendor asked us to wait (the refresher decides what that is): no verdict on this identity.
                deferRestOfPass(pass, claimed.providerKey(), e.pausedUntil());
                defer(pass, claimed, e.pausedUntil());
                return;
            } catch (RefreshException | RuntimeException e) {
                outcome = Outcome.ERROR;
                cause = e;
            }
            Instant at = clock.instant();
            if (outcome != Outcome.SKIPPED) {
                try {
                    if (!store.recordVerification(id, outcome.status(), recordedCheckTime(id, at))) {
                        outcome = Outcome.SKIPPED;
                    }
                } catch (RuntimeException e) {
                    if (pass.stop(PassSummary.State.FAILED, e)) {
                        log.error("validation pass stopping: the identity store failed to record the check of "
                                + "identity {}", id, e);
                    }
                    return;
                }
            }
            logOutcome(pass, id, outcome, cause);
            pass.count(outcome);
            SweepListener.Action action = tell(new IdentityCheck(seen, outcome, cause, at));
            if (action == SweepListener.Action.DELETE && outcome != Outcome.SKIPPED) {
                delete(pass, id);
            }
        } finally {
            insidePass.set(Boolean.FALSE);
            pass.permits.release();
        }
    }

    private SweepListener.Action tell(IdentityCheck check) {
        try {
            SweepListener.Action action = listener.checked(check);
            return action == null ? SweepListener.Action.KEEP : action;
        } catch (RuntimeException e) {
            log.warn("sweep listener failed on identity {}; ignored, the pass goes on", check.identityId(), e);
            return SweepListener.Action.KEEP;
        }
    }

    private void delete(Pass pass, String id) {
        try {
            if (store.delete(id)) {
                pass.deleted();
                log.info("identity {} deleted at the sweep listener's request", id);
            }
        } catch (RuntimeException e) {
            log.warn("identity {}: the sweep listener asked for deletion but the store failed", id, e);
        }
    }

    private static void logOutcome(Pass pass, String id, Outcome outcome, Exception cause) {
        switch (outcome) {
            case SKIPPED:
                log.warn("identity {} was deleted while claimed by the validation pass; skipped", id);
                break;
            case ERROR:
                if (pass.errorLogged.compareAndSet(false, true)) {
                    log.warn("identity {} could not be checked and is marked ERROR (further errors of this pass "
                            + "are logged at debug level): {}", id, cause.toString());
                } else if (log.isDebugEnabled()) {
                    log.debug("identity {}: ERROR: {}", id, cause.toString());
                }
                break;
            case NOT_VALID:
                if (log.isDebugEnabled()) {
                    log.debug("identity {}: NOT_VALID: {}", id, cause.getMessage());
                }
                break;
            case VALID:
            default:
                log.debug("identity {}: VALID", id);
                break;
        }
    }

    private static void logSummary(PassSummary s) {
        switch (s.state()) {
            case CONFIGURATION_ERROR:
            case FAILED:
                log.error("validation pass stopped: {}", s);
                break;
            default:
                log.info("validation pass ended: {}", s);
                break;
        }
    }

    // ---- scheduling -------------------------------------------------------------------------------------

    /**
     * Runs a pass now and then every {@code every} after the previous one ended (fixed delay, so a long pass
     * does not cause a burst of passes after it), on the {@linkplain Builder#scheduler supplied scheduler} or
     * on a daemon thread the sweep owns. A pass that fails never ends the schedule.
     *
     * @throws IllegalStateException already started, or closed
     */
    public synchronized void start(Duration every) {
        requireOpen();
        if (every.isNegative() || every.isZero()) {
            throw new IllegalArgumentException("the period must be positive");
        }
        if (schedule != null) {
            throw new IllegalStateException("this validation sweep is already started");
        }
        ScheduledExecutorService scheduler = suppliedScheduler;
        if (scheduler == null) {
            ownedScheduler = Executors.newSingleThreadScheduledExecutor(daemonThreads(threadNamePrefix + "-scheduler-"));
            scheduler = ownedScheduler;
        }
        schedule = scheduler.scheduleWithFixedDelay(this::scheduledPass, 0, every.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void scheduledPass() {
        // An exception escaping a periodic task would silently cancel every later pass.
        try {
            if (!closed) {
                runOnce();
            }
        } catch (RuntimeException e) {
            if (!closed) {
                log.error("scheduled validation pass failed; the next one runs as scheduled", e);
            }
        }
    }

    /**
     * Stops the schedule, lets the running pass start no new check, waits (up to the
     * {@linkplain Builder#closeTimeout close timeout}) for its checks in flight to finish, and shuts down the
     * threads the sweep owns. A supplied scheduler or executor is left running. Called from the listener or a
     * provider during a pass, it does not wait (the pass ends once the call returns). Idempotent.
     */
    @Override
    public void close() {
        ScheduledFuture<?> scheduled;
        ScheduledExecutorService scheduler;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            scheduled = schedule;
            scheduler = ownedScheduler;
        }
        if (scheduled != null) {
            scheduled.cancel(false); // never interrupt a pass: its checks may be mid token request
        }
        Pass pass = current;
        if (pass != null) {
            pass.stop(PassSummary.State.SHUTDOWN, null);
        }
        boolean mayWait = !insidePass.get();
        long deadline = System.nanoTime() + closeTimeout.toNanos();
        if (mayWait) {
            awaitNoPass(deadline);
        }
        shutdown(scheduler, mayWait, deadline);
        shutdown(ownedWorkers, mayWait, deadline);
    }

    private void awaitNoPass(long deadline) {
        synchronized (passEnded) {
            try {
                while (running.get()) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        log.warn("validation sweep closed while a pass is still running after {}", closeTimeout);
                        return;
                    }
                    TimeUnit.NANOSECONDS.timedWait(passEnded, left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void shutdown(ExecutorService executor, boolean mayWait, long deadline) {
        if (executor == null) {
            return;
        }
        executor.shutdown();
        if (mayWait) {
            try {
                executor.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("this validation sweep is closed");
        }
    }

    /** Thread names start with this; tests look for leftover threads by it. */
    String threadNamePrefix() {
        return threadNamePrefix;
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return runnable -> {
            Thread t = new Thread(runnable, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    @Override
    public String toString() {
        return "ValidationSweep{interval=" + interval + ", jitter=" + jitter + ", concurrency=" + concurrency
                + ", pageSize=" + pageSize
                + ", passDeadline=" + passDeadline + (closed ? ", closed" : "") + '}';
    }

    /** Not thread-safe; build on one thread. */
    public static final class Builder {
        private final IdentityRefresher refresher;
        private SweepListener listener = SweepListener.NONE;
        private Clock clock = Clock.systemUTC();
        private Duration interval = Duration.ofHours(1);
        private Duration jitter;
        private Duration passDeadline;
        private int concurrency = 8;
        private int pageSize;
        private RetryPolicy retryPolicy = RetryPolicy.none();
        private Duration closeTimeout = Duration.ofSeconds(30);
        private Executor executor;
        private ScheduledExecutorService scheduler;

        private Builder(IdentityRefresher refresher) {
            this.refresher = Objects.requireNonNull(refresher, "refresher");
        }

        public Builder listener(SweepListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** Claims, recorded outcomes and the pass deadline read this clock. Default: UTC system clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** An identity verified (or claimed) less than this long ago is not checked. Default 1 hour. */
        public Builder interval(Duration interval) {
            this.interval = requirePositive(interval, "interval");
            return this;
        }

        /**
         * Up to how much earlier than the check each recorded {@code lastVerifiedAt} may be, so that identities
         * linked (or checked) at the same moment do not come due together for ever. Each identity has its own
         * slot in the interval, fixed by a hash of its id (the same in every instance; the slots of many identities
         * spread evenly over the interval); a check is recorded at the identity's slot when that is at most this
         * much earlier, else this much earlier, so an identity off its slot moves closer with every check. A herd
         * linked at one moment is spread evenly over the interval within {@code interval / jitter} rounds, and
         * then each identity is checked once every interval at its slot. An identity is never checked again later
         * than {@code interval} after its check, nor sooner than {@code interval - jitter}; the recorded time errs
         * towards "checked longer ago". Default: a tenth of the interval; zero records the check's own time. Must
         * be shorter than the interval.
         */
        public Builder jitter(Duration jitter) {
            if (Objects.requireNonNull(jitter, "jitter").isNegative()) {
                throw new IllegalArgumentException("jitter must not be negative");
            }
            this.jitter = jitter;
            return this;
        }

        /**
         * How long after its start a pass may still start checks; the rest waits for a later pass. Default:
         * the interval.
         */
        public Builder passDeadline(Duration passDeadline) {
            this.passDeadline = requirePositive(passDeadline, "passDeadline");
            return this;
        }

        /** Checks in flight at once. Default 8. */
        public Builder concurrency(int concurrency) {
            if (concurrency < 1) {
                throw new IllegalArgumentException("concurrency must be at least 1");
            }
            this.concurrency = concurrency;
            return this;
        }

        /**
         * Identities claimed per store call. A larger page means fewer store calls and more identities left
         * claimed-unchecked when a pass stops early. Default: max(256, 2 &times; concurrency).
         */
        public Builder pageSize(int pageSize) {
            if (pageSize < 1) {
                throw new IllegalArgumentException("pageSize must be at least 1");
            }
            this.pageSize = pageSize;
            return this;
        }

        /** How transient failures are retried within one check. Default {@link RetryPolicy#none()}. */
        public Builder retryPolicy(RetryPolicy retryPolicy) {
            this.retryPolicy = Objects.requireNonNull(retryPolicy, "retryPolicy");
            return this;
        }

        /**
         * Runs the checks (a virtual-thread executor suits them well). Not shut down by {@link #close()}.
         * Default: a pool of {@code concurrency} daemon threads the sweep owns.
         */
        public Builder executor(Executor executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /**
         * Runs the scheduled passes of {@link ValidationSweep#start}. Not shut down by {@link #close()}.
         * Default: a single daemon thread the sweep owns, created by {@code start}.
         */
        public Builder scheduler(ScheduledExecutorService scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
            return this;
        }

        /** How long {@link ValidationSweep#close()} waits for a running pass. Default 30 s. */
        public Builder closeTimeout(Duration closeTimeout) {
            if (closeTimeout.isNegative()) {
                throw new IllegalArgumentException("closeTimeout must not be negative");
            }
            this.closeTimeout = closeTimeout;
            return this;
        }

        public ValidationSweep build() {
            return new ValidationSweep(this);
        }

        private static Duration requirePositive(Duration d, String name) {
            if (Objects.requireNonNull(d, name).isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive");
            }
            return d;
        }
    }
}
