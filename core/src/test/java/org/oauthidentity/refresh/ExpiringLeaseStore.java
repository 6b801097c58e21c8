package org.oauthidentity.refresh;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityStore;
import org.oauthidentity.VerificationStatus;
import org.oauthidentity.store.InMemoryIdentityStore;

/**
 * The in-memory store with leases that behave like a shared store's: they ask to be renewed every
 * {@code renewEvery}, count the renewals, and can be set to have been taken over from a holder whose lease ran
 * out, or to be lost. Everything else is the in-memory store's. Thread-safe.
 */
final class ExpiringLeaseStore implements IdentityStore {
    final InMemoryIdentityStore memory = new InMemoryIdentityStore();
    final AtomicInteger renewals = new AtomicInteger();
    final CountDownLatch threeRenewals = new CountDownLatch(3);
    final AtomicBoolean lost = new AtomicBoolean();
    private final Duration renewEvery;
    private volatile boolean tookOver;

    ExpiringLeaseStore(Duration renewEvery) {
        this.renewEvery = renewEvery;
    }

    /** The next leases were granted after their previous holder's lease ran out. */
    ExpiringLeaseStore takingOver() {
        this.tookOver = true;
        return this;
    }

    @Override
    public Optional<Identity> find(String id) {
        return memory.find(id);
    }

    @Override
    public Identity create(Identity identity) {
        return memory.create(identity);
    }

    @Override
    public Identity save(Identity identity) {
        return memory.save(identity);
    }

    @Override
    public boolean delete(String id) {
        return memory.delete(id);
    }

    @Override
    public List<Identity> claimUnverified(Instant cutoff, Instant now, int limit) {
        return memory.claimUnverified(cutoff, now, limit);
    }

    @Override
    public boolean recordVerification(String id, VerificationStatus status, Instant verifiedAt) {
        return memory.recordVerification(id, status, verifiedAt);
    }

    @Override
    public RefreshLease acquireRefreshLease(String id, Duration maxWait) {
        RefreshLease lease = memory.acquireRefreshLease(id, maxWait);
        boolean takenOver = tookOver;
        return new RefreshLease() {
            @Override
            public Identity identity() {
                return lease.identity();
            }

            @Override
            public boolean tookOver() {
                return takenOver;
            }

            @Override
            public Optional<Duration> renewalInterval() {
                return Optional.of(renewEvery);
            }

            @Override
            public boolean renew() {
                renewals.incrementAndGet();
                threeRenewals.countDown();
                return !lost.get();
            }

            @Override
            public Identity saveAndRelease(Identity refreshed) {
                return lease.saveAndRelease(refreshed);
            }

            @Override
            public void close() {
                lease.close();
            }
        };
    }
}
