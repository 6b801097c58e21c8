package org.oauthidentity.store;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotFoundException;
import org.oauthidentity.IdentityStore;
import org.oauthidentity.IdentityStoreException;
import org.oauthidentity.LeaseTimeoutException;
import org.oauthidentity.VerificationStatus;
import org.oauthidentity.VersionConflictException;

/**
 * {@link IdentityStore} in this JVM's memory: for one instance, tests and demos.
 *
 * <p>Thread-safe. Every write is one atomic {@link ConcurrentMap#compute} on the identity's entry, so a
 * compare-and-set, a claim and a verification record never interleave for one identity. Refresh leases are
 * one-permit semaphores (not reentrant locks: a lease is exclusive even against its own thread).
 * Nothing survives a restart.
 */
public final class InMemoryIdentityStore implements IdentityStore {
    private final ConcurrentMap<String, Identity> identities = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Semaphore> leases = new ConcurrentHashMap<>();

    @Override
    public Optional<Identity> find(String id) {
        return Optional.ofNullable(identities.get(id));
    }

    @Override
    public Identity create(Identity identity) {
        if (identity.version() != 0) {
            throw new IllegalArgumentException("a new identity has version 0, not " + identity.version());
        }
        Identity stored = identity.toBuilder().version(1).incarnation(IdentityStore.newIncarnation()).build();
        if (identities.putIfAbsent(identity.id(), stored) != null) {
            throw new IdentityStoreException("identity " + identity.id() + " exists already");
        }
        return stored;
    }

    @Override
    public Identity save(Identity identity) {
        return identities.compute(identity.id(), (id, current) -> {
            if (current == null || current.incarnation() != identity.incarnation()) {
                throw new IdentityNotFoundException(id);
            }
            if (current.version() != identity.version()) {
                throw new VersionConflictException(id, identity.version());
            }
            return identity.toBuilder()
                    .lastVerifiedAt(current.lastVerifiedAt().orElse(null))
                    .status(current.status())
                    .version(current.version() + 1)
                    .build();
        });
    }

    @Override
    public boolean delete(String id) {
        // The lease goes too (no leak per deleted identity); a holder of the old one fails its save instead.
        boolean existed = identities.remove(id) != null;
        leases.remove(id);
        return existed;
    }

    @Override
    public List<Identity> claimUnverified(Instant cutoff, Instant now, int limit) {
        List<Identity> claimed = new ArrayList<>(Math.min(limit, 1024));
        for (String id : identities.keySet()) {
            if (claimed.size() >= limit) {
                break;
            }
            Identity[] won = new Identity[1];
            identities.computeIfPresent(id, (key, current) -> {
                if (current.lastVerifiedAt().map(at -> at.isBefore(cutoff)).orElse(true)) {
                    won[0] = current.toBuilder().lastVerifiedAt(now).build();
                    return won[0];
                }
                return current;
            });
            if (won[0] != null) {
                claimed.add(won[0]);
            }
        }
        return claimed;
    }

    @Override
    public boolean recordVerification(String id, VerificationStatus status, Instant verifiedAt) {
        return identities.computeIfPresent(id, (key, current) ->
                current.toBuilder().status(status).lastVerifiedAt(verifiedAt).build()) != null;
    }

    @Override
    public RefreshLease acquireRefreshLease(String id, Duration maxWait) {
        if (!identities.containsKey(id)) {
            throw new IdentityNotFoundException(id);
        }
        Semaphore lease = leases.computeIfAbsent(id, key -> new Semaphore(1));
        try {
            if (!lease.tryAcquire(maxWait.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new LeaseTimeoutException(id);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IdentityStoreException("interrupted while waiting for the refresh lease of " + id, e);
        }
        Identity current = identities.get(id);
        if (current == null) {
            lease.release();
            throw new IdentityNotFoundException(id);
        }
        return new Lease(current, lease);
    }

    private final class Lease implements RefreshLease {
        private final Identity identity;
        private final Semaphore permit;
        private final AtomicBoolean released = new AtomicBoolean();

        Lease(Identity identity, Semaphore permit) {
            this.identity = identity;
            this.permit = permit;
        }

        @Override
        public Identity identity() {
            return identity;
        }

        @Override
        public Identity saveAndRelease(Identity refreshed) {
            try {
                return save(refreshed);
            } finally {
                close();
            }
        }

        @Override
        public void close() {
            if (released.compareAndSet(false, true)) {
                permit.release();
            }
        }
    }
}
