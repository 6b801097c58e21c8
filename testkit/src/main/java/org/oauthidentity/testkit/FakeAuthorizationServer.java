package org.oauthidentity.testkit;

import com.fasterxml.jackson.core.JsonParser;
import java.io.Closeable;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import okhttp3.Headers;
import okhttp3.HttpUrl;
import org.oauthidentity.Identity;
import org.oauthidentity.TokenResponseException;
import org.oauthidentity.oauth2.OAuth2Settings;
import org.oauthidentity.oauth2.TokenResponse;
import org.oauthidentity.testkit.ClientRegistry.Client;

/**
 * A fake OAuth2 authorization server on a real loopback HTTP port (mockwebserver3), with real state: it
 * issues, refreshes, rotates and revokes tokens, and refuses what a real server refuses, in the words of
 * the chosen vendor {@link Dialect}. Use it to test a client end to end: the token endpoint, the
 * authorization endpoint (for the code flow) and a protected API under {@code /api/}.
 *
 * <p>What it checks, like a real server: client id and secret (compared in constant time), the grant type,
 * that a refresh token is known, current and not rotated away or revoked, that the user is neither revoked
 * nor suspended, and that an authorization code is single-use, bound to its client and redirect URI,
 * younger than ten minutes, and matches its PKCE S256 challenge. A reused code also revokes the tokens
 * issued from it (RFC 6749 §4.1.2).
 *
 * <p>Time comes only from the injected {@link Clock}: advance the test's clock to expire tokens and codes.
 * Tests control it with {@link #issueIdentity}, {@link #approve}, {@link #expireAccessTokens},
 * {@link #revokeUser}, {@link #suspendUser}, {@link #rotateRefreshTokens}, {@link #accessTokenLifetime} and
 * {@link #failNextTokenRequests}, and assert on its counters ({@link #tokenRequests(String)},
 * {@link #reusedRefreshTokens()}, {@link #apiCalls(int)}, ...) and on the token requests it received
 * ({@link #tokenRequestsSeen()}).
 *
 * <p>Thread-safety: every method may be called from any thread while many clients hit the server. All
 * token, code and user state lives in one object and each request's check-and-change runs in one critical
 * section on it (like one database transaction), so races resolve the way they would at a real vendor:
 * of N concurrent refreshes with one rotating refresh token exactly one succeeds. Pending faults are handed
 * out one per request under their own lock, so "the next N requests" means exactly N. Counters are
 * lock-free and read without stopping traffic; the record of token requests takes one short lock per
 * request.
 *
 * <p>It never logs tokens or secrets, and its own failures (a bug in the fake) are recorded and raised by
 * {@link #verifyNoInternalFailures()} rather than passing for an outage.
 */
public final class FakeAuthorizationServer implements Closeable {

    /** Which vendor the server imitates: paths, client authentication, response shape, error wording. */
    public enum Dialect {
        /**
         * RFC 6749 as written: {@code /oauth/token}, {@code /oauth/authorize}, {@code /oauth/revoke}
         * (RFC 7009); client authentication by HTTP Basic or in the form (not both); rotation on by default
         * (the old refresh token dies, the old access token lives out its lifetime).
         */
        GENERIC,
        /**
         * Azure DevOps' legacy OAuth: {@code POST /oauth2/token} with
         * {@code client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer},
         * {@code client_assertion=<client secret>}, the refresh token (or the code, with grant type
         * {@code urn:ietf:params:oauth:grant-type:jwt-bearer}) as {@code assertion}, and a registered
         * {@code redirect_uri} always required. Answers {@code expires_in} as a JSON string,
         * {@code token_type} {@code jwt-bearer}, always rotates, and writes errors in PascalCase
         * ({@code Error}, {@code ErrorDescription}); a wrong secret is 401 {@code invalid_client}
         * "Failed to deserialize the JsonWebToken object.". No revocation endpoint.
         */
        AZURE_DEVOPS,
        /**
         * Microsoft Entra ID (v2.0): {@code POST /{tenant}/oauth2/v2.0/token}, credentials in the form,
         * rotates (strictly: the fake kills the old refresh token, where Entra may keep it valid a while, so a
         * client that reuses one is caught), AADSTS-coded descriptions with Entra's trace lines and
         * {@code error_codes}. No revocation endpoint.
         */
        ENTRA,
        /**
         * GitLab (Doorkeeper), under the instance base URL and an optional path prefix such as
         * {@code /gitlab}: {@code POST /oauth/token}, {@code /oauth/authorize}, {@code /oauth/revoke},
         * {@code /api/v4/...}; credentials in the form or Basic; {@code created_at} from the clock and
         * {@code expires_in} 7200; rotation revokes the old access token and the old refresh token.
         */
        GITLAB,
        /**
         * Google: {@code POST /token}, {@code GET /o/oauth2/v2/auth}, {@code POST /revoke} (token in the query
         * or the form, no client authentication); never rotates (a refresh answer has no
         * {@code refresh_token}); {@code id_token} when {@code openid} was granted; {@code invalid_grant}
         * "Token has been expired or revoked." for a revoked, suspended or unknown refresh token.
         */
        GOOGLE
    }

    private final MockWebServer server;
    private final Dialect dialect;
    private final DialectRules rules;
    private final Clock clock;
    private final String providerKey;
    private final String pathPrefix;
    private final ClientRegistry clients;
    private final Counters counters;
    private final TokenRequestLog tokenRequestLog = new TokenRequestLog();
    private final AuthorizationState state;
    private final Router router;
    private final List<Throwable> failures = new CopyOnWriteArrayList<>();

    private FakeAuthorizationServer(Builder b) throws IOException {
        this.dialect = b.dialect;
        this.rules = new DialectRules(b.dialect, b.tenant);
        this.clock = b.clock;
        this.providerKey = b.providerKey != null ? b.providerKey : rules.defaultProviderKey();
        this.pathPrefix = b.pathPrefix;
        List<Client> registered = new ArrayList<>();
        registered.add(new Client(b.clientId, b.clientSecret != null ? b.clientSecret : Secrets.newToken("secret-")));
        registered.addAll(b.moreClients);
        this.clients = new ClientRegistry(registered, b.redirectUris);
        this.counters = new Counters();
        this.state = new AuthorizationState(clock, clients, counters,
                b.rotate != null ? b.rotate : rules.defaultRotation(),
                b.accessTokenLifetime != null ? b.accessTokenLifetime : rules.defaultAccessTokenLifetime(),
                b.refreshTokenLifetime);
        this.server = new MockWebServer();
        server.start();
        String issuer = baseUrl();
        this.router = new Router(pathPrefix, rules,
                new TokenEndpoint(rules, clients, state, counters, clock, issuer),
                new AuthorizeEndpoint(rules, clients, state, counters),
                new ApiEndpoint(state, counters),
                counters, tokenRequestLog, failures);
        server.setDispatcher(router);
    }

    public static Builder builder() {
        return new Builder();
    }

    // ---- where it is ---------------------------------------------------------------------------------------

    public Dialect dialect() {
        return dialect;
    }

    /** The provider key of identities it issues (default per dialect: oauth2, vsts, entra, gitlab, google). */
    public String providerKey() {
        return providerKey;
    }

    public Clock clock() {
        return clock;
    }

    /** The server's root with the path prefix and no trailing slash: a GitLab "instance base URL". */
    public String baseUrl() {
        String root = server.url("/").toString();
        return root.substring(0, root.length() - 1) + pathPrefix;
    }

    public String tokenUrl() {
        return baseUrl() + rules.tokenPath();
    }

    public String authorizeUrl() {
        return baseUrl() + rules.authorizePath();
    }

    /** Empty for dialects without a revocation endpoint (Azure DevOps, Entra). */
    public Optional<String> revocationUrl() {
        return Optional.ofNullable(rules.revocationPath()).map(path -> baseUrl() + path);
    }

    /**
     * The {@code oid} claim of the Entra dialect's ID tokens for {@code userId}: a name-based UUID, unlike the
     * {@code sub} (the user id), as Entra's object id differs from its per-application subject.
     */
    public static String entraObjectId(String userId) {
        return java.util.UUID.nameUUIDFromBytes(("oid:" + userId).getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .toString();
    }

    /** A URL on the protected API, e.g. {@code apiUrl("/v4/user")} → {@code <base>/api/v4/user}. */
    public String apiUrl(String path) {
        String p = path.startsWith("/") ? path : "/" + path;
        return baseUrl() + "/api" + p;
    }

    /** Any URL on this server, e.g. to probe a path the dialect does not serve. */
    public HttpUrl url(String path) {
        return server.url(path);
    }

    /** The default client's id. */
    public String clientId() {
        return clients.defaultClient().id();
    }

    /** The default client's secret (random per server unless the builder set one). */
    public String clientSecret() {
        return clients.defaultClient().secret();
    }

    /** The first registered redirect URI. */
    public String redirectUri() {
        return clients.redirectUris().get(0);
    }

    /**
     * Core's {@link OAuth2Settings} for talking to this server as its default client: token and revocation
     * URLs, client id and secret, the client authentication the dialect takes ({@code NONE} for Azure
     * DevOps, whose provider adds its own assertion), and the server's clock. Add an HTTP client and build.
     */
    public OAuth2Settings.Builder oauth2Settings() {
        return OAuth2Settings.builder()
                .providerKey(providerKey)
                .tokenUrl(tokenUrl())
                .revocationUrl(revocationUrl().orElse(null))
                .clientId(clientId())
                .clientSecret(clientSecret())
                .clientAuthentication(rules.clientAuthentication())
                .clock(clock);
    }

    // ---- users, grants, tokens -----------------------------------------------------------------------------

    /**
     * Issues tokens to the default client as if {@code userId} had just completed the authorization flow,
     * and returns them as the identity a client would have stored: id and external user id
     * {@code userId}, the access and refresh tokens, expiry now + the access-token lifetime, the dialect's
     * token type, and the vendor's extra fields ({@code created_at}, {@code id_token}, ...). Version 0
     * (never saved).
     *
     * @throws IllegalStateException if the user is suspended
     */
    public Identity issueIdentity(String userId, String... scopes) {
        AuthorizationState.Issued issued = state.issue(clients.defaultClient(), userId, scopeSet(scopes));
        TokenResponse response;
        try {
            response = TokenResponse.parse(rules.tokenResponse(issued, baseUrl()).toString());
        } catch (TokenResponseException e) {
            throw new IllegalStateException("the fake wrote a token response core cannot read", e);
        }
        return Identity.builder()
                .id(userId)
                .providerKey(providerKey)
                .externalUserId(userId)
                .accessToken(issued.accessToken)
                .refreshToken(issued.refreshToken)
                .tokenType(rules.tokenType())
                .expiresAt(issued.expiresAt)
                .scopes(issued.scopes)
                .extras(response.extras())
                .build();
    }

    /**
     * The "user approves" step of the code flow, without a browser: a code for {@code clientId} bound to
     * {@code redirectUri} and the PKCE S256 {@code codeChallenge} (null for none), single-use, valid for ten
     * minutes of the injected clock. Exchange it at {@link #tokenUrl()}.
     *
     * @throws IllegalArgumentException for an unknown client or an unregistered redirect URI
     * @throws IllegalStateException if the user is suspended
     */
    public String approve(String userId, String clientId, String redirectUri, String codeChallenge, String... scopes) {
        Client client = clients.byIdOrNull(clientId);
        if (client == null) {
            throw new IllegalArgumentException("unknown client: " + clientId);
        }
        return state.approve(client, userId, redirectUri, codeChallenge, scopeSet(scopes));
    }

    /** The user whom {@code GET} on {@link #authorizeUrl()} acts for (a {@code login_hint} wins). */
    public void signIn(String userId) {
        state.signIn(userId);
    }

    /** From now on the user answers the authorization page with "deny": {@code error=access_denied}. */
    public void denyConsent(String userId) {
        state.denyConsent(userId, true);
    }

    /** The user's current access tokens stop working now (the API answers 401); refresh tokens still work. */
    public void expireAccessTokens(String userId) {
        state.expireAccessTokens(userId);
    }

    /** The user's refresh tokens expire now, as after the vendor's inactivity limit. */
    public void expireRefreshTokens(String userId) {
        state.expireRefreshTokens(userId);
    }

    /** The user withdraws the application's access: all their tokens die for good (new approvals work). */
    public void revokeUser(String userId) {
        state.revokeUser(userId);
    }

    /** The vendor suspends the account: refresh is {@code invalid_grant}, the API 401, until reinstated. */
    public void suspendUser(String userId) {
        state.suspendUser(userId);
    }

    public void reinstateUser(String userId) {
        state.reinstateUser(userId);
    }

    /**
     * Whether {@code refreshToken} is current: a refresh with it would be granted now (it is known, not rotated
     * away, revoked or expired, and its user is not suspended). A read-only look, for asserting what a client
     * stored without spending the token: nothing changes and no counter moves.
     */
    public boolean isCurrentRefreshToken(String refreshToken) {
        return state.refreshTokenUsable(refreshToken);
    }

    /** Whether refreshes from now on issue a new refresh token and kill the presented one. */
    public void rotateRefreshTokens(boolean rotate) {
        state.rotateRefreshTokens(rotate);
    }

    /** The lifetime of access tokens issued from now on. */
    public void accessTokenLifetime(Duration lifetime) {
        requirePositive(lifetime, "accessTokenLifetime");
        state.accessTokenLifetime(lifetime);
    }

    // ---- faults --------------------------------------------------------------------------------------------

    /**
     * The next {@code times} requests to the token endpoint get {@code fault} instead of their normal
     * answer; the one after that is normal again. Faults queue up in the order added.
     *
     * <p>Note: with its default {@code retryOnConnectionFailure}, OkHttp silently retries a request whose
     * pooled connection dropped, on a new connection; every attempt reaches the server and takes a fault (one
     * refresh may take several {@link Fault#dropConnection()}s). Use a client with
     * {@code retryOnConnectionFailure(false)} to make one call exactly one request.
     */
    public void failNextTokenRequests(int times, Fault fault) {
        if (times < 1) {
            throw new IllegalArgumentException("times must be at least 1");
        }
        router.addFaults(times, Objects.requireNonNull(fault, "fault"));
    }

    public void clearFaults() {
        router.clearFaults();
    }

    public int pendingFaults() {
        return router.pendingFaults();
    }

    // ---- counters ------------------------------------------------------------------------------------------

    /** Requests that reached the token endpoint, faulted ones included. */
    public long tokenRequests() {
        return counters.tokenRequests();
    }

    /** Token requests with this {@code grant_type} as sent ({@code ""} for none), faulted ones included. */
    public long tokenRequests(String grantType) {
        return counters.tokenRequests(grantType);
    }

    /** Token requests by {@code grant_type}, a snapshot sorted by name. */
    public Map<String, Long> tokenRequestsByGrantType() {
        return counters.tokenRequestsByGrantType();
    }

    /**
     * The token requests received, oldest first (the last 1,000 since the last {@link #resetCounters()},
     * faulted ones included), each with its form field names, non-secret values and client authentication:
     * to check a vendor's request shape. A snapshot; it never prints a token or secret.
     */
    public List<TokenRequest> tokenRequestsSeen() {
        return tokenRequestLog.snapshot();
    }

    /**
     * The one token request received (since the last {@link #resetCounters()}), for a test that expects
     * exactly one refresh and checks its shape.
     *
     * @throws AssertionError when there were none or several; the message names their fields, never a value
     */
    public TokenRequest onlyTokenRequestSeen() {
        List<TokenRequest> seen = tokenRequestLog.snapshot();
        if (seen.size() != 1) {
            throw new AssertionError("expected exactly one token request, saw " + seen.size() + ": " + seen);
        }
        return seen.get(0);
    }

    /** Refresh requests that presented a refresh token this server had already rotated away. */
    public long reusedRefreshTokens() {
        return counters.reusedRefreshTokens();
    }

    /** Code exchanges that presented an already exchanged code. */
    public long reusedCodes() {
        return counters.reusedCodes();
    }

    /** Calls to the protected API. */
    public long apiCalls() {
        return counters.apiCalls();
    }

    /** Calls to the protected API answered with {@code status}. */
    public long apiCalls(int status) {
        return counters.apiCalls(status);
    }

    /** Revocation requests that revoked something. */
    public long revocations() {
        return counters.revocations();
    }

    /** Token requests answered with an injected fault. */
    public long faultsServed() {
        return counters.faultsServed();
    }

    /** Codes issued through the HTTP authorization endpoint. */
    public long authorizations() {
        return counters.authorizations();
    }

    /**
     * Sets every counter to zero and forgets the token requests seen; state (users, tokens) and pending
     * faults are kept.
     */
    public void resetCounters() {
        counters.reset();
        tokenRequestLog.clear();
    }

    // ---- lifecycle -----------------------------------------------------------------------------------------

    /**
     * Throws if the fake itself failed while answering (a bug in the fake, answered with a 500), so such a
     * failure cannot pass for a vendor outage. The JUnit extension calls it after every test.
     */
    public void verifyNoInternalFailures() {
        if (!failures.isEmpty()) {
            AssertionError error = new AssertionError("the fake authorization server failed "
                    + failures.size() + " time(s) while answering", failures.get(0));
            failures.stream().skip(1).forEach(error::addSuppressed);
            throw error;
        }
    }

    /**
     * Stops the HTTP server. Requests held at a {@link Gate} are dropped first (their sockets close
     * unanswered), so closing never waits for a gate.
     */
    @Override
    public void close() {
        router.releaseHeld();
        server.close();
    }

    /** Package-private: the client registry, so tests can count constant-time comparisons. */
    ClientRegistry clients() {
        return clients;
    }

    @Override
    public String toString() {
        return "FakeAuthorizationServer{dialect=" + dialect + ", baseUrl=" + baseUrl() + '}';
    }

    private static LinkedHashSet<String> scopeSet(String... scopes) {
        LinkedHashSet<String> set = new LinkedHashSet<>();
        Arrays.stream(scopes).map(s -> Objects.requireNonNull(s, "scope")).forEach(set::add);
        return set;
    }

    private static void requirePositive(Duration d, String name) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive");
        }
    }

    // ---- faults --------------------------------------------------------------------------------------------

    /**
     * What an injected failure of the token endpoint looks like on the wire. Immutable; one fault may answer
     * any number of requests.
     *
     * <p>Each factory says whether the request is <em>processed</em> (checked, tokens issued, the refresh token
     * rotated if rotation is on) before the fault shows. A processed fault models a vendor that did the work
     * and whose answer went wrong on the way: a client that never reads the new refresh token has lost it, and
     * its old one answers {@code invalid_grant}. An unprocessed fault leaves every token as it was.
     * {@code toString} names the fault and never prints a token.
     */
    public static final class Fault {
        private final String description;
        private final FaultAnswer answer;

        private Fault(String description, FaultAnswer answer) {
            this.description = description;
            this.answer = answer;
        }

        /** 500 with a plain-text body. Not processed. */
        public static Fault serverError() {
            return status(500, "text/plain", "Internal Server Error", null);
        }

        /**
         * 503 with {@code Retry-After} in seconds (null for none) and an HTML body, as a load balancer sends.
         * Not processed.
         */
        public static Fault serviceUnavailable(Duration retryAfter) {
            return status(503, "text/html; charset=utf-8",
                    "<html><body><h1>503 Service Unavailable</h1></body></html>", retryAfter);
        }

        /** 429 with {@code Retry-After} in seconds (null for none). Not processed. */
        public static Fault tooManyRequests(Duration retryAfter) {
            return status(429, "application/json; charset=utf-8",
                    "{\"error\":\"rate_limit_exceeded\",\"error_description\":\"Too many requests\"}", retryAfter);
        }

        /**
         * An HTML page with this status, as a proxy, captive portal or firewall answers instead of the vendor
         * (200 for a login page, 403 for a block page, ...). Not processed.
         */
        public static Fault htmlPage(int status) {
            if (status < 200 || status > 599) {
                throw new IllegalArgumentException("status must be 200..599");
            }
            return status(status, "text/html; charset=utf-8",
                    "<!DOCTYPE html><html><head><title>Sign in to the network</title></head>"
                            + "<body><form action=\"/login\"></form></body></html>", null);
        }

        /**
         * 401 with {@code WWW-Authenticate: Basic realm="token"} and no structured error: what a gateway in
         * front of the vendor answers when the client's credentials are wrong. {@code body} may be empty;
         * {@code contentType} may be null (no {@code Content-Type} header). Not processed.
         */
        public static Fault unauthorizedChallenge(String contentType, String body) {
            Objects.requireNonNull(body, "body");
            Headers challenge = Headers.of("WWW-Authenticate", "Basic realm=\"token\"");
            String shape = body.isEmpty() ? "empty body" : contentType == null ? "untyped body" : contentType + " body";
            return new Fault("401 challenge, " + shape,
                    FaultAnswer.status(401, contentType, body, challenge));
        }

        /** {@link #unauthorizedChallenge(String, String)} with a gateway's HTML page. Not processed. */
        public static Fault unauthorizedChallenge() {
            return unauthorizedChallenge("text/html; charset=utf-8",
                    "<html><head><title>401 Authorization Required</title></head>"
                            + "<body><h1>401 Authorization Required</h1></body></html>");
        }

        /**
         * The real answer with one top-level field of its JSON set to {@code rawJson}, written to the wire
         * verbatim: {@code tokenField("expires_in", "1e400")} sends the number literal {@code 1e400},
         * {@code tokenField("expires_in", "\"3600s\"")} a string. A field the answer lacks is added.
         * Processed: the tokens in the answer are real and the presented refresh token is rotated away. A
         * refused request gets its refusal with the field set.
         *
         * @throws IllegalArgumentException if {@code rawJson} is not one JSON value
         */
        public static Fault tokenField(String name, String rawJson) {
            Objects.requireNonNull(name, "name");
            requireOneJsonValue(rawJson);
            String shown = name.contains("token") && !name.equals("token_type")
                    ? "<" + rawJson.length() + " characters>" : rawJson;
            return new Fault("200 with " + name + " = " + shown, FaultAnswer.rewriteField(name, rawJson));
        }

        /** The real answer without the top-level field {@code name}. Processed, as {@link #tokenField}. */
        public static Fault tokenFieldRemoved(String name) {
            Objects.requireNonNull(name, "name");
            return new Fault("200 without " + name, FaultAnswer.rewriteField(name, null));
        }

        /**
         * The real answer, with its body held back for {@code delay} after the status line and headers (the
         * server's thread waits, not the test): a client whose read timeout is shorter fails mid-body.
         * Processed.
         */
        public static Fault slow(Duration delay) {
            requirePositive(delay, "delay");
            return new Fault("slow " + delay, FaultAnswer.bodyDelay(delay));
        }

        /**
         * The real answer, its body written {@code bytesPerPeriod} bytes at a time with a pause of
         * {@code period} before each: every read gets data, so a read timeout longer than {@code period}
         * never fires while the whole answer takes as long as the test likes. Processed.
         */
        public static Fault drip(long bytesPerPeriod, Duration period) {
            if (bytesPerPeriod < 1) {
                throw new IllegalArgumentException("bytesPerPeriod must be at least 1");
            }
            requirePositive(period, "period");
            return new Fault("drip " + bytesPerPeriod + " bytes per " + period,
                    FaultAnswer.throttled(bytesPerPeriod, period));
        }

        /**
         * The real answer's status and headers, with the {@code Content-Length} of the whole body, then about
         * half of the body, then the socket closes: the client's read of the body fails. Processed: the
         * rotation happened and the new refresh token is in the half that never arrived.
         */
        public static Fault truncatedBody() {
            return new Fault("truncated body", FaultAnswer.truncated());
        }

        /** The connection closes before any answer. Not processed. */
        public static Fault dropConnection() {
            return new Fault("drop connection", FaultAnswer.closeUnanswered(false));
        }

        /** The connection closes unanswered after the request was processed (tokens issued or rotated). */
        public static Fault loseResponse() {
            return new Fault("lose response", FaultAnswer.closeUnanswered(true));
        }

        /**
         * The request is processed (the rotation happens), then its answer waits at {@code gate} until the
         * test calls {@link Gate#open()} (the real answer is sent) or {@link Gate#drop()} (the socket closes
         * unanswered). Whatever the client sees, the presented refresh token is dead.
         */
        public static Fault held(Gate gate) {
            Objects.requireNonNull(gate, "gate");
            return new Fault("held, processed", FaultAnswer.held(gate, true));
        }

        /**
         * The request waits at {@code gate} before it is processed: {@link Gate#open()} processes and answers
         * it then (against the state of that moment, e.g. a refresh token another request rotated meanwhile);
         * {@link Gate#drop()} closes the socket and never processes it, so the presented refresh token stays
         * current: a request the vendor never got.
         */
        public static Fault heldBeforeProcessing(Gate gate) {
            Objects.requireNonNull(gate, "gate");
            return new Fault("held, not processed", FaultAnswer.held(gate, false));
        }

        MockResponse answer(Supplier<MockResponse> realAnswer, HeldRequests held) {
            return answer.answer(realAnswer, held);
        }

        @Override
        public String toString() {
            return "Fault{" + description + '}';
        }

        private static Fault status(int status, String contentType, String body, Duration retryAfter) {
            Headers headers = retryAfter == null ? Headers.of()
                    : Headers.of("Retry-After", Long.toString(retryAfter.getSeconds()));
            return new Fault(status + (retryAfter == null ? "" : ", Retry-After " + retryAfter),
                    FaultAnswer.status(status, contentType, body, headers));
        }

        private static void requireOneJsonValue(String rawJson) {
            Objects.requireNonNull(rawJson, "rawJson");
            // Token by token, so a number like 1e400 is checked as text and never converted.
            try (JsonParser parser = DialectRules.JSON.getFactory().createParser(rawJson)) {
                if (parser.nextToken() == null) {
                    throw new IllegalArgumentException("rawJson is empty");
                }
                parser.skipChildren();
                if (parser.nextToken() != null) {
                    throw new IllegalArgumentException("rawJson must be one JSON value");
                }
            } catch (IOException e) {
                // Jackson's message may quote the text, and the text may be a token: say only what to fix.
                throw new IllegalArgumentException("rawJson is not a JSON value (a string needs its quotes)");
            }
        }
    }

    /**
     * Where a {@link Fault#held} or {@link Fault#heldBeforeProcessing} request waits until the test decides,
     * so a test can act while a token request is in flight (refresh elsewhere, save, crash) without timing.
     * One gate, one decision: {@link #open()} or {@link #drop()}, which also applies at once to requests that
     * reach the gate later. Closing the server drops the requests it holds, so no thread hangs.
     *
     * <p>A held request blocks only its own connection's thread; the server answers other requests
     * meanwhile. Use a client with {@code retryOnConnectionFailure(false)}: OkHttp silently retries a
     * dropped request on a new connection otherwise.
     *
     * <p>Thread-safe: every method may be called from any thread; waits are on one private monitor.
     */
    public static final class Gate {
        private final Object lock = new Object();
        private int arrived;
        private Boolean opened; // null until the test decides

        public Gate() {
        }

        /**
         * Waits until a request has reached the gate, at most {@code max}; true when one has (also if it was
         * let through already), false after {@code max} without one.
         */
        public boolean awaitArrived(Duration max) throws InterruptedException {
            long deadline = System.nanoTime() + max.toNanos();
            synchronized (lock) {
                while (arrived == 0) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                }
                return true;
            }
        }

        /**
         * The held requests go on: answered (and, if held before processing, processed now).
         *
         * @throws IllegalStateException if the gate was dropped
         */
        public void open() {
            decide(true);
        }

        /**
         * The server closes the held requests' sockets without an answer (one held before processing is
         * never processed).
         *
         * @throws IllegalStateException if the gate was opened
         */
        public void drop() {
            decide(false);
        }

        private void decide(boolean open) {
            synchronized (lock) {
                if (opened != null && opened != open) {
                    throw new IllegalStateException("the gate was already " + (opened ? "opened" : "dropped"));
                }
                opened = open;
                lock.notifyAll();
            }
        }

        /** Server side: arrives and waits for the decision, or for {@code released}; true to answer. */
        boolean pass(BooleanSupplier released) throws InterruptedException {
            synchronized (lock) {
                arrived++;
                lock.notifyAll();
                while (opened == null && !released.getAsBoolean()) {
                    lock.wait();
                }
                return opened != null && opened;
            }
        }

        /** Makes waiting requests look at their release condition again. */
        void wake() {
            synchronized (lock) {
                lock.notifyAll();
            }
        }

        @Override
        public String toString() {
            synchronized (lock) {
                return "Gate{arrived=" + arrived + ", " + (opened == null ? "closed" : opened ? "open" : "dropped") + '}';
            }
        }
    }

    // ---- builder -------------------------------------------------------------------------------------------

    /**
     * Configures a server; {@link #start()} may be called more than once (the JUnit extension starts a fresh
     * server per test from one builder). Not thread-safe; build on one thread.
     */
    public static final class Builder {
        private Dialect dialect = Dialect.GENERIC;
        private Clock clock = Clock.systemUTC();
        private String providerKey;
        private String clientId = "fake-client";
        private String clientSecret;
        private final List<Client> moreClients = new ArrayList<>();
        private List<String> redirectUris = List.of("https://app.example.test/oauth/callback");
        private Boolean rotate;
        private Duration accessTokenLifetime;
        private Duration refreshTokenLifetime;
        private String pathPrefix = "";
        private String tenant = "common";

        private Builder() {
        }

        public Builder dialect(Dialect dialect) {
            this.dialect = Objects.requireNonNull(dialect, "dialect");
            return this;
        }

        /** Where all time comes from: token and code expiry, {@code created_at}, {@code iat}. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        public Builder providerKey(String providerKey) {
            this.providerKey = providerKey;
            return this;
        }

        /** The default client; without a secret here, each started server draws a random one. */
        public Builder client(String clientId, String clientSecret) {
            this.clientId = Objects.requireNonNull(clientId, "clientId");
            this.clientSecret = Objects.requireNonNull(clientSecret, "clientSecret");
            return this;
        }

        /** Registers another client (e.g. to prove a code or refresh token is bound to its own client). */
        public Builder additionalClient(String clientId, String clientSecret) {
            moreClients.add(new Client(clientId, clientSecret));
            return this;
        }

        /** The redirect URIs registered for the clients; the first is the default. */
        public Builder redirectUris(String... redirectUris) {
            if (redirectUris.length == 0) {
                throw new IllegalArgumentException("at least one redirect URI is required");
            }
            this.redirectUris = List.of(redirectUris);
            return this;
        }

        /** Overrides the dialect's default (on for all but Google). */
        public Builder rotateRefreshTokens(boolean rotate) {
            this.rotate = rotate;
            return this;
        }

        /** Overrides the dialect's default (GitLab 2 h, generic 1 h, others 3599 s). */
        public Builder accessTokenLifetime(Duration lifetime) {
            requirePositive(lifetime, "accessTokenLifetime");
            this.accessTokenLifetime = lifetime;
            return this;
        }

        /** Refresh tokens expire this long after issue; default never. */
        public Builder refreshTokenLifetime(Duration lifetime) {
            requirePositive(lifetime, "refreshTokenLifetime");
            this.refreshTokenLifetime = lifetime;
            return this;
        }

        /** Serves everything under this path, e.g. {@code /gitlab} for a GitLab installed under a path. */
        public Builder pathPrefix(String pathPrefix) {
            String p = Objects.requireNonNull(pathPrefix, "pathPrefix").trim();
            while (p.endsWith("/")) {
                p = p.substring(0, p.length() - 1);
            }
            if (!p.isEmpty() && !p.startsWith("/")) {
                p = "/" + p;
            }
            this.pathPrefix = p;
            return this;
        }

        /** Entra's tenant path segment; default {@code common}. */
        public Builder tenant(String tenant) {
            if (tenant == null || tenant.isBlank() || tenant.contains("/")) {
                throw new IllegalArgumentException("tenant must be one path segment");
            }
            this.tenant = tenant;
            return this;
        }

        /** Starts a new server on a free loopback port. Close it when done. */
        public FakeAuthorizationServer start() throws IOException {
            return new FakeAuthorizationServer(this);
        }
    }
}
