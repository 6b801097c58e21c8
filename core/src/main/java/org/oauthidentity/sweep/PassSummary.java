package org.oauthidentity.sweep;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.oauthidentity.ProviderConfigurationException;

/**
 * The counts of one validation pass: final when the pass has ended ({@link ValidationSweep#runOnce()},
 * {@link SweepListener#passFinished}), or a snapshot of the counts so far while it runs
 * ({@link ValidationSweep#currentPass()}). Immutable; {@link #toString()} carries counts and the stop
 * cause's message, never a token.
 *
 * <p>Every claimed identity ends in exactly one bucket: {@link #valid()}, {@link #notValid()},
 * {@link #errors()}, {@link #skipped()}, {@link #deferred()} (its provider asked us to wait: left due, checked
 * after the pause) or {@link #unchecked()} (claimed, but the pass stopped before checking it: it is retried once
 * its claim is older than the interval).
 */
public final class PassSummary {

    /** How the pass ended, or {@link #RUNNING}. */
    public enum State {
        /** Still running: the counts are a snapshot. */
        RUNNING,
        /** Every identity due for a check was claimed and checked. */
        COMPLETED,
        /** The pass deadline came first; the rest is checked by a later pass. */
        DEADLINE_REACHED,
        /**
         * A provider reported our own misconfiguration ({@link #configurationError()}); the pass stopped
         * without marking anything invalid because of it.
         */
        CONFIGURATION_ERROR,
        /** The store failed (or the worker executor refused work); see {@link #stopCause()}. */
        FAILED,
        /** The sweep was closed (or the pass's thread interrupted) while the pass ran. */
        SHUTDOWN,
        /**
         * Every provider asked us to wait (a 429, or a 503 with {@code Retry-After}): the pass stopped claiming,
         * and what it had claimed is {@linkplain #deferred() deferred}, due again when the pause ends.
         */
        PAUSED,
        /** Not started: another pass of the same sweep was running. All counts are zero. */
        NOT_STARTED
    }

    private final State state;
    private final Instant startedAt;
    private final Duration duration;
    private final long claimed;
    private final long valid;
    private final long notValid;
    private final long errors;
    private final long skipped;
    private final long deferred;
    private final long deleted;
    private final Exception stopCause;

    PassSummary(State state, Instant startedAt, Duration duration, long claimed, long valid, long notValid,
            long errors, long skipped, long deferred, long deleted, Exception stopCause) {
        this.state = state;
        this.startedAt = startedAt;
        this.duration = duration;
        this.claimed = claimed;
        this.valid = valid;
        this.notValid = notValid;
        this.errors = errors;
        this.skipped = skipped;
        this.deferred = deferred;
        this.deleted = deleted;
        this.stopCause = stopCause;
    }

    static PassSummary notStarted(Instant now) {
        return new PassSummary(State.NOT_STARTED, now, Duration.ZERO, 0, 0, 0, 0, 0, 0, 0, null);
    }

    public State state() {
        return state;
    }

    public boolean isRunning() {
        return state == State.RUNNING;
    }

    public Instant startedAt() {
        return startedAt;
    }

    /** From start to end (or to the snapshot), by the sweep's clock. */
    public Duration duration() {
        return duration;
    }

    /** Identities this pass claimed (stamped {@code lastVerifiedAt}) so far. */
    public long claimed() {
        return claimed;
    }

    public long valid() {
        return valid;
    }

    public long notValid() {
        return notValid;
    }

    /** Checks that failed for another reason than {@code IdentityNotValid}: recorded ERROR (fail closed). */
    public long errors() {
        return errors;
    }

    /** Identities deleted while the pass held their claim: nothing recorded. */
    public long skipped() {
        return skipped;
    }

    /**
     * Identities not checked because their provider asked us to wait (a 429, or a 503 with {@code Retry-After}):
     * nothing recorded but their due time, which is the end of the pause, so a later pass checks them then. Not
     * an outcome of the identity: the listener does not hear of them.
     */
    public long deferred() {
        return deferred;
    }

    /** Identities deleted because the listener asked to. */
    public long deleted() {
        return deleted;
    }

    /** Identities with a recorded outcome: valid + not valid + errors. */
    public long checked() {
        return valid + notValid + errors;
    }

    /**
     * Claimed but not (yet) checked. After the pass: left for a later pass by a deadline, a stop or a
     * configuration error; while it runs: also those waiting or in flight.
     */
    public long unchecked() {
        return claimed - checked() - skipped - deferred;
    }

    /** The count of one outcome. */
    public long count(Outcome outcome) {
        switch (outcome) {
            case VALID:
                return valid;
            case NOT_VALID:
                return notValid;
            case ERROR:
                return errors;
            case SKIPPED:
            default:
                return skipped;
        }
    }

    /** What stopped the pass: the configuration error, or the store's (executor's) failure. */
    public Optional<Exception> stopCause() {
        return Optional.ofNullable(stopCause);
    }

    /** Present when {@link State#CONFIGURATION_ERROR} stopped the pass. */
    public Optional<ProviderConfigurationException> configurationError() {
        return stopCause instanceof ProviderConfigurationException
                ? Optional.of((ProviderConfigurationException) stopCause) : Optional.empty();
    }

    @Override
    public String toString() {
        return "PassSummary{state=" + state + ", startedAt=" + startedAt + ", duration=" + duration
                + ", claimed=" + claimed + ", valid=" + valid + ", notValid=" + notValid + ", errors=" + errors
                + ", skipped=" + skipped + ", deferred=" + deferred + ", deleted=" + deleted
                + ", unchecked=" + unchecked()
                + (stopCause == null ? "" : ", stopCause=" + stopCause.getClass().getSimpleName() + ": "
                        + stopCause.getMessage())
                + '}';
    }
}
