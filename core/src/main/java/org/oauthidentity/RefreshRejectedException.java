package org.oauthidentity;

/**
 * The vendor refused the refresh with a structured error that says neither "identity gone" nor "client
 * misconfigured" ({@code invalid_request}, {@code invalid_scope}, {@code unsupported_grant_type}, ...).
 * Not retried automatically; the identity is unchanged.
 */
public class RefreshRejectedException extends RefreshException {
    private static final long serialVersionUID = 1L;

    public RefreshRejectedException(Details details) {
        super(details, null);
    }
}
