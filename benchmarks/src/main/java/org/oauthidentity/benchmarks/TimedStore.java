package org.oauthidentity.benchmarks;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityStore;
import org.oauthidentity.VerificationStatus;

/**
 * An {@link IdentityStore} that passes every call to another and times {@link #claimUnverified}: the one
 * store call whose cost may grow with the number of stored identities. Thread-safe if the delegate is.
 */
final class TimedStore implements IdentityStore {
    private final IdentityStore delegate;
    private final AtomicLong claimNanos = new AtomicLong();
    private final AtomicLong claimCalls = new AtomicLong();

    TimedStore(IdentityStore delegate) {
        this.delegate = delegate;
    }

    long claimNanos() {
        return claimNanos.get();
    }

    long claimCalls() {
        return claimCalls.get();
    }

    @Override
    public List<Identity> claimUnverified(Instant cutoff, Instant now, int limit) {
        long start = System.nanoTime();
        try {
            return delegate.claimUnverified(cutoff, now, limit);
        } finally {
            claimNanos.addAndGet(System.nanoTime() - start);
            claimCalls.incrementAndGet();
        }
    }

    @Override
    public Optional<Identity> find(String id) {
        return delegate.find(id);
    }

    @Override
    public Identity create(Identity identity) {
        return delegate.create(identity);
    }

    @Override
    public Identity save(Identity identity) {
        return delegate.save(identity);
    }

    @Override
    public boolean delete(String id) {
        return delegate.delete(id);
    }

    @Override
    public Optional<Identity> findByExternalUser(String providerKey, String externalUserId, String ownerId) {
        return delegate.findByExternalUser(providerKey, externalUserId, ownerId);
    }

    @Override
    public List<Identity> listByOwner(String ownerId) {
        return delegate.listByOwner(ownerId);
    }

    @Override
    public boolean recordVerification(String id, VerificationStatus status, Instant verifiedAt) {
        return delegate.recordVerification(id, status, verifiedAt);
    }

    @Override
    public RefreshLease acquireRefreshLease(String id, Duration maxWait) {
        return delegate.acquireRefreshLease(id, maxWait);
    }
}
