package org.oauthidentity.sweep;

import java.time.Instant;
import java.util.Optional;
import org.oauthidentity.Identity;

/**
 * One identity's check in a validation pass, as the {@link SweepListener} hears of it. Immutable.
 * {@link #toString()} never prints a token.
 */
public final class IdentityCheck {
    private final Identity identity;
    private final Outcome outcome;
    private final Exception cause;
    private final Instant checkedAt;

    IdentityCheck(Identity identity, Outcome outcome, Exception cause, Instant checkedAt) {
        this.identity = identity;
        this.outcome = outcome;
        this.cause = cause;
        this.checkedAt = checkedAt;
    }

    public String identityId() {
        return identity.id();
    }

    /**
     * The identity as the pass last saw it: after a successful refresh the refreshed, stored copy; otherwise
     * the copy it claimed. Its {@code status} and {@code lastVerifiedAt} are those from before this check was
     * recorded.
     */
    public Identity identity() {
        return identity;
    }

    public Outcome outcome() {
        return outcome;
    }

    /**
     * Why the check did not end {@link Outcome#VALID}: an {@code IdentityNotValid} for
     * {@link Outcome#NOT_VALID} and for a {@link Outcome#SKIPPED} identity that was deleted (empty for one that
     * was deleted and linked again: the new account is checked in a later pass); for {@link Outcome#ERROR} usually a
     * {@code TransientRefreshException} (an outage: {@code httpStatus()} 5xx, 429, or 0 for a timeout) or
     * another {@code RefreshException}. Empty for {@link Outcome#VALID}.
     */
    public Optional<Exception> cause() {
        return Optional.ofNullable(cause);
    }

    /** When the outcome was recorded (the injected clock). */
    public Instant checkedAt() {
        return checkedAt;
    }

    @Override
    public String toString() {
        return "IdentityCheck{identity=" + identity.id() + ", provider=" + identity.providerKey()
                + ", outcome=" + outcome
                + (cause == null ? "" : ", cause=" + cause.getClass().getSimpleName() + ": " + cause.getMessage())
                + ", checkedAt=" + checkedAt + '}';
    }
}
