package org.oauthidentity.http;

import java.io.IOException;

/**
 * A request to an API origin of a {@link RefreshingHttpClient} that serves many identities did not say which
 * identity it is sent as (no {@link AsIdentity} tag), or named another identity than a single-identity client's.
 * Nothing was sent. An {@link IOException}, so it comes out of {@code execute()} and {@code onFailure}.
 */
public final class NoIdentityException extends IOException {
    private static final long serialVersionUID = 1L;

    NoIdentityException(String message) {
        super(message);
    }
}
