package org.oauthidentity.store.jdbc;

import static org.oauthidentity.store.jdbc.FakeVendorAnswers.form;
import static org.oauthidentity.store.jdbc.FakeVendorAnswers.json;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;

/**
 * A token endpoint that rotates refresh tokens the strict way (GitLab, Azure DevOps): every refresh issues a new
 * refresh token and retires the old one; presenting a retired one again is taken as token theft and revokes the
 * identity, so every later refresh fails with {@code invalid_grant}. Counts what it saw. Thread-safe.
 */
final class RotatingTokenEndpoint extends Dispatcher {
    private final Set<String> retired = new HashSet<>();
    private String current;
    private String currentAccess;
    private int requests;
    private int issued;
    private int reuses;
    private boolean revoked;

    RotatingTokenEndpoint(String firstRefreshToken) {
        this.current = firstRefreshToken;
    }

    @Override
    public synchronized MockResponse dispatch(RecordedRequest request) {
        requests++;
        String presented = form(request.getBody() == null ? "" : request.getBody().utf8()).get("refresh_token");
        if (revoked || presented == null || !presented.equals(current)) {
            if (presented != null && retired.contains(presented)) {
                reuses++;
                revoked = true;
            }
            return json(400, "{\"error\":\"invalid_grant\",\"error_description\":\"The refresh token is invalid.\"}");
        }
        retired.add(current);
        issued++;
        current = "rt-" + issued + "-" + StoreTestSupport.random(32);
        currentAccess = "at-" + issued + "-" + StoreTestSupport.random(32);
        return json(200, "{\"access_token\":\"" + currentAccess + "\",\"token_type\":\"Bearer\",\"expires_in\":3600,"
                + "\"refresh_token\":\"" + current + "\"}");
    }

    synchronized int requests() {
        return requests;
    }

    synchronized int reuses() {
        return reuses;
    }

    synchronized boolean revoked() {
        return revoked;
    }

    synchronized String currentRefreshToken() {
        return current;
    }

    synchronized String currentAccessToken() {
        return currentAccess;
    }
}
