package org.oauthidentity.spring.boot.sweep;

import java.util.Objects;
import org.oauthidentity.Identity;
import org.oauthidentity.sweep.IdentityCheck;
import org.oauthidentity.sweep.Outcome;

/**
 * Published for every identity the validation sweep checked, so the service can react to its
 * {@linkplain #outcome() outcome}: unlink the account of a {@link Outcome#NOT_VALID} identity, warn its owner, or
 * {@link #requestDeletion() have the sweep delete it}.
 *
 * <p>Published on the sweep's worker thread (several at once, up to the sweep's concurrency), after the outcome
 * was recorded in the store; a listener should be quick. {@link #requestDeletion()} is honoured only by
 * listeners that run synchronously (Spring's default), before the publication returns. Carries no token:
 * {@link #identity()}'s {@code toString()} prints none, and a listener must not log its tokens either.
 */
public final class IdentityCheckedEvent {
    private final IdentityCheck check;
    private volatile boolean deletionRequested;

    /** @param check the sweep's check of one identity */
    public IdentityCheckedEvent(IdentityCheck check) {
        this.check = Objects.requireNonNull(check, "check");
    }

    /** The sweep's check, with its cause when the outcome is not {@link Outcome#VALID}. */
    public IdentityCheck check() {
        return check;
    }

    /** The checked identity's id. */
    public String identityId() {
        return check.identityId();
    }

    /** The identity as the sweep saw it (after a successful refresh: the refreshed one). */
    public Identity identity() {
        return check.identity();
    }

    /** What the check found. */
    public Outcome outcome() {
        return check.outcome();
    }

    /** Asks the sweep to delete the identity from the store once every listener has heard of it. */
    public void requestDeletion() {
        deletionRequested = true;
    }

    /** Whether a listener asked for the identity to be deleted. */
    public boolean deletionRequested() {
        return deletionRequested;
    }

    @Override
    public String toString() {
        return "IdentityCheckedEvent{" + check + '}';
    }
}
