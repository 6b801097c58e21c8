package org.oauthidentity.testkit;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * The last {@link #CAPACITY} token requests, oldest first, so a long test (a concurrency run of thousands of
 * refreshes) does not grow without limit. Thread-safe: one short lock per request (an append), and readers
 * take a snapshot under the same lock.
 */
final class TokenRequestLog {
    static final int CAPACITY = 1_000;

    private final Deque<TokenRequest> requests = new ArrayDeque<>();

    void add(TokenRequest request) {
        synchronized (requests) {
            if (requests.size() == CAPACITY) {
                requests.removeFirst();
            }
            requests.addLast(request);
        }
    }

    List<TokenRequest> snapshot() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    void clear() {
        synchronized (requests) {
            requests.clear();
        }
    }
}
