package org.oauthidentity.http;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import org.oauthidentity.support.FormBodies;

/**
 * A vendor with many accounts on one loopback server: the token endpoint at {@code /oauth/token} rotates each
 * account's refresh token and counts refreshes per account and reuses; the API under {@code /api/} answers 200
 * to an account's current access token only. Account {@code a} starts with access token {@code access-a-0} and
 * refresh token {@code refresh-a-0}. Thread-safe.
 */
final class ManyAccountsVendor extends Dispatcher {
    static final String TOKEN_PATH = "/oauth/token";
    static final String API_USER = "/api/v4/user";

    private final Map<String, Integer> generation = new ConcurrentHashMap<>();
    /** Current access token to its account. */
    private final Map<String, String> accessTokens = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> refreshes = new ConcurrentHashMap<>();
    final AtomicInteger tokenRequests = new AtomicInteger();
    final AtomicInteger reuses = new AtomicInteger();
    final AtomicInteger apiRequests = new AtomicInteger();
    final AtomicInteger apiRefusals = new AtomicInteger();

    /** The vendor knows {@code account} with its first tokens. */
    void open(String account) {
        generation.put(account, 0);
        accessTokens.put("access-" + account + "-0", account);
    }

    /** The account's tokens as the vendor knows them now. */
    synchronized String accessToken(String account) {
        return "access-" + account + "-" + generation.get(account);
    }

    synchronized String refreshToken(String account) {
        return "refresh-" + account + "-" + generation.get(account);
    }

    int refreshesOf(String account) {
        AtomicInteger n = refreshes.get(account);
        return n == null ? 0 : n.get();
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        String path = request.getUrl().encodedPath();
        if (path.equals(TOKEN_PATH)) {
            tokenRequests.incrementAndGet();
            return token(form(request).get("refresh_token"));
        }
        if (path.startsWith("/api/")) {
            apiRequests.incrementAndGet();
            String authorization = request.getHeaders().get("Authorization");
            String account = authorization == null ? null : accessTokens.get(authorization.substring("Bearer ".length()));
            if (account == null) {
                apiRefusals.incrementAndGet();
                return json(401, "{\"message\":\"401 Unauthorized\"}");
            }
            return json(200, "{\"username\":\"" + account + "\"}");
        }
        return json(404, "{}");
    }

    private synchronized MockResponse token(String refreshToken) {
        String account = refreshToken == null ? null : refreshToken.replaceAll("^refresh-(.*)-\\d+$", "$1");
        Integer current = account == null ? null : generation.get(account);
        if (current == null || !refreshToken.equals("refresh-" + account + "-" + current)) {
            if (current != null) {
                reuses.incrementAndGet();
            }
            return json(400, "{\"error\":\"invalid_grant\",\"error_description\":\"The grant is invalid.\"}");
        }
        accessTokens.remove("access-" + account + "-" + current);
        int next = current + 1;
        generation.put(account, next);
        accessTokens.put("access-" + account + "-" + next, account);
        refreshes.computeIfAbsent(account, a -> new AtomicInteger()).incrementAndGet();
        return json(200, "{\"access_token\":\"access-" + account + "-" + next + "\",\"refresh_token\":\"refresh-"
                + account + "-" + next + "\",\"token_type\":\"bearer\",\"expires_in\":3600}");
    }

    private static Map<String, String> form(RecordedRequest request) {
        return FormBodies.parse(request.getBody() == null ? "" : request.getBody().utf8());
    }

    private static MockResponse json(int code, String body) {
        return new MockResponse.Builder().code(code).addHeader("Content-Type", "application/json").body(body).build();
    }
}
