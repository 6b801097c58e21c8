package org.oauthidentity.authorize;

import java.time.Instant;
import okhttp3.HttpUrl;

/**
 * The result of {@link AuthorizationFlow#start}: where to send the user's browser, and until when the
 * callback will be accepted. Immutable. {@link #toString()} prints the endpoint without its query, so
 * neither the state nor the PKCE challenge.
 */
public final class AuthorizationRedirect {
    private final HttpUrl url;
    private final String state;
    private final Instant expiresAt;

    AuthorizationRedirect(HttpUrl url, String state, Instant expiresAt) {
        this.url = url;
        this.state = state;
        this.expiresAt = expiresAt;
    }

    /** The vendor's authorization URL with every parameter; redirect the browser here (HTTP 302/303). */
    public HttpUrl url() {
        return url;
    }

    /**
     * The {@code state} the callback must echo; also in {@link #url()}. Hosts need not keep it: the flow
     * finds the pending authorization by it.
     */
    public String state() {
        return state;
    }

    /** After this instant the callback is refused and the user must start again. */
    public Instant expiresAt() {
        return expiresAt;
    }

    @Override
    public String toString() {
        return "AuthorizationRedirect{endpoint=" + url.newBuilder().query(null).build() + ", expiresAt=" + expiresAt
                + '}';
    }
}
