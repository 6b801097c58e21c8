package org.oauthidentity.sweep;

import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.VerificationStatus;

/**
 * What one check of one identity found, as two flags: {@link #linked()} and {@link #valid()}.
 * A configuration error ({@link ProviderConfigurationException}) is never an outcome: it is our fault, not
 * the identity's, so it stops the pass and the identity stays claimed-unchecked.
 */
public enum Outcome {
    /** The vendor refreshed it (or another caller had just refreshed it): linked and valid. */
    VALID(VerificationStatus.VALID, true, true),
    /** The vendor said it is gone for good ({@link IdentityNotValid}), or it has no refresh token: unlink it. */
    NOT_VALID(VerificationStatus.NOT_VALID, false, false),
    /**
     * Any other failure (outage, timeout, protocol error, store failure while refreshing): still linked but
     * not trusted until a later pass succeeds (fail closed). The check's cause tells an outage from a refusal.
     */
    ERROR(VerificationStatus.ERROR, true, false),
    /**
     * The identity was deleted while the pass held its claim; nothing was recorded and it counts as neither
     * valid nor invalid.
     */
    SKIPPED(null, false, false);

    private final VerificationStatus status;
    private final boolean linked;
    private final boolean valid;

    Outcome(VerificationStatus status, boolean linked, boolean valid) {
        this.status = status;
        this.linked = linked;
        this.valid = valid;
    }

    /** Whether the account should stay linked to the identity. */
    public boolean linked() {
        return linked;
    }

    /** Whether the identity can be trusted now. */
    public boolean valid() {
        return valid;
    }

    /** What the store records; null for {@link #SKIPPED}, which records nothing. */
    VerificationStatus status() {
        return status;
    }
}
