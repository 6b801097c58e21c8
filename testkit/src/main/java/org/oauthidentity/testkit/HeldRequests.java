package org.oauthidentity.testkit;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.oauthidentity.testkit.FakeAuthorizationServer.Gate;

/**
 * The token requests one server holds at {@link Gate}s, so that closing the server releases them (as
 * dropped) and no MockWebServer thread outlives it. Thread-safe: {@link #releaseAll()} sets the flag before
 * it wakes the gates, and a request registers its gate before it checks the flag under the gate's monitor,
 * so a request held concurrently with a close is either woken or never waits.
 */
final class HeldRequests {
    /** The gates this server's requests have waited on; a gate is small and a test uses a few. */
    private final Set<Gate> gates = ConcurrentHashMap.newKeySet();
    private volatile boolean released;

    /**
     * Blocks the calling (connection) thread until the test opens or drops {@code gate}, or the server
     * closes; true when it was opened. Other connections are served meanwhile.
     */
    boolean await(Gate gate) throws InterruptedException {
        gates.add(gate);
        return gate.pass(() -> released);
    }

    /** Drops every request held now or later; called when the server closes. Idempotent. */
    void releaseAll() {
        released = true;
        gates.forEach(Gate::wake);
    }
}
