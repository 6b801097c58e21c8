package org.oauthidentity;

import java.time.Duration;
import java.util.Optional;

/**
 * The refresh failed for a passing reason (429, 408, 5xx, timeout, connection failure, an HTML page from a
 * proxy): try again later. The identity is unchanged. {@link #retryAfter()} carries the vendor's
 * {@code Retry-After} when it sent one.
 */
public class TransientRefreshException extends RefreshException {
    private static final long serialVersionUID = 1L;

    private final Duration retryAfter;

    public TransientRefreshException(Details details, Duration retryAfter, Throwable cause) {
        super(details, cause);
        this.retryAfter = retryAfter;
    }

    public TransientRefreshException(Details details, Throwable cause) {
        this(details, null, cause);
    }

    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
