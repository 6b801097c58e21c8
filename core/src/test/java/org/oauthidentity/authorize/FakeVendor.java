package org.oauthidentity.authorize;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.Credentials;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.oauthidentity.testing.ManualClock;

/**
 * A vendor on a real loopback HTTP server, checking what a correct authorization server checks:
 * {@code GET /authorize} validates the request and redirects the browser back with a fresh single-use code
 * (or an error); {@code POST /token} redeems a code once, only for the client, redirect URI and PKCE
 * verifier it was issued for, and answers with tokens. It counts token requests.
 */
final class FakeVendor implements AutoCloseable {
    static final String CLIENT_ID = "client-1";
    static final String CLIENT_SECRET = "client-secret-value-1";
    static final String REDIRECT_URI = "https://app.example/oauth/callback";
    static final long EXPIRES_IN = 3600;

    private final MockWebServer server = new MockWebServer();
    private final ManualClock clock;
    private final OkHttpClient browser = new OkHttpClient.Builder().followRedirects(false).build();
    private final Map<String, Grant> codes = new ConcurrentHashMap<>();
    private final AtomicInteger tokenRequests = new AtomicInteger();
    private final AtomicInteger issued = new AtomicInteger();
    private final Queue<MockResponse> scriptedTokenResponses = new ConcurrentLinkedQueue<>();
    private final Queue<String[]> scriptedDenials = new ConcurrentLinkedQueue<>();
    private final List<Map<String, String>> tokenForms = new CopyOnWriteArrayList<>();
    private final List<String> issuedSecrets = new CopyOnWriteArrayList<>();
    private volatile String clientSecret = CLIENT_SECRET;
    private volatile Duration exchangeLatency = Duration.ZERO;

    FakeVendor(ManualClock clock) throws IOException {
        this.clock = clock;
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                String path = request.getUrl().encodedPath();
                if (path.equals("/authorize") && request.getMethod().equals("GET")) {
                    return authorize(request.getUrl());
                }
                if (path.equals("/token") && request.getMethod().equals("POST")) {
                    return token(request);
                }
                return new MockResponse.Builder().code(404).build();
            }
        });
        server.start();
    }

    String url(String path) {
        return server.url(path).toString();
    }

    /** Registers the app as a public client (no secret; identifies itself with client_id in the form). */
    void publicClient() {
        clientSecret = null;
    }

    /** The token endpoint takes this long (by the injected clock) to answer. */
    void exchangeLatency(Duration latency) {
        exchangeLatency = latency;
    }

    /** The next authorization ends with this error instead of a code. */
    void denyNextAuthorization(String error, String description) {
        scriptedDenials.add(new String[] {error, description});
    }

    /** The next token request is answered with this instead of being processed. */
    void answerNextTokenRequest(MockResponse response) {
        scriptedTokenResponses.add(response);
    }

    /** Every code issued so far expires (as after the vendor's code lifetime). */
    void expireIssuedCodes() {
        codes.values().forEach(grant -> grant.expired = true);
    }

    int tokenRequests() {
        return tokenRequests.get();
    }

    List<Map<String, String>> tokenForms() {
        return tokenForms;
    }

    /** Every code, access token and refresh token this vendor has issued. */
    List<String> issuedSecrets() {
        return issuedSecrets;
    }

    /** The user's browser follows the authorize URL; the vendor approves (or denies) and redirects back. */
    HttpUrl visit(HttpUrl authorizeUrl) throws IOException {
        try (Response response = browser.newCall(new Request.Builder().url(authorizeUrl).build()).execute()) {
            if (response.code() != 302) {
                throw new AssertionError("the vendor refused the authorization request: HTTP " + response.code()
                        + " " + response.body().string());
            }
            return HttpUrl.get(response.header("Location"));
        }
    }

    private MockResponse authorize(HttpUrl url) {
        String redirectUri = url.queryParameter("redirect_uri");
        if (!"code".equals(url.queryParameter("response_type")) || !CLIENT_ID.equals(url.queryParameter("client_id"))
                || !REDIRECT_URI.equals(redirectUri) || url.queryParameter("state") == null) {
            return new MockResponse.Builder().code(400).body("bad authorization request").build();
        }
        String challenge = url.queryParameter("code_challenge");
        if (challenge != null && !"S256".equals(url.queryParameter("code_challenge_method"))) {
            return new MockResponse.Builder().code(400).body("only S256").build();
        }
        HttpUrl.Builder callback = HttpUrl.get(redirectUri).newBuilder();
        String[] denial = scriptedDenials.poll();
        if (denial != null) {
            callback.addQueryParameter("error", denial[0]);
            if (denial[1] != null) {
                callback.addQueryParameter("error_description", denial[1]);
            }
        } else {
            String code = "code-" + UUID.randomUUID();
            codes.put(code, new Grant(redirectUri, challenge, url.queryParameter("scope")));
            issuedSecrets.add(code);
            callback.addQueryParameter("code", code);
        }
        callback.addQueryParameter("state", url.queryParameter("state"));
        return new MockResponse.Builder().code(302).addHeader("Location", callback.build().toString()).build();
    }

    private MockResponse token(RecordedRequest request) {
        tokenRequests.incrementAndGet();
        Map<String, String> form = parseForm(request.getBody() == null ? "" : request.getBody().utf8());
        tokenForms.add(form);
        MockResponse scripted = scriptedTokenResponses.poll();
        if (scripted != null) {
            return scripted;
        }
        String secret = clientSecret;
        String authorization = request.getHeaders().get("Authorization");
        if (secret != null ? !Credentials.basic(CLIENT_ID, secret).equals(authorization)
                : authorization != null || !CLIENT_ID.equals(form.get("client_id"))) {
            return error(401, "invalid_client", "Client authentication failed.");
        }
        if (!"authorization_code".equals(form.get("grant_type"))) {
            return error(400, "unsupported_grant_type", "Only authorization_code here.");
        }
        String code = form.get("code");
        Grant grant = code == null ? null : codes.get(code);
        if (grant == null || grant.expired || !grant.used.compareAndSet(false, true)) {
            return error(400, "invalid_grant",
                    "The authorization code " + code + " is invalid, expired or was already used.");
        }
        if (!grant.redirectUri.equals(form.get("redirect_uri"))) {
            return error(400, "invalid_grant", "redirect_uri does not match.");
        }
        if (grant.challenge != null && !pkceMatches(form.get("code_verifier"), grant.challenge)) {
            return error(400, "invalid_grant", "PKCE verification failed.");
        }
        clock.advance(exchangeLatency);
        int n = issued.incrementAndGet();
        String accessToken = "access-token-" + n + "-" + UUID.randomUUID();
        String refreshToken = "refresh-token-" + n + "-" + UUID.randomUUID();
        issuedSecrets.add(accessToken);
        issuedSecrets.add(refreshToken);
        String scope = grant.scope == null ? "" : ", \"scope\": \"" + grant.scope + "\"";
        return new MockResponse.Builder().code(200).addHeader("Content-Type", "application/json")
                .body("{\"access_token\": \"" + accessToken + "\", \"token_type\": \"Bearer\", \"expires_in\": "
                        + EXPIRES_IN + ", \"refresh_token\": \"" + refreshToken + "\"" + scope
                        + ", \"id_token\": \"header.payload-" + n + ".signature\"}")
                .build();
    }

    /** RFC 7636 §4.6: BASE64URL(SHA256(ASCII(verifier))) == challenge, verifier of 43 to 128 unreserved characters. */
    static boolean pkceMatches(String verifier, String challenge) {
        if (verifier == null || !verifier.matches("[A-Za-z0-9._~-]{43,128}")) {
            return false;
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest).equals(challenge);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private static MockResponse error(int status, String error, String description) {
        return new MockResponse.Builder().code(status).addHeader("Content-Type", "application/json")
                .body("{\"error\": \"" + error + "\", \"error_description\": \"" + description + "\"}").build();
    }

    private static Map<String, String> parseForm(String body) {
        Map<String, String> form = new LinkedHashMap<>();
        for (String pair : body.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            form.put(name, value);
        }
        return form;
    }

    @Override
    public void close() {
        server.close();
    }

    private static final class Grant {
        final String redirectUri;
        final String challenge;
        final String scope;
        final AtomicBoolean used = new AtomicBoolean();
        volatile boolean expired;

        Grant(String redirectUri, String challenge, String scope) {
            this.redirectUri = redirectUri;
            this.challenge = challenge;
            this.scope = scope;
        }
    }
}
