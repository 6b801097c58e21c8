package org.oauthidentity.testkit;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the fake server has seen, for tests to assert on. Lock-free ({@link LongAdder}s in concurrent maps):
 * counting never slows or orders the requests being counted. A {@link #reset()} that races with requests
 * may or may not include them.
 */
final class Counters {
    /** The key for token requests that sent no grant_type. */
    static final String NO_GRANT_TYPE = "";

    private final Map<String, LongAdder> tokenRequests = new ConcurrentHashMap<>();
    private final Map<Integer, LongAdder> apiCalls = new ConcurrentHashMap<>();
    private final LongAdder reusedRefreshTokens = new LongAdder();
    private final LongAdder reusedCodes = new LongAdder();
    private final LongAdder revocations = new LongAdder();
    private final LongAdder faultsServed = new LongAdder();
    private final LongAdder authorizations = new LongAdder();

    void tokenRequest(String grantType) {
        tokenRequests.computeIfAbsent(grantType == null ? NO_GRANT_TYPE : grantType, k -> new LongAdder()).increment();
    }

    void apiCall(int status) {
        apiCalls.computeIfAbsent(status, k -> new LongAdder()).increment();
    }

    void refreshTokenReused() {
        reusedRefreshTokens.increment();
    }

    void codeReused() {
        reusedCodes.increment();
    }

    void revocation() {
        revocations.increment();
    }

    void faultServed() {
        faultsServed.increment();
    }

    void authorization() {
        authorizations.increment();
    }

    long tokenRequests(String grantType) {
        LongAdder n = tokenRequests.get(grantType);
        return n == null ? 0 : n.sum();
    }

    long tokenRequests() {
        return tokenRequests.values().stream().mapToLong(LongAdder::sum).sum();
    }

    Map<String, Long> tokenRequestsByGrantType() {
        Map<String, Long> copy = new TreeMap<>();
        tokenRequests.forEach((k, v) -> copy.put(k, v.sum()));
        return copy;
    }

    long apiCalls(int status) {
        LongAdder n = apiCalls.get(status);
        return n == null ? 0 : n.sum();
    }

    long apiCalls() {
        return apiCalls.values().stream().mapToLong(LongAdder::sum).sum();
    }

    long reusedRefreshTokens() {
        return reusedRefreshTokens.sum();
    }

    long reusedCodes() {
        return reusedCodes.sum();
    }

    long revocations() {
        return revocations.sum();
    }

    long faultsServed() {
        return faultsServed.sum();
    }

    long authorizations() {
        return authorizations.sum();
    }

    void reset() {
        tokenRequests.clear();
        apiCalls.clear();
        reusedRefreshTokens.reset();
        reusedCodes.reset();
        revocations.reset();
        faultsServed.reset();
        authorizations.reset();
    }
}
