package org.oauthidentity.examples;

import java.io.IOException;

/**
 * The API answered a call with a status other than 2xx (after {@code RefreshingHttpClient} already refreshed
 * and retried once on a 401). Callers branch on {@link #status()}: 403 means the identity lacks access, 404
 * a wrong URL, 5xx an outage. The message names the method, the URL without its query, and the status;
 * never a token or the response body.
 */
public final class ApiStatusException extends IOException {
    private static final long serialVersionUID = 1L;

    private final int status;

    ApiStatusException(String method, String url, int status) {
        super(method + " " + url + " answered HTTP " + status);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
