package org.oauthidentity;

/**
 * The identity can never be refreshed again: the refresh token was revoked or expired, the user was
 * suspended or deleted, or there is no refresh token at all. Callers unlink the account; nothing retries it.
 */
public class IdentityNotValid extends RefreshException {
    private static final long serialVersionUID = 1L;

    public IdentityNotValid(Details details) {
        super(details, null);
    }

    public IdentityNotValid(Details details, Throwable cause) {
        super(details, cause);
    }
}
