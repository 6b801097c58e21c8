package org.oauthidentity.http;

import java.time.Instant;
import okhttp3.Headers;
import org.oauthidentity.Identity;
import org.oauthidentity.RefreshException.Details;
import org.oauthidentity.TokenResponseException;

/**
 * One version of the identity as this client sends it: the ready-made {@code Authorization} value and the
 * two instants (epoch millis of the client's clock) at which it stops being fresh. Immutable.
 *
 * <ul>
 *   <li>before {@link #staleAt}: fresh, sent as it is;</li>
 *   <li>from {@link #staleAt} to {@link #refreshAt}: stale, still sent, refreshed in the background;</li>
 *   <li>from {@link #refreshAt}: refreshed before it is sent.</li>
 * </ul>
 *
 * <p>The lifetime the caps are computed from is {@code expiresAt} minus the moment this client installed the
 * version (just after refreshing it, or when it loaded it from the store): the identity does not record when
 * its token was issued, and for a token loaded late in its life the remaining lifetime is the safe choice
 * (the caps only get smaller). The margin is capped at a quarter of that lifetime and the stale window at a
 * half, so a short-lived token is used for at least half its lifetime before any refresh starts and still
 * gets a background refresh before callers have to wait for one.
 */
final class CachedToken {
    /** Nothing loaded yet: every caller must wait for the store to be read. Sends no token; replaced by anything loaded. */
    static final CachedToken UNLOADED = new CachedToken(null, null, -1, Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE);

    /** Keeps instant arithmetic far from overflow; ±146 million years is plenty. */
    private static final long MILLIS_LIMIT = Long.MAX_VALUE / 4;

    /**
     * {@code Bearer <token>}, validated as a header value; null only for {@link #UNLOADED}. The only copy of the
     * token this client keeps: nothing else of the identity stays in memory (a cached identity costs this string
     * and a few numbers), and the refresher reads the rest from the store under the lease.
     */
    final String authorization;
    /** The identity's provider key (for listeners); null only for {@link #UNLOADED}. */
    final String providerKey;
    final long version;
    final long incarnation;
    final long staleAt;
    final long refreshAt;

    private static final String BEARER = "Bearer ";

    private CachedToken(String authorization, String providerKey, long version, long incarnation, long staleAt,
            long refreshAt) {
        this.authorization = authorization;
        this.providerKey = providerKey;
        this.version = version;
        this.incarnation = incarnation;
        this.staleAt = staleAt;
        this.refreshAt = refreshAt;
    }

    /**
     * @param nowMillis when the version is installed (the start of its lifetime for the caps)
     * @throws TokenResponseException the access token cannot be sent in an HTTP header
     */
    static CachedToken of(Identity identity, long nowMillis, long marginMillis, long staleWindowMillis)
            throws TokenResponseException {
        // Always the Bearer scheme (RFC 6750): vendors spell the token type "bearer" or "Bearer", and this
        // client knows no other scheme.
        String authorization = BEARER + identity.accessToken();
        try {
            new Headers.Builder().add("Authorization", authorization);
        } catch (IllegalArgumentException e) {
            // OkHttp leaves the value of a sensitive header out of its message; so do we.
            throw new TokenResponseException(Details.of("the access token of identity " + identity.id()
                    + " contains characters that cannot be sent in an HTTP header"), null);
        }
        if (identity.expiresAt().isEmpty()) {
            // Unknown expiry: only a 401 tells that the token is no longer good.
            return new CachedToken(authorization, identity.providerKey(), identity.version(), identity.incarnation(),
                    Long.MAX_VALUE, Long.MAX_VALUE);
        }
        long expires = epochMillis(identity.expiresAt().get());
        long lifetime = Math.max(0, expires - nowMillis);
        long margin = Math.min(marginMillis, lifetime / 4);
        long stale = Math.max(margin, Math.min(staleWindowMillis, lifetime / 2));
        return new CachedToken(authorization, identity.providerKey(), identity.version(), identity.incarnation(),
                expires - stale, expires - margin);
    }

    private static long epochMillis(Instant instant) {
        if (instant.getEpochSecond() > MILLIS_LIMIT / 1000) {
            return MILLIS_LIMIT;
        }
        if (instant.getEpochSecond() < -MILLIS_LIMIT / 1000) {
            return -MILLIS_LIMIT;
        }
        return instant.toEpochMilli();
    }

    /**
     * Whether {@code other} should replace this version: another incarnation of the id (it was linked again: what
     * the store holds now is all that counts), or the same incarnation at a higher version.
     */
    boolean isReplacedBy(CachedToken other) {
        return other.isLoaded() && (other.incarnation != incarnation || other.version > version);
    }

    boolean isLoaded() {
        return authorization != null;
    }

    /** The access token this version sends. */
    String accessToken() {
        return authorization.substring(BEARER.length());
    }

    @Override
    public String toString() {
        return isLoaded()
                ? "CachedToken{version=" + version + ", incarnation="
                        + Long.toHexString(incarnation) + '}'
                : "CachedToken{unloaded}";
    }
}
