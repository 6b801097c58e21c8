package org.oauthidentity.store.jdbc;

import static org.oauthidentity.store.jdbc.FakeVendorAnswers.form;
import static org.oauthidentity.store.jdbc.FakeVendorAnswers.json;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;

/**
 * The token endpoint of a vendor with many identities, for sweeps of several processes: each identity's refresh
 * token rotates on every refresh, and presenting a retired one counts as a reuse (and is refused). Counts, per
 * round, how often each identity's token was presented and by which client id. Requests of one client id can be
 * held before the vendor processes them (never answered while held, and refused unprocessed once released), as
 * a process killed mid-request would leave them. Thread-safe.
 */
final class SweepTokenEndpoint extends Dispatcher {
    private final Map<String, String> current = new HashMap<>();
    private final Map<String, String> identityOfToken = new HashMap<>();
    private Map<String, Integer> presented = new TreeMap<>();
    private Map<String, Integer> byClient = new TreeMap<>();
    private int reuses;
    private int unknown;
    private volatile String heldClient;
    private volatile CountDownLatch held = new CountDownLatch(0);
    private final CountDownLatch release = new CountDownLatch(1);

    /** A new refresh token for {@code identityId}, the only one the vendor accepts for it from now on. */
    synchronized String issue(String identityId) {
        String token = "rt-" + identityId + "-" + StoreTestSupport.random(24);
        current.put(identityId, token);
        identityOfToken.put(token, identityId);
        return token;
    }

    /** Holds every request of {@code clientId} until {@link #releaseHeld()}; the latch counts {@code expected}. */
    CountDownLatch hold(String clientId, int expected) {
        held = new CountDownLatch(expected);
        heldClient = clientId;
        return held;
    }

    /** Lets the held requests go, refused without being processed. */
    void releaseHeld() {
        release.countDown();
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
        Map<String, String> form = form(request.getBody() == null ? "" : request.getBody().utf8());
        String client = form.getOrDefault("client_id", "");
        if (client.equals(heldClient)) {
            held.countDown();
            release.await(120, TimeUnit.SECONDS);
            return json(503, "{\"error\":\"temporarily_unavailable\"}");
        }
        return refresh(client, form.get("refresh_token"));
    }

    private synchronized MockResponse refresh(String client, String presentedToken) {
        String identityId = presentedToken == null ? null : identityOfToken.get(presentedToken);
        if (identityId == null) {
            unknown++;
            return json(400, "{\"error\":\"invalid_grant\"}");
        }
        if (!presentedToken.equals(current.get(identityId))) {
            reuses++;
            return json(400, "{\"error\":\"invalid_grant\"}");
        }
        presented.merge(identityId, 1, Integer::sum);
        byClient.merge(client, 1, Integer::sum);
        return json(200, "{\"access_token\":\"at-" + StoreTestSupport.random(24) + "\",\"token_type\":\"Bearer\","
                + "\"expires_in\":3600,\"refresh_token\":\"" + issue(identityId) + "\"}");
    }

    /** Per identity id, how often its refresh token was presented since the last call; starts a new round. */
    synchronized Map<String, Integer> endRound() {
        Map<String, Integer> round = presented;
        presented = new TreeMap<>();
        return round;
    }

    /** Per client id, the refreshes it made since the last call. */
    synchronized Map<String, Integer> endRoundByClient() {
        Map<String, Integer> round = byClient;
        byClient = new TreeMap<>();
        return round;
    }

    /** Retired refresh tokens presented again: each one a token sent twice. */
    synchronized int reuses() {
        return reuses;
    }

    /** Refresh tokens the vendor never issued. */
    synchronized int unknown() {
        return unknown;
    }
}
