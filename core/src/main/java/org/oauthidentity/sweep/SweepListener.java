package org.oauthidentity.sweep;

/**
 * The host application's side of a validation pass: hears every outcome and decides whether the identity
 * should be deleted (the owner no longer has access to the organisation it was linked for).
 *
 * <p>Called concurrently from the sweep's worker threads (up to its concurrency at once): implementations
 * must be thread-safe and should be quick, since a slow listener holds a worker. An exception thrown here is
 * logged and ignored; the pass goes on and the outcome, already recorded in the store, stands. Never
 * receives a check that was not recorded, except {@link Outcome#SKIPPED} ones, whose identity is gone.
 */
@FunctionalInterface
public interface SweepListener {

    /** What the host wants done with a checked identity. */
    enum Action {
        /** Leave it stored. */
        KEEP,
        /** Delete it from the store (ignored for {@link Outcome#SKIPPED}: it is gone already). */
        DELETE
    }

    /** Keeps everything. */
    SweepListener NONE = check -> Action.KEEP;

    /**
     * One identity was checked and its outcome recorded (or it was {@link Outcome#SKIPPED}).
     *
     * @return {@link Action#DELETE} to delete the identity; null means {@link Action#KEEP}
     */
    Action checked(IdentityCheck check);

    /** A pass ended; called on the thread that ran it, after every {@link #checked} call of the pass. */
    default void passFinished(PassSummary summary) {
    }
}
