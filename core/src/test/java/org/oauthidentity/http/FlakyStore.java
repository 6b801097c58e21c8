package org.oauthidentity.http;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.oauthidentity.Identity;
import org.oauthidentity.store.InMemoryIdentityStore;
import org.oauthidentity.store.ForwardingIdentityStore;

/**
 * A real {@link InMemoryIdentityStore} that a test can make fail: saves (including the lease's
 * saveAndRelease), finds, or lease acquisition throw what the test supplies. Counts refresh leases taken.
 */
final class FlakyStore extends ForwardingIdentityStore {
    volatile Supplier<RuntimeException> failSaves;
    volatile Supplier<RuntimeException> failFinds;
    volatile Supplier<RuntimeException> failLeases;
    final AtomicInteger leasesTaken = new AtomicInteger();

    FlakyStore() {
        super(new InMemoryIdentityStore());
    }

    @Override
    public Optional<Identity> find(String id) {
        throwIf(failFinds);
        return super.find(id);
    }

    /** Reads without failing, for assertions. */
    Identity stored(String id) {
        return delegate().find(id).orElseThrow();
    }

    @Override
    public Identity save(Identity identity) {
        throwIf(failSaves);
        return super.save(identity);
    }

    @Override
    public RefreshLease acquireRefreshLease(String id, Duration maxWait) {
        throwIf(failLeases);
        RefreshLease lease = super.acquireRefreshLease(id, maxWait);
        leasesTaken.incrementAndGet();
        return new ForwardingRefreshLease(lease) {
            @Override
            public Identity saveAndRelease(Identity refreshed) {
                try {
                    throwIf(failSaves);
                    return super.saveAndRelease(refreshed);
                } finally {
                    close();
                }
            }
        };
    }

    private static void throwIf(Supplier<RuntimeException> failure) {
        if (failure != null) {
            throw failure.get();
        }
    }
}
