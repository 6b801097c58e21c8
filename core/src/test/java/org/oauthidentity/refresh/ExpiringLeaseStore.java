package org.oauthidentity.refresh;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.oauthidentity.store.InMemoryIdentityStore;
import org.oauthidentity.store.ForwardingIdentityStore;

/**
 * The in-memory store with leases that behave like a shared store's: they ask to be renewed every
 * {@code renewEvery}, count the renewals, and can be set to have been taken over from a holder whose lease ran
 * out, or to be lost. Everything else is the in-memory store's. Thread-safe.
 */
final class ExpiringLeaseStore extends ForwardingIdentityStore {
    final AtomicInteger renewals = new AtomicInteger();
    final CountDownLatch threeRenewals = new CountDownLatch(3);
    final AtomicBoolean lost = new AtomicBoolean();
    private final Duration renewEvery;
    private volatile boolean tookOver;

    ExpiringLeaseStore(Duration renewEvery) {
        super(new InMemoryIdentityStore());
        this.renewEvery = renewEvery;
    }

    /** The next leases were granted after their previous holder's lease ran out. */
    ExpiringLeaseStore takingOver() {
        this.tookOver = true;
        return this;
    }

    @Override
    public RefreshLease acquireRefreshLease(String id, Duration maxWait) {
        RefreshLease lease = super.acquireRefreshLease(id, maxWait);
        boolean takenOver = tookOver;
        return new ForwardingRefreshLease(lease) {
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
        };
    }
}
