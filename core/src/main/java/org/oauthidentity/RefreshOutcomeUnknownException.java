package org.oauthidentity;

/**
 * The token request was sent and its answer was lost or cut off (a read timeout, a connection reset after
 * sending, a truncated body): the vendor may have issued new tokens, and a vendor that rotates refresh tokens
 * may have retired the one that was sent. Transient, but never retried automatically: presenting the same
 * refresh token again could earn an {@code invalid_grant} for a healthy identity. The stored identity is
 * unchanged; the next refresh tries once more, and if the vendor then refuses the refresh token the
 * {@link IdentityNotValid} says so ({@link IdentityNotValid#afterLostAnswer()}).
 */
public class RefreshOutcomeUnknownException extends TransientRefreshException {
    private static final long serialVersionUID = 1L;

    public RefreshOutcomeUnknownException(Details details, Throwable cause) {
        super(details, null, cause);
    }
}
