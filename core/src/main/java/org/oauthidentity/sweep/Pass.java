package org.oauthidentity.sweep;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * The state of one running pass, shared by its coordinator and its workers: the permits that bound the
 * checks in flight, the live counts, and the first reason to stop. Thread-safe: counters are adders, the stop
 * reason is set once under this object's monitor and read through a volatile field.
 */
final class Pass {
    final Instant startedAt;
    final Instant deadline;
    /** One permit per check in flight; the coordinator takes one before starting a check. */
    final Semaphore permits;
    private final int concurrency;

    private final LongAdder claimed = new LongAdder();
    private final LongAdder valid = new LongAdder();
    private final LongAdder notValid = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final LongAdder skipped = new LongAdder();
    private final LongAdder deferred = new LongAdder();
    /** Providers that asked us to wait: their identities are deferred for the rest of the pass. */
    private final Set<String> paused = ConcurrentHashMap.newKeySet();
    private final LongAdder deleted = new LongAdder();
    /** Only the first ERROR of a pass is logged with its cause, so an outage does not flood the log. */
    final AtomicBoolean errorLogged = new AtomicBoolean();

    private volatile PassSummary.State stop;
    private Exception stopCause;

    Pass(Instant startedAt, Instant deadline, int concurrency) {
        this.startedAt = startedAt;
        this.deadline = deadline;
        this.concurrency = concurrency;
        this.permits = new Semaphore(concurrency);
    }

    /** Asks the pass to start no more checks. The first reason wins; returns whether this one did. */
    synchronized boolean stop(PassSummary.State reason, Exception cause) {
        if (stop != null) {
            return false;
        }
        stopCause = cause;
        stop = reason;
        return true;
    }

    boolean stopping() {
        return stop != null;
    }

    boolean pastDeadline(Clock clock) {
        return !clock.instant().isBefore(deadline);
    }

    /** Blocks until every started check has finished. */
    void awaitChecksInFlight() {
        // Uninterruptibly: a pass must not report before its checks have recorded their outcomes.
        permits.acquireUninterruptibly(concurrency);
        permits.release(concurrency);
    }

    void claimed(int n) {
        claimed.add(n);
    }

    void count(Outcome outcome) {
        switch (outcome) {
            case VALID:
                valid.increment();
                break;
            case NOT_VALID:
                notValid.increment();
                break;
            case ERROR:
                errors.increment();
                break;
            case SKIPPED:
            default:
                skipped.increment();
                break;
        }
    }

    void deferred() {
        deferred.increment();
    }

    /** Defers the rest of this provider's checks in this pass. Returns whether it was not paused before. */
    boolean pause(String providerKey) {
        return paused.add(providerKey);
    }

    boolean paused(String providerKey) {
        return paused.contains(providerKey);
    }

    /** Whether every one of {@code providerKeys} is paused (then nothing more can be checked in this pass). */
    boolean allPaused(Set<String> providerKeys) {
        return paused.containsAll(providerKeys);
    }

    void deleted() {
        deleted.increment();
    }

    /** The live counts, as a running snapshot. */
    PassSummary snapshot(Instant now) {
        return summary(PassSummary.State.RUNNING, now, null);
    }

    /** The final summary; call after {@link #awaitChecksInFlight()}. */
    synchronized PassSummary finish(Instant now) {
        PassSummary.State state = stop == null ? PassSummary.State.COMPLETED : stop;
        return summary(state, now, stopCause);
    }

    private PassSummary summary(PassSummary.State state, Instant now, Exception cause) {
        Duration duration = now.isBefore(startedAt) ? Duration.ZERO : Duration.between(startedAt, now);
        // Read the outcomes before the claims, so a snapshot never shows more checked than claimed.
        long v = valid.sum();
        long nv = notValid.sum();
        long e = errors.sum();
        long s = skipped.sum();
        long df = deferred.sum();
        long d = deleted.sum();
        return new PassSummary(state, startedAt, duration, claimed.sum(), v, nv, e, s, df, d, cause);
    }
}
