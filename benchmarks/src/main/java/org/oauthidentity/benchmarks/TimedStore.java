package org.oauthidentity.benchmarks;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityStore;
import org.oauthidentity.store.ForwardingIdentityStore;

/**
 * An {@link IdentityStore} that passes every call to another and times {@link #claimUnverified}: the one
 * store call whose cost may grow with the number of stored identities. Thread-safe if the delegate is.
 */
final class TimedStore extends ForwardingIdentityStore {
    private final AtomicLong claimNanos = new AtomicLong();
    private final AtomicLong claimCalls = new AtomicLong();

    TimedStore(IdentityStore delegate) {
        super(delegate);
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
            return super.claimUnverified(cutoff, now, limit);
        } finally {
            claimNanos.addAndGet(System.nanoTime() - start);
            claimCalls.incrementAndGet();
        }
    }
}
