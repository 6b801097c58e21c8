package org.oauthidentity;

/**
 * The identity can never be refreshed again: the refresh token was revoked or expired, the user was
 * suspended or deleted, or there is no refresh token at all. Callers unlink the account; nothing retries it.
 *
 * <p>{@link #afterLostAnswer()} marks the one case that is not the account's doing: the vendor refused a refresh
 * token that an earlier token request, whose answer was lost (a timeout, a cut connection, a process that died
 * holding the refresh lease), may already have consumed. The identity cannot be refreshed any more either way,
 * but the user did not revoke anything: say so to them, and do not count it as a revocation.
 */
public class IdentityNotValid extends RefreshException {
    private static final long serialVersionUID = 1L;

    private final boolean afterLostAnswer;

    public IdentityNotValid(Details details) {
        this(details, null);
    }

    public IdentityNotValid(Details details, Throwable cause) {
        this(details, false, cause);
    }

    /** @param afterLostAnswer see {@link #afterLostAnswer()} */
    public IdentityNotValid(Details details, boolean afterLostAnswer, Throwable cause) {
        super(details, cause);
        this.afterLostAnswer = afterLostAnswer;
    }

    /**
     * True when the refresh token was refused after a token request whose answer was lost may have used it up
     * (see the class comment): the vendor's rotated token was lost on the way, not revoked by the user.
     */
    public boolean afterLostAnswer() {
        return afterLostAnswer;
    }
}
