package org.oauthidentity.support;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityStore;
import org.oauthidentity.IdentityStoreException;
import org.oauthidentity.VerificationStatus;

/**
 * A real {@link IdentityStore} (it delegates to another) whose saves can be made to fail, as a database
 * that goes down between reading and writing would. A failed save writes nothing, and a lease whose save
 * failed is still released. Thread-safe.
 */
public final class FlakyIdentityStore implements IdentityStore {
    private final IdentityStore delegate;
    private final AtomicBoolean failSaves = new AtomicBoolean();
    private final AtomicInteger failedSaves = new AtomicInteger();

    public FlakyIdentityStore(IdentityStore delegate) {
        this.delegate = delegate;
    }

    /** From now on every save (plain or through a lease) fails with an {@link IdentityStoreException}. */
    public FlakyIdentityStore failSaves(boolean fail) {
        failSaves.set(fail);
        return this;
    }

    public int failedSaves() {
        return failedSaves.get();
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
        failIfAsked(identity.id());
        return delegate.save(identity);
    }

    @Override
    public boolean delete(String id) {
        return delegate.delete(id);
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
        RefreshLease lease = delegate.acquireRefreshLease(id, maxWait);
        return new RefreshLease() {
            @Override
            public Identity identity() {
                return lease.identity();
            }

            @Override
            public Identity saveAndRelease(Identity refreshed) {
                try {
                    failIfAsked(refreshed.id());
                } catch (IdentityStoreException e) {
                    lease.close();
                    throw e;
                }
                return lease.saveAndRelease(refreshed);
            }

            @Override
            public void close() {
                lease.close();
            }
        };
    }

    private void failIfAsked(String id) {
        if (failSaves.get()) {
            failedSaves.incrementAndGet();
            throw new IdentityStoreException("store unavailable while saving identity " + id);
        }
    }
}
