package org.oauthidentity.store.jdbc;

import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The in-process half of a refresh lease: one permit per identity id, so that the threads of one process queue
 * here instead of polling the database side by side. Only a thread that passes goes on to take (or wait for) the
 * database lease, which is what excludes other processes.
 *
 * <p>The permit holder records when its database lease runs out, and moves that on when it renews the lease.
 * Once that time has passed on the clock, waiters stop waiting for the permit and pass without it, as another
 * process would: a thread that hangs or leaks its
 * lease blocks its own process no longer than anyone else. Entries are counted and removed when no thread holds
 * or waits for them, so the map holds only identities in use. Thread-safe.
 */
final class LocalLeases {
    /** How often a waiter looks at the holder's lease time while the permit stays taken. */
    private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final ConcurrentHashMap<String, Gate> gates = new ConcurrentHashMap<>();
    private final Clock clock;

    LocalLeases(Clock clock) {
        this.clock = clock;
    }

    /** One identity's permit, its holder's lease expiry, and the threads holding or waiting (guarded by the map). */
    static final class Gate {
        private final String id;
        private final Semaphore permit = new Semaphore(1);
        private volatile Instant holderLeaseEnds;
        private int users;

        private Gate(String id) {
            this.id = id;
        }
    }

    /** A thread's way through a gate: with the permit, or past a holder whose lease ran out. */
    static final class Pass {
        private final Gate gate;
        private final boolean permit;

        private Pass(Gate gate, boolean permit) {
            this.gate = gate;
            this.permit = permit;
        }
    }

    /** @return a pass, or null if neither the permit nor an expired holder turned up by {@code deadlineNanos} */
    Pass enter(String id, long deadlineNanos) throws InterruptedException {
        Gate gate = gates.compute(id, (key, current) -> {
            Gate g = current == null ? new Gate(key) : current;
            g.users++;
            return g;
        });
        Pass pass = null;
        try {
            while (true) {
                long remaining = deadlineNanos - System.nanoTime();
                if (gate.permit.tryAcquire(Math.max(0, Math.min(remaining, SLICE_NANOS)), TimeUnit.NANOSECONDS)) {
                    pass = new Pass(gate, true);
                    return pass;
                }
                Instant ends = gate.holderLeaseEnds;
                if (ends != null && clock.instant().isAfter(ends)) {
                    pass = new Pass(gate, false);
                    return pass;
                }
                if (deadlineNanos - System.nanoTime() <= 0) {
                    return null;
                }
            }
        } finally {
            if (pass == null) {
                leave(gate);
            }
        }
    }

    /**
     * The pass's holder now holds the database lease until {@code leaseEnds}: when granted, and again at each
     * renewal (which must come before the holder's {@link #exit}, or it would touch the next holder's record).
     */
    void granted(Pass pass, Instant leaseEnds) {
        if (pass.permit) {
            pass.gate.holderLeaseEnds = leaseEnds;
        }
    }

    void exit(Pass pass) {
        if (pass.permit) {
            pass.gate.holderLeaseEnds = null;
            pass.gate.permit.release();
        }
        leave(pass.gate);
    }

    /** Identities with a holder or a waiter in this process (for tests). */
    int size() {
        return gates.size();
    }

    private void leave(Gate gate) {
        gates.computeIfPresent(gate.id, (key, current) -> --current.users == 0 ? null : current);
    }
}
