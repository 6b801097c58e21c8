package org.oauthidentity.refresh;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.oauthidentity.IdentityStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a refresh lease that can run out (a shared store's) alive while its holder waits for the vendor: renews it
 * every {@link IdentityStore.RefreshLease#renewalInterval()} on the timer thread until closed. A slow answer (a body
 * dripped over minutes) then never lets a second instance take the lease and present the same refresh token; a
 * holder whose process dies stops renewing, and its lease runs out as before.
 *
 * <p>Renewing stops after {@link #MAX_HOLD}: a request hung that long is not worth blocking the identity for.
 * Thread-safe: the timer renews while the holder's thread works.
 */
final class LeaseKeeper implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(IdentityRefresher.class);
    /** The longest one refresh keeps renewing its lease. */
    static final Duration MAX_HOLD = Duration.ofMinutes(10);
    private static final LeaseKeeper NONE = new LeaseKeeper(null);

    private final IdentityStore.RefreshLease lease;
    private final AtomicBoolean lost = new AtomicBoolean();
    private volatile ScheduledFuture<?> renewals;

    private LeaseKeeper(IdentityStore.RefreshLease lease) {
        this.lease = lease;
    }

    static LeaseKeeper start(IdentityStore.RefreshLease lease) {
        Duration every = lease.renewalInterval().orElse(null);
        if (every == null) {
            return NONE;
        }
        long millis = Math.max(1, every.toMillis());
        LeaseKeeper keeper = new LeaseKeeper(lease);
        long started = System.nanoTime();
        keeper.renewals = RefreshThreads.timer().scheduleWithFixedDelay(() -> keeper.renew(started), millis, millis,
                TimeUnit.MILLISECONDS);
        return keeper;
    }

    private void renew(long started) {
        if (System.nanoTime() - started > MAX_HOLD.toNanos()) {
            log.warn("identity {}: a refresh has been running for more than {}; no longer renewing its lease",
                    lease.identity().id(), MAX_HOLD);
            stop();
            return;
        }
        if (!lease.renew() && lost.compareAndSet(false, true)) {
            // The store says why (lost or unreachable); no further token request goes out under this lease.
            log.debug("identity {}: the refresh lease could not be renewed; renewals stop", lease.identity().id());
            stop();
        }
    }

    /** Renews once more now; false if the lease is lost (no further token request may be sent under it). */
    boolean stillHeld() {
        if (lease == null) {
            return true;
        }
        if (lost.get()) {
            return false;
        }
        if (!lease.renew()) {
            lost.set(true);
            return false;
        }
        return true;
    }

    private void stop() {
        ScheduledFuture<?> scheduled = renewals;
        if (scheduled != null) {
            scheduled.cancel(false);
        }
    }

    @Override
    public void close() {
        stop();
    }
}
