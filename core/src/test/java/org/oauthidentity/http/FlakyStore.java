package org.oauthidentity.http;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityStore;
import org.oauthidentity.VerificationStatus;
import org.oauthidentity.store.InMemoryIdentityStore;

/**
 * A real {@link InMemoryIdentityStore} that a test can make fail: saves (including the lease's
 * saveAndRelease), finds, or lease acquisition throw what the test supplies. Counts refresh leases taken.
 */
final class FlakyStore implements IdentityStore {
    private final InMemoryIdentityStore delegate = new InMemoryIdentityStore();
    volatile Supplier<RuntimeException> failSaves;
    volatile Supplier<RuntimeException> failFinds;
    volatile Supplier<RuntimeException> failLeases;
    final AtomicInteger leasesTaken = new AtomicInteger();

    @Override
    public Optional<Identity> find(String id) {
        throwIf(failFinds);
        return delegate.find(id);
    }

    /** Reads without failing, for assertions. */
    Identity stored(String id) {
        return delegate.find(id).orElseThrow();
    }

    @Override
    public Identity create(Identity identity) {
        return delegate.create(identity);
    }

    @Override
    public Identity save(Identity identity) {
        throwIf(failSaves);
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
        throwIf(failLeases);
        RefreshLease lease = delegate.acquireRefreshLease(id, maxWait);
        leasesTaken.incrementAndGet();
        return new RefreshLease() {
            @Override
            public Identity identity() {
                return lease.identity();
            }

            @Override
            public Identity saveAndRelease(Identity refreshed) {
                try {
                    throwIf(failSaves);
                    return lease.saveAndRelease(refreshed);
                } finally {
                    lease.close();
                }
            }

            @Override
            public void close() {
                lease.close();
            }
        };
    }

    private static void throwIf(Supplier<RuntimeException> failure) {
        if (failure != null) {
            throw failure.get();
        }
    }
}
