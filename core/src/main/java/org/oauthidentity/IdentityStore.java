package org.oauthidentity;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

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
     * Stores a new identity. Its version must be 0; the stored copy, returned, has version 1 and a new
     * {@linkplain Identity#incarnation() incarnation} ({@link #newIncarnation()}), whatever the one given: an id
     * deleted and created again is another identity, and nothing read from the old one can be saved over it.
     *
     * @throws IdentityStoreException if an identity with that id exists already, or if the store holds another
     *     identity of the same account for the same owner (see {@link #findByExternalUser}); nothing was written
     */
    Identity create(Identity identity);

    /**
     * Saves changed credentials with compare-and-set: succeeds only if the stored identity is still the same
     * incarnation ({@code identity.incarnation()}) at the same version ({@code identity.version()}). Writes every field but the verification bookkeeping
     * ({@code lastVerifiedAt}, {@code status}), which belongs to {@link #claimUnverified} and
     * {@link #recordVerification}.
     *
     * @return the stored copy, version moved by one
     * @throws VersionConflictException someone saved a newer version first; nothing was written
     * @throws IdentityNotFoundException there is no such identity (any more), or the id now belongs to another
     *     incarnation (it was deleted and created again); nothing was written
     * @throws IdentityStoreException the save would give another identity's account and owner to this one (see
     *     {@link #findByExternalUser}); nothing was written
     */
    Identity save(Identity identity);

    /**
     * The identity through which the host's user {@code ownerId} linked the vendor account
     * {@code externalUserId} at provider {@code providerKey}, if there is one. There is at most one: a store
     * refuses to {@link #create} or {@link #save} a second identity with the same provider key, external user
     * id and owner id (atomically, across processes sharing the store). Identities without an owner or an
     * external user id are never found here and never conflict with anything.
     * {@link org.oauthidentity.authorize.AuthorizationFlow} calls it on every completion to decide between
     * updating and creating.
     */
    Optional<Identity> findByExternalUser(String providerKey, String externalUserId, String ownerId);

    /**
     * Every identity linked for the host's user {@code ownerId}, ordered by id; empty when there is none.
     * Identities stored without an owner are never listed.
     */
    List<Identity> listByOwner(String ownerId);

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

    /** A random, non-zero incarnation for {@link #create}; stores call it, callers never need to. */
    static long newIncarnation() {
        long drawn;
        do {
            drawn = ThreadLocalRandom.current().nextLong();
        } while (drawn == 0);
        return drawn;
    }

    /**
     * Exclusive right to refresh one identity. One holder at a time: the holder may hand it from one thread
     * to another (a refresh runs on its own thread), but never uses it from two threads at once, except that
     * {@link #renew()} may be called from a timer thread while the holder works.
     */
    interface RefreshLease extends AutoCloseable {

        /** The identity as stored when the lease was granted. */
        Identity identity();

        /**
         * True when this lease was granted because the previous holder's lease ran out without a save or a
         * release (it crashed, hung, or was cut off from the store). That holder may still have sent this
         * identity's refresh token to the vendor, so a refusal of the same token now may be its doing, not a
         * revocation. Stores whose leases never run out answer false.
         */
        default boolean tookOver() {
            return false;
        }

        /**
         * How often the holder should {@link #renew()} the lease while it works, or empty for a lease that does
         * not run out while held (an in-memory lease).
         */
        default Optional<Duration> renewalInterval() {
            return Optional.empty();
        }

        /**
         * Extends the lease by its full time from now, if it is still this holder's. Safe to call from another
         * thread than the holder's; never throws.
         *
         * @return false when the lease is lost (it ran out and another caller took it, or the identity is gone)
         *     or the store could not be reached; the holder must then not start another token request
         */
        default boolean renew() {
            return true;
        }

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
