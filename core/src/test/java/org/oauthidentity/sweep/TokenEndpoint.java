package org.oauthidentity.sweep;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;

/**
 * A vendor's token endpoint for mockwebserver3 that answers by the refresh token's prefix and counts the
 * requests per refresh token:
 * {@code valid-} 200 with new tokens; {@code revoked-} 400 invalid_grant; {@code down-} 500 server_error;
 * {@code slow-} 200 whose body comes {@link #SLOW_BODY_DELAY_MS} late (longer than the client's read
 * timeout); {@code throttled-} 429 with {@code Retry-After: 120}; {@code busy-} 503 with {@code Retry-After: 120}.
 * While {@link #rejectClient} is set, every request gets 401 invalid_client; while {@link #throttleAll} is set,
 * every request gets 429 with {@code Retry-After: 120}.
 */
final class TokenEndpoint extends Dispatcher {
    static final long SLOW_BODY_DELAY_MS = 3_000;

    private final Map<String, AtomicInteger> requestsPerToken = new ConcurrentHashMap<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger issued = new AtomicInteger();
    volatile boolean rejectClient;
    volatile boolean throttleAll;
    /** Runs on the server's thread for each request, before it is answered. */
    volatile Runnable onRequest = () -> { };

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        String token = formValue(request.getBody().utf8(), "refresh_token");
        requests.incrementAndGet();
        requestsPerToken.computeIfAbsent(String.valueOf(token), t -> new AtomicInteger()).incrementAndGet();
        onRequest.run();
        if (rejectClient) {
            return json(401, "{\"error\":\"invalid_client\",\"error_description\":\"Client authentication failed.\"}");
        }
        if (throttleAll || (token != null && token.startsWith("throttled-"))) {
            return json(429, "{\"error\":\"rate_limited\"}").newBuilder().addHeader("Retry-After", "120").build();
        }
        if (token != null && token.startsWith("busy-")) {
            return json(503, "{\"error\":\"temporarily_unavailable\"}").newBuilder().addHeader("Retry-After", "120")
                    .build();
        }
        if (token == null) {
            return json(400, "{\"error\":\"invalid_request\"}");
        }
        if (token.startsWith("revoked-")) {
            return json(400, "{\"error\":\"invalid_grant\",\"error_description\":\"Token has been expired or revoked.\"}");
        }
        if (token.startsWith("down-")) {
            return json(500, "{\"error\":\"server_error\"}");
        }
        String ok = "{\"access_token\":\"access-" + issued.incrementAndGet()
                + "\",\"token_type\":\"Bearer\",\"expires_in\":3600}";
        if (token.startsWith("slow-")) {
            return new MockResponse.Builder().code(200).addHeader("Content-Type", "application/json")
                    .body(ok).bodyDelay(SLOW_BODY_DELAY_MS, TimeUnit.MILLISECONDS).build();
        }
        return json(200, ok);
    }

    int requests() {
        return requests.get();
    }

    int requests(String refreshToken) {
        AtomicInteger n = requestsPerToken.get(refreshToken);
        return n == null ? 0 : n.get();
    }

    /** Requests per refresh token, for every token seen. */
    Map<String, Integer> requestsPerToken() {
        Map<String, Integer> copy = new ConcurrentHashMap<>();
        requestsPerToken.forEach((token, n) -> copy.put(token, n.get()));
        return copy;
    }

    private static MockResponse json(int code, String body) {
        return new MockResponse.Builder().code(code).addHeader("Content-Type", "application/json").body(body).build();
    }

    private static String formValue(String form, String name) {
        for (String pair : form.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8).equals(name)) {
                return URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            }
        }
        return null;
    }
}
