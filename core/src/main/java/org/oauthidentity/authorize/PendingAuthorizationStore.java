package org.oauthidentity.authorize;

import java.time.Instant;
import java.util.Optional;

/**
 * Where started authorizations wait for their callback, each under a key derived from its {@code state}.
 * With more than one instance of a service it must be shared (a database), because the vendor may send the
 * user back to another instance than the one that started the flow.
 *
 * <p>Implementations must be thread-safe, and {@link #consume} atomic across every process sharing the
 * store: of any number of concurrent calls for one key, at most one gets the record. Time comes from the
 * caller ({@code now}), never from the store's own clock. Failures of the store itself are unchecked
 * exceptions ({@link org.oauthidentity.IdentityStoreException} in this library's stores), which
 * {@link AuthorizationFlow} reports as {@link AuthorizationException.Reason#UNAVAILABLE}.
 */
public interface PendingAuthorizationStore {

    /**
     * Records a pending authorization until {@code expiresAt}.
     *
     * @throws IllegalStateException if the key is taken (keys come from 256 random bits: a bug, not luck)
     */
    void put(String key, PendingAuthorization authorization, Instant expiresAt);

    /**
     * Removes and returns the record under {@code key}, atomically, if it has not expired at {@code now}
     * (it expires at {@code expiresAt}, inclusive). An expired record is never returned, even before it is
     * purged; a consumed one never again.
     */
    Optional<PendingAuthorization> consume(String key, Instant now);

    /**
     * Deletes every record expired at {@code now}.
     *
     * @return how many were deleted
     */
    int purgeExpired(Instant now);
}
