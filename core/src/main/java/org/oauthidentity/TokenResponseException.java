package org.oauthidentity;

/**
 * The token endpoint answered 200 with something that is not a usable token response: not JSON, no
 * {@code access_token}, truncated, or larger than the cap. A protocol error, treated as transient.
 */
public class TokenResponseException extends TransientRefreshException {
    private static final long serialVersionUID = 1L;

    public TokenResponseException(Details details, Throwable cause) {
        super(details, null, cause);
    }
}
