package org.oauthidentity;

import java.time.Duration;
import java.time.Instant;

/**
 * A background refresh (the validation sweep's) did not refresh: the provider's token endpoint answered 429, or
 * 503 with {@code Retry-After} (to this request, then the {@linkplain #getCause() cause}, or to an earlier one, and
 * then nothing was sent), and this process holds back its background token requests until
 * {@link #pausedUntil()}. The identity is unchanged and says nothing about its health: the sweep leaves it due
 * and checks it after the pause, never marking it ERROR for a wait the library chose.
 */
public final class ProviderPausedException extends TransientRefreshException {
    private static final long serialVersionUID = 1L;

    private final String providerKey;
    private final Instant pausedUntil;

    /**
     * @param retryAfter how long until the pause ends, if known
     * @param cause the vendor's answer that began the pause (then that request was sent and refused), or null
     *     when nothing was sent
     */
    public ProviderPausedException(String providerKey, Instant pausedUntil, Duration retryAfter, Throwable cause) {
        super(Details.of("token requests to provider '" + providerKey + "' are paused until " + pausedUntil
                + " at the vendor's request" + (cause == null ? "; nothing was sent" : "")), retryAfter, cause);
        this.providerKey = providerKey;
        this.pausedUntil = pausedUntil;
    }

    public String providerKey() {
        return providerKey;
    }

    /** When background token requests to the provider may go again. */
    public Instant pausedUntil() {
        return pausedUntil;
    }
}
