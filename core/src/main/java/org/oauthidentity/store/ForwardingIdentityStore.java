package org.oauthidentity.store;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityStore;
import org.oauthidentity.VerificationStatus;

/**
 * An {@link IdentityStore} that passes every call to another: the base of a decorator that changes or watches one
 * or two calls (timing claims for metrics, logging, a test's injected fault). A subclass overrides what it changes
 * and calls {@code super} to reach the delegate; its {@link ForwardingRefreshLease} does the same for leases.
 * Adds no state and no cost of its own; thread-safe if the delegate is and the subclass's own state is.
 */
public abstract class ForwardingIdentityStore implements IdentityStore {
    private final IdentityStore delegate;

    protected ForwardingIdentityStore(IdentityStore delegate) {
        this.delegate = delegate;
    }

    /** The store every call goes to, for reads that must bypass what the subclass changes. */
    protected final IdentityStore delegate() {
        return delegate;
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
    public List<Identity> claimUnverified(Instant cutoff, Instant now, int limit) {
        return delegate.claimUnverified(cutoff, now, limit);
    }

    @Override
    public boolean recordVerification(String id, VerificationStatus status, Instant verifiedAt) {
        return delegate.recordVerification(id, status, verifiedAt);
    }

    @Override
    public RefreshLease acquireRefreshLease(String id, Duration maxWait) {
        return delegate.acquireRefreshLease(id, maxWait);
    }

    /**
     * A {@link RefreshLease} that passes every call to another, for stores whose leases change one or two
     * of them.
     */
    public abstract static class ForwardingRefreshLease implements RefreshLease {
        private final RefreshLease delegate;

        protected ForwardingRefreshLease(RefreshLease delegate) {
            this.delegate = delegate;
        }

        @Override
        public Identity identity() {
            return delegate.identity();
        }

        @Override
        public boolean tookOver() {
            return delegate.tookOver();
        }

        @Override
        public Optional<Duration> renewalInterval() {
            return delegate.renewalInterval();
        }

        @Override
        public boolean renew() {
            return delegate.renew();
        }

        @Override
        public Identity saveAndRelease(Identity refreshed) {
            return delegate.saveAndRelease(refreshed);
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
