package org.oauthidentity.http;

import java.time.Clock;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import okhttp3.HttpUrl;
import org.oauthidentity.support.FormBodies;

/**
 * A vendor on one loopback server, GitLab-style: the token endpoint at {@code /oauth/token} and the API under
 * {@code /api/}. The token endpoint issues a new access token per refresh (and, when rotating, a new refresh
 * token, after which the old one answers {@code invalid_grant}); the API answers 200 to the current access
 * token only and 401 to anything else. Scripted token responses, a fixed API status and a redirect can be
 * set per test. Thread-safe; counts what it serves.
 */
final class FakeVendor extends Dispatcher {
    static final String TOKEN_PATH = "/oauth/token";
    static final String API_USER = "/api/v4/user";
    static final String API_MOVED = "/api/v4/moved";

    private final Clock clock;
    private String accessToken;
    private String refreshToken;
    private int issued;
    private volatile boolean rotate;
    private volatile Long expiresInSeconds = 3600L;
    private volatile int apiStatus;
    private volatile HttpUrl redirectTo;
    private final Queue<MockResponse> tokenScript = new ConcurrentLinkedQueue<>();
    private volatile Hold hold;
    final AtomicInteger tokenRequests = new AtomicInteger();
    final AtomicInteger apiRequests = new AtomicInteger();
    /** The Authorization header of each API request, "none" when absent. */
    final Queue<String> apiAuthorizations = new ConcurrentLinkedQueue<>();

    FakeVendor(Clock clock, String accessToken, String refreshToken) {
        this.clock = clock;
        this.accessToken = accessToken;
        this.refreshToken = refreshToken;
    }

    /** Each refresh also issues a new refresh token; reusing an old one answers invalid_grant. */
    FakeVendor rotating(boolean rotate) {
        this.rotate = rotate;
        return this;
    }

    /** {@code expires_in} of issued tokens; null sends none (unknown expiry). */
    FakeVendor expiresIn(Long seconds) {
        this.expiresInSeconds = seconds;
        return this;
    }

    /** The API answers this status whatever the token; 0 goes back to checking the token. */
    FakeVendor apiStatus(int status) {
        this.apiStatus = status;
        return this;
    }

    /** {@link #API_MOVED} answers 302 to {@code target}. */
    FakeVendor redirectMovedTo(HttpUrl target) {
        this.redirectTo = target;
        return this;
    }

    /** The next token requests get these answers, in order, before the normal behaviour resumes. */
    FakeVendor scriptTokenResponses(MockResponse... responses) {
        tokenScript.addAll(java.util.List.of(responses));
        return this;
    }

    /** The user linked another account: the vendor now knows only these tokens. */
    synchronized void relink(String accessToken, String refreshToken) {
        this.accessToken = accessToken;
        this.refreshToken = refreshToken;
    }

    /**
     * The next token request counts {@code arrived} down and waits for {@code release} before it is processed;
     * its body then comes {@code bodyDelayMillis} after its headers.
     */
    FakeVendor holdNextTokenRequest(CountDownLatch arrived, CountDownLatch release, long bodyDelayMillis) {
        this.hold = new Hold(arrived, release, bodyDelayMillis);
        return this;
    }

    /** The vendor forgets the current access token (as if revoked or expired on its side). */
    synchronized void revokeAccessToken() {
        accessToken = "revoked-" + (++issued);
    }

    synchronized String accessToken() {
        return accessToken;
    }

    synchronized String refreshToken() {
        return refreshToken;
    }

    void resetCounters() {
        tokenRequests.set(0);
        apiRequests.set(0);
        apiAuthorizations.clear();
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        String path = request.getUrl().encodedPath();
        if (path.equals(TOKEN_PATH)) {
            tokenRequests.incrementAndGet();
            Hold held = hold;
            hold = null;
            if (held != null) {
                held.arrived.countDown();
                try {
                    held.release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return token(form(request)).newBuilder().bodyDelay(held.bodyDelayMillis, TimeUnit.MILLISECONDS).build();
            }
            MockResponse scripted = tokenScript.poll();
            return scripted != null ? scripted : token(form(request));
        }
        if (path.startsWith("/api/")) {
            apiRequests.incrementAndGet();
            String authorization = request.getHeaders().get("Authorization");
            apiAuthorizations.add(authorization == null ? "none" : authorization);
            if (path.equals(API_MOVED) && redirectTo != null) {
                return new MockResponse.Builder().code(302).addHeader("Location", redirectTo).build();
            }
            if (apiStatus != 0) {
                return json(apiStatus, "{\"message\":\"" + apiStatus + "\"}");
            }
            return ("Bearer " + accessToken()).equals(authorization)
                    ? json(200, "{\"id\":\"user_id\"}")
                    : json(401, "{\"message\":\"401 Unauthorized\"}");
        }
        return json(404, "{\"message\":\"404 Not Found\"}");
    }

    private synchronized MockResponse token(Map<String, String> form) {
        if (!"refresh_token".equals(form.get("grant_type"))) {
            return json(400, "{\"error\":\"unsupported_grant_type\"}");
        }
        if (!refreshToken.equals(form.get("refresh_token"))) {
            return json(400, "{\"error\":\"invalid_grant\",\"error_description\":\"The provided authorization grant "
                    + "is invalid, expired, revoked, or was issued to another client.\"}");
        }
        int n = ++issued;
        accessToken = "vendor-access-" + n;
        StringBuilder body = new StringBuilder("{\"access_token\":\"").append(accessToken)
                .append("\",\"token_type\":\"bearer\",\"scope\":\"api\",\"created_at\":")
                .append(clock.instant().getEpochSecond());
        if (rotate) {
            refreshToken = "vendor-refresh-" + n;
            body.append(",\"refresh_token\":\"").append(refreshToken).append('"');
        }
        Long expiresIn = expiresInSeconds;
        if (expiresIn != null) {
            body.append(",\"expires_in\":").append(expiresIn);
        }
        return json(200, body.append('}').toString());
    }

    private static Map<String, String> form(RecordedRequest request) {
        return FormBodies.parse(request.getBody() == null ? "" : request.getBody().utf8());
    }

    private record Hold(CountDownLatch arrived, CountDownLatch release, long bodyDelayMillis) {
    }

    static MockResponse json(int code, String body) {
        return new MockResponse.Builder().code(code).addHeader("Content-Type", "application/json").body(body).build();
    }
}
