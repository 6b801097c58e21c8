package org.oauthidentity;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where identities live. Implementations must be thread-safe; a store shared by several processes
 * (a database) must make every operation below atomic across them.
 *
 * <p>Failures of the store itself are {@link IdentityStoreException}s (unchecked); a lost compare-and-set is
 * a {@link VersionConflictException}. No operation ever half-writes an identity.
 */
public interface IdentityStore {

    Optional<Identity> find(String id);

    /**
     * Stores a new identity. Its version must be 0; the stored copy, returned, has version 1.
     *
     * @throws IdentityStoreException if an identity with that id exists already
     */
    Identity create(Identity identity);

    /**
     * Saves changed credentials with compare-and-set: succeeds only if the stored version still equals
     * {@code identity.version()}. Writes every field but the verification bookkeeping
     * ({@code lastVerifiedAt}, {@code status}), which belongs to {@link #claimUnverified} and
     * {@link #recordVerification}.
     *
     * @return the stored copy, version moved by one
     * @throws VersionConflictException someone saved a newer version first; nothing was written
     * @throws IdentityNotFoundException there is no such identity (any more)
     */
    Identity save(Identity identity);

    /** @return true if it existed */
    boolean delete(String id);

    /**
     * Claims, for one validation pass, up to {@code limit} identities never verified or last verified before
     * {@code cutoff}, by setting their {@code lastVerifiedAt} to {@code now} before returning them. Two
     * concurrent callers (threads or processes) never receive the same identity. Versions do not move.
     * Callers page by calling again until the list comes back empty.
     */
    List<Identity> claimUnverified(Instant cutoff, Instant now, int limit);

    /**
     * Records the outcome of a validation. Does not move the version.
     *
     * @return false if the identity no longer exists
     */
    boolean recordVerification(String id, VerificationStatus status, Instant verifiedAt);

    /**
     * Takes the refresh lease of one identity: while a caller holds it, no other caller of this store (in
     * any process sharing it) holds the same lease. Blocks up to {@code maxWait} while another holder has
     * it. A holder that never releases (a crashed process) loses it when the lease's time runs out.
     *
     * @return the lease, with the identity as stored when it was granted
     * @throws IdentityNotFoundException there is no such identity
     * @throws LeaseTimeoutException another holder kept it longer than {@code maxWait}
     */
    RefreshLease acquireRefreshLease(String id, Duration maxWait);

    /**
     * Exclusive right to refresh one identity. Not thread-safe: one holder, one thread.
     */
    interface RefreshLease extends AutoCloseable {

        /** The identity as stored when the lease was granted. */
        Identity identity();

        /**
         * Saves the refreshed identity (compare-and-set, as {@link IdentityStore#save}) and releases the
         * lease, atomically where the store can.
         */
        Identity saveAndRelease(Identity refreshed);

        /** Releases the lease if still held; never throws. */
        @Override
        void close();
    }
}
