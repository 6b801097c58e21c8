package org.oauthidentity;

import java.util.Optional;

/**
 * The token endpoint answered 200 with something that is not a usable token response: not JSON, no
 * {@code access_token}, larger than the cap, or an access token that cannot be sent. A protocol error,
 * treated as transient.
 *
 * <p>When the unusable response still carried tokens that must not be lost (a rotated refresh token),
 * {@link #issued()} holds the identity to save in place of the old one: the new refresh token, the old access
 * token. The refresher saves it before it reports this failure, so the next refresh presents the refresh token
 * the vendor issued last.
 */
public class TokenResponseException extends TransientRefreshException {
    private static final long serialVersionUID = 1L;

    private final transient Identity issued;

    public TokenResponseException(Details details, Throwable cause) {
        this(details, null, cause);
    }

    /**
     * @param issued what must be saved although the response is unusable (same id, incarnation and version as
     *     the identity refreshed), or null
     */
    public TokenResponseException(Details details, Identity issued, Throwable cause) {
        super(details, null, cause);
        this.issued = issued;
    }

    /** The identity to save despite the failure; empty when the response issued nothing worth keeping. */
    public Optional<Identity> issued() {
        return Optional.ofNullable(issued);
    }
}
