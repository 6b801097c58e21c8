package org.oauthidentity.store.jdbc;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The in-process half of a refresh lease: one permit per identity id, so that the threads of one process
 * queue here instead of polling the database side by side. Only the thread that holds the permit goes on to
 * take (or wait for) the database lease, which is what excludes other processes. Entries are counted and
 * removed when no thread holds or waits for them, so the map holds only identities in use. Thread-safe.
 */
final class LocalLeases {
    private final ConcurrentHashMap<String, Gate> gates = new ConcurrentHashMap<>();

    /** One identity's permit and the number of threads holding or waiting for it (guarded by the map). */
    static final class Gate {
        private final String id;
        private final Semaphore permit = new Semaphore(1);
        private int users;

        private Gate(String id) {
            this.id = id;
        }
    }

    /** @return the gate, entered, or null if the permit was not free within {@code timeoutNanos} */
    Gate enter(String id, long timeoutNanos) throws InterruptedException {
        Gate gate = gates.compute(id, (key, current) -> {
            Gate g = current == null ? new Gate(key) : current;
            g.users++;
            return g;
        });
        boolean entered = false;
        try {
            entered = gate.permit.tryAcquire(Math.max(0, timeoutNanos), TimeUnit.NANOSECONDS);
            return entered ? gate : null;
        } finally {
            if (!entered) {
                leave(gate);
            }
        }
    }

    void exit(Gate gate) {
        gate.permit.release();
        leave(gate);
    }

    /** Identities with a holder or a waiter in this process (for tests). */
    int size() {
        return gates.size();
    }

    private void leave(Gate gate) {
        gates.computeIfPresent(gate.id, (key, current) -> --current.users == 0 ? null : current);
    }
}
