package org.oauthidentity.oauth2;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import okhttp3.Credentials;
import okhttp3.FormBody;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.Provider;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.RefreshException;
import org.oauthidentity.RefreshException.Details;
import org.oauthidentity.RefreshOutcomeUnknownException;
import org.oauthidentity.RefreshRejectedException;
import org.oauthidentity.TokenResponseException;
import org.oauthidentity.TransientRefreshException;
import org.oauthidentity.authorize.AuthorizationCodeProvider;
import org.oauthidentity.authorize.AuthorizationRequest;
import org.oauthidentity.authorize.CodeExchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OAuth2 refresh_token grant (RFC 6749 §6) over OkHttp, with the error mapping below. Use
 * {@link #create(OAuth2Settings)} for a vendor that follows the RFC; vendor modules extend it and override
 * the protected hooks (token URL, form parameters, response parsing, error mapping) and nothing else.
 *
 * <table>
 *   <caption>What a token endpoint's answer becomes (vendors may refine a row, never loosen it)</caption>
 *   <tr><th>answer</th><th>result</th></tr>
 *   <tr><td>no refresh token on the identity</td><td>{@link IdentityNotValid}, nothing sent</td></tr>
 *   <tr><td>400 or 401 with {@code invalid_grant} (any {@code error_subtype})</td><td>{@link IdentityNotValid}</td></tr>
 *   <tr><td>400 or 401 with {@code invalid_client}, {@code unauthorized_client}, {@code deleted_client}</td>
 *       <td>{@link ProviderConfigurationException}</td></tr>
 *   <tr><td>401 without an OAuth error (empty, HTML, a {@code WWW-Authenticate} challenge): RFC 6749 §5.2 keeps
 *       401 for client authentication</td><td>{@link ProviderConfigurationException}, never a revocation</td></tr>
 *   <tr><td>408, 429, 5xx, {@code server_error}, {@code temporarily_unavailable}; a failure before the request
 *       was sent (refused, DNS, connect, TLS)</td><td>{@link TransientRefreshException} with
 *       {@code Retry-After}</td></tr>
 *   <tr><td>sent, then the answer lost: read timeout, reset, closed, a 200 whose body is cut off</td>
 *       <td>{@link RefreshOutcomeUnknownException} (transient; the vendor may have rotated)</td></tr>
 *   <tr><td>a complete 200 that is no token response: not JSON, larger than the cap, no {@code access_token}</td>
 *       <td>{@link TokenResponseException} (transient); a usable new refresh token it carried is in
 *       {@link TokenResponseException#issued() issued()}</td></tr>
 *   <tr><td>a 200 whose access or refresh token can be neither sent nor stored</td>
 *       <td>{@link TokenResponseException}, {@code issued()} holding what can be kept</td></tr>
 *   <tr><td>a 200 with tokens and an unreadable {@code expires_in} / {@code created_at}, an odd
 *       {@code token_type}</td><td>success: every token kept; the expiry unknown, bounded or {@code Bearer}
 *       stored, with a WARN (see {@link TokenResponse})</td></tr>
 *   <tr><td>another 4xx with an OAuth error ({@code invalid_request}, {@code invalid_scope}, ...)</td>
 *       <td>{@link RefreshRejectedException}</td></tr>
 *   <tr><td>another 4xx without one (a proxy's page)</td><td>{@link TransientRefreshException}</td></tr>
 * </table>
 *
 * <p>Thread-safe and stateless between calls. It never touches a store: it returns the refreshed identity
 * (same id and version) or throws one of the {@link RefreshException} subtypes, and the identity passed in
 * is never changed. Response bodies are read up to {@link OAuth2Settings#maxResponseBytes()}. Exception
 * messages and logs carry the identity id and the vendor's sanitised error, never a token or a secret.
 *
 * <p>What it guarantees about a token request whose fate is unclear:
 * <ul>
 *   <li>A refresh token is sent at most once per call: the form is a one-shot body, so OkHttp's own
 *       {@code retryOnConnectionFailure} retries only failures before anything was sent.</li>
 *   <li>A failure before the request could be written (connection refused, DNS, connect or TLS handshake) is a
 *       plain {@link TransientRefreshException}: the vendor never saw it. A failure after (read timeout, a
 *       connection reset or closed without an answer, a 200 whose body is cut off) is a
 *       {@link RefreshOutcomeUnknownException}: the vendor may have rotated the refresh token. The client cannot
 *       tell a server that closed before reading the request from one that processed it and then failed, so
 *       both are unknown.</li>
 *   <li>A 200 that carries tokens is never thrown away over a malformed side field (see {@link TokenResponse}):
 *       the repairs are logged at WARN with the identity id and the field, never its text. A 200 whose access
 *       token or refresh token cannot be stored fails with {@link TokenResponseException}, whose
 *       {@link TokenResponseException#issued() issued()} holds what can be kept.</li>
 * </ul>
 *
 * <p>It also implements the authorization-code grant ({@link AuthorizationCodeProvider}) when the settings
 * name an authorization URL: the code exchange shares the token request, response parsing and error mapping.
 */
public class OAuth2Provider implements Provider, AuthorizationCodeProvider {
    private static final Logger log = LoggerFactory.getLogger(OAuth2Provider.class);
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    /** Form fields whose values are secrets, redacted from anything a vendor echoes back. */
    private static final Set<String> SECRET_FIELDS = Set.of(
            "refresh_token", "assertion", "client_assertion", "client_secret", "code", "code_verifier", "token");
    private static final Set<String> TRANSIENT_ERRORS = Set.of(
            "server_error", "temporarily_unavailable", "internal_failure");
    private static final Set<String> CLIENT_ERRORS = Set.of(
            "invalid_client", "unauthorized_client", "deleted_client");

    protected final OAuth2Settings settings;
    /** The settings' client (its pool and dispatcher shared), marking when a request starts to be sent. */
    private final OkHttpClient http;

    protected OAuth2Provider(OAuth2Settings settings) {
        this.settings = settings;
        this.http = SendOnce.marking(settings.httpClient());
    }

    /** A provider for a vendor that follows RFC 6749 to the letter. The settings must name a token URL. */
    public static OAuth2Provider create(OAuth2Settings settings) {
        if (settings.tokenUrl() == null) {
            throw new IllegalArgumentException("token URL is required");
        }
        return new OAuth2Provider(settings);
    }

    @Override
    public final String key() {
        return settings.providerKey();
    }

    public final OAuth2Settings settings() {
        return settings;
    }

    @Override
    public final Identity refresh(Identity identity) throws RefreshException {
        String refreshToken = identity.refreshToken().orElseThrow(() -> new IdentityNotValid(
                Details.of("identity " + identity.id() + " has no refresh token")));
        Instant requestStart = settings.clock().instant();
        TokenResponse response = postTokenRequest(
                identity.id(), tokenUrl(identity), refreshParameters(identity, refreshToken), secretsOf(identity));
        Identity refreshed = accept(identity, response, requestStart);
        log.debug("refreshed identity {} at {} (refresh token rotated: {})", identity.id(), key(),
                response.refreshToken().isPresent());
        return refreshed;
    }

    /**
     * Revokes the identity's refresh token (or its access token when it has none) at the revocation
     * endpoint (RFC 7009). Providers without one throw {@link UnsupportedOperationException}.
     */
    @Override
    public void revoke(Identity identity) throws RefreshException {
        HttpUrl url = revocationUrl(identity);
        if (url == null) {
            throw new UnsupportedOperationException(key() + " has no revocation endpoint");
        }
        // A vendor's revocationUrl(identity) bypasses the settings' check; the form carries a token.
        Endpoints.requireSecure(url, "revocation URL", settings.plainHttpHosts());
        Map<String, String> form = revocationParameters(identity);
        // Revoking twice is harmless, so a lost answer here is an ordinary transient failure.
        try (Response response = send(url, form, revocationClientAuthentication(), new SendOnce())) {
            if (response.isSuccessful()) {
                return;
            }
            throw mapError(readError(response, secretsOf(identity, form)));
        } catch (RefreshException e) {
            throw e;
        } catch (IOException e) {
            throw new TransientRefreshException(Details.of("revocation request to " + url.host() + " failed: "
                    + e.getClass().getSimpleName()), e);
        }
    }

    // ---- hooks for vendor modules -------------------------------------------------------------------------

    /** Where the refresh goes; vendors that derive it from the identity (self-managed GitLab) override. */
    protected HttpUrl tokenUrl(Identity identity) throws RefreshException {
        return settings.tokenUrl();
    }

    /**
     * Where revocation goes; null when the vendor has none. Vendors that derive it from the identity
     * (self-managed GitLab) override, and throw when the identity names an unusable endpoint.
     */
    protected HttpUrl revocationUrl(Identity identity) throws RefreshException {
        return settings.revocationUrl();
    }

    /**
     * How the client authenticates to the revocation endpoint. Default: as to the token endpoint (RFC 7009
     * §2.1); a vendor whose revocation endpoint takes no client credentials (Google) answers
     * {@link ClientAuthentication#NONE}, so the secret is not sent where it is not needed.
     */
    protected ClientAuthentication revocationClientAuthentication() {
        return settings.clientAuthentication();
    }

    /**
     * The refresh form, without client credentials (those are added per {@link ClientAuthentication}).
     * Default: {@code grant_type=refresh_token} and {@code refresh_token}.
     */
    protected Map<String, String> refreshParameters(Identity identity, String refreshToken) throws RefreshException {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "refresh_token");
        form.put("refresh_token", refreshToken);
        return form;
    }

    /** The revocation form (RFC 7009), without client credentials. */
    protected Map<String, String> revocationParameters(Identity identity) {
        Map<String, String> form = new LinkedHashMap<>();
        if (identity.refreshToken().isPresent()) {
            form.put("token", identity.refreshToken().get());
            form.put("token_type_hint", "refresh_token");
        } else {
            form.put("token", identity.accessToken());
            form.put("token_type_hint", "access_token");
        }
        return form;
    }

    /**
     * Applies a usable token response to the identity: new access token; the new refresh token if one came
     * (rotation), else the old one; expiry = issue time + {@code expires_in} (bounded as
     * {@link TokenResponse#expiresIn()} says), unknown if absent; token type and scopes when sent; every other
     * field kept as an extra.
     *
     * <p>The issue time is the vendor's {@code created_at} held within [{@code requestStart}, the moment the
     * answer arrived] (read from the clock here), else the request start: a vendor clock behind or ahead of ours
     * neither shortens nor stretches the lifetime. Vendors that override call this for the tokens and expiry.
     */
    protected Identity toIdentity(Identity previous, TokenResponse response, Instant requestStart) {
        Identity.Builder b = previous.toBuilder().accessToken(response.accessToken());
        response.refreshToken().ifPresent(b::refreshToken);
        response.tokenType().ifPresent(b::tokenType);
        Instant arrived = settings.clock().instant();
        Instant issuedAt = response.createdAt()
                .map(createdAt -> latest(requestStart, earliest(createdAt, arrived)))
                .orElse(requestStart);
        b.expiresAt(response.expiresIn().map(issuedAt::plus).orElse(null));
        response.scope().ifPresent(scope -> b.scopes(splitScopes(scope)));
        // The extras of an earlier answer (an id_token, a created_at) do not outlive it beside new tokens; what
        // describes the identity itself (identityExtras) stays, and no answer may change it.
        Set<String> identityExtras = identityExtras();
        Map<String, String> extras = new LinkedHashMap<>();
        response.extras().forEach((name, value) -> {
            if (!identityExtras.contains(name)) {
                extras.put(name, value);
            }
        });
        previous.extras().forEach((name, value) -> {
            if (identityExtras.contains(name)) {
                extras.put(name, value);
            }
        });
        return b.extras(extras).build();
    }

    /**
     * The extras that describe the identity rather than one token response, kept across refreshes and never taken
     * from an answer (self-managed GitLab: the instance the identity was linked at, so that no answer can send the
     * next refresh, and the client secret, elsewhere). Every other extra is replaced by the fields of the newest
     * answer, so nothing from an earlier answer (an {@code id_token}) stays beside tokens it does not belong to.
     * Default: none.
     */
    protected Set<String> identityExtras() {
        return Set.of();
    }

    /**
     * Turns a refusal into the exception callers branch on: the table in the class comment. Vendors may refine it
     * (call this for the rows they do not change), never loosen it.
     */
    protected RefreshException mapError(ErrorResponse e) {
        int status = e.status();
        Details details = details(e);
        if (status == 408 || status == 429 || status >= 500 || e.errorIs(TRANSIENT_ERRORS.toArray(String[]::new))) {
            return new TransientRefreshException(details, e.retryAfter().orElse(null), null);
        }
        if (e.errorIs(CLIENT_ERRORS.toArray(String[]::new))) {
            return new ProviderConfigurationException(details.hint(
                    "The vendor rejected this application's client credentials for provider '" + key()
                            + "': check the client id and secret; identities are not affected"));
        }
        if (e.errorIs("invalid_grant")) {
            return new IdentityNotValid(details);
        }
        if (status == 401 && !e.structured()) {
            // RFC 6749 §5.2 keeps 401 for client authentication; without invalid_grant it says nothing about the
            // identity (typically a wrong client secret, or a gateway's Basic challenge in front of the endpoint).
            return new ProviderConfigurationException(details.hint("The token endpoint of provider '" + key()
                    + "' answered 401 without an OAuth error, which means client authentication failed: check the"
                    + " client id and secret and any gateway in front of the token endpoint; identities are not"
                    + " affected"));
        }
        if (status >= 400 && status < 500 && e.structured()) {
            return new RefreshRejectedException(details);
        }
        if (status >= 400 && status < 500) {
            // An HTML page from a proxy or a firewall says nothing about the identity.
            return new TransientRefreshException(details, e.retryAfter().orElse(null), null);
        }
        return new TokenResponseException(details.hint("unexpected status from the token endpoint"), null);
    }

    // ---- the authorization-code grant (RFC 6749 §4.1, PKCE per RFC 7636) -----------------------------------

    @Override
    public final HttpUrl authorizeUrl(AuthorizationRequest request) throws ProviderConfigurationException {
        HttpUrl endpoint = authorizationUrl(request);
        if (endpoint == null) {
            throw new ProviderConfigurationException(Details.of(
                    "provider '" + key() + "' has no authorization URL configured"));
        }
        if (settings.clientId() == null) {
            throw new ProviderConfigurationException(Details.of(
                    "provider '" + key() + "' has no client id configured"));
        }
        HttpUrl.Builder url = endpoint.newBuilder();
        authorizationParameters(request).forEach(url::setQueryParameter);
        return url.build();
    }

    @Override
    public final Identity exchangeCode(CodeExchange exchange) throws RefreshException {
        HttpUrl url = codeExchangeUrl(exchange);
        if (url == null) {
            throw new ProviderConfigurationException(Details.of(
                    "provider '" + key() + "' has no token URL configured"));
        }
        Instant requestStart = settings.clock().instant();
        List<String> secrets = new ArrayList<>(3);
        secrets.add(exchange.code());
        exchange.codeVerifier().ifPresent(secrets::add);
        if (settings.clientSecret() != null) {
            secrets.add(settings.clientSecret());
        }
        TokenResponse response = postTokenRequest(exchange.identityId(), url, codeExchangeParameters(exchange), secrets);
        if (response.accessTokenProblem().isPresent() || response.refreshTokenProblem().isPresent()) {
            // Nothing is stored yet, so nothing can be kept: the user links again.
            throw unusable(exchange.identityId(), response, null);
        }
        // The same response handling as a refresh, applied to the identity the exchange starts.
        Identity created = toIdentity(newIdentity(exchange, response), response, requestStart);
        log.debug("exchanged an authorization code for new identity {} at {} (refresh token issued: {})",
                created.id(), key(), created.refreshToken().isPresent());
        return created;
    }

    /**
     * The identity a code exchange creates, before {@link #toIdentity} applies the token response to it: the
     * flow's id, this provider's key, the requested scopes. Vendors add what a new identity needs and every
     * refresh keeps (self-managed GitLab: the instance it was linked at), and name the vendor account
     * ({@link Identity#externalUserId()}, see {@link org.oauthidentity.authorize.AccountLookup}).
     *
     * @throws RefreshException the new identity cannot be made; an
     *     {@link org.oauthidentity.authorize.AccountLookupException} when its account cannot be named
     */
    protected Identity newIdentity(CodeExchange exchange, TokenResponse response) throws RefreshException {
        return Identity.builder()
                .id(exchange.identityId())
                .providerKey(key())
                .accessToken(response.accessToken())
                .scopes(scopesOrDefault(exchange.scopes()))
                .build();
    }

    /** True unless the vendor rejects PKCE parameters; vendor modules override. */
    @Override
    public boolean supportsPkce() {
        return true;
    }

    /** The authorization endpoint; vendors that derive it (self-managed GitLab) override. */
    protected HttpUrl authorizationUrl(AuthorizationRequest request) {
        return settings.authorizationUrl();
    }

    /**
     * The authorization request's query: {@code response_type=code}, {@code client_id}, {@code redirect_uri},
     * {@code scope} (the request's, else the settings' defaults), {@code state}, and {@code code_challenge}
     * with {@code code_challenge_method=S256} when the request has one. Vendors add their own (Google:
     * {@code access_type=offline}, {@code prompt=consent}) to the map this returns.
     */
    protected Map<String, String> authorizationParameters(AuthorizationRequest request) {
        Map<String, String> query = new LinkedHashMap<>();
        query.put("response_type", "code");
        query.put("client_id", settings.clientId());
        query.put("redirect_uri", request.redirectUri());
        List<String> scopes = scopesOrDefault(request.scopes());
        if (!scopes.isEmpty()) {
            query.put("scope", String.join(" ", scopes));
        }
        query.put("state", request.state());
        request.codeChallenge().ifPresent(challenge -> {
            query.put("code_challenge", challenge);
            query.put("code_challenge_method", AuthorizationRequest.S256);
        });
        return query;
    }

    /** Where codes are redeemed; default the token URL. */
    protected HttpUrl codeExchangeUrl(CodeExchange exchange) throws RefreshException {
        return settings.tokenUrl();
    }

    /**
     * The code exchange form, without client credentials (added per {@link ClientAuthentication}):
     * {@code grant_type=authorization_code}, {@code code}, {@code redirect_uri}, {@code code_verifier} when
     * there is one, and {@code client_id} for a client that does not authenticate (RFC 6749 §4.1.3).
     */
    protected Map<String, String> codeExchangeParameters(CodeExchange exchange) throws RefreshException {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "authorization_code");
        form.put("code", exchange.code());
        form.put("redirect_uri", exchange.redirectUri());
        exchange.codeVerifier().ifPresent(verifier -> form.put("code_verifier", verifier));
        if (settings.clientAuthentication() == ClientAuthentication.NONE && settings.clientId() != null) {
            form.put("client_id", settings.clientId());
        }
        return form;
    }

    private List<String> scopesOrDefault(List<String> requested) {
        return requested.isEmpty() ? settings.scopes() : requested;
    }

    /** The standard exception details of an error response (status, sanitised error, description, subtype). */
    protected static Details details(ErrorResponse e) {
        return Details.http(e.status(), e.error().orElse(null), e.description().orElse(null))
                .subtype(e.subtype().orElse(null));
    }

    // ---- the response ---------------------------------------------------------------------------------------

    /**
     * The refreshed identity, when the response's tokens can be stored; else the {@link TokenResponseException}
     * that carries what can be kept (the refresher saves {@link TokenResponseException#issued()} first).
     */
    private Identity accept(Identity previous, TokenResponse response, Instant requestStart)
            throws TokenResponseException {
        boolean accessUsable = response.accessTokenProblem().isEmpty();
        if (accessUsable && response.refreshTokenProblem().isEmpty()) {
            return toIdentity(previous, response, requestStart);
        }
        Identity issued = null;
        if (accessUsable) {
            // The new access token is good until it expires; the refresh token stays the previous one.
            issued = toIdentity(previous, response, requestStart);
        } else if (response.refreshToken().isPresent()) {
            // Rotated: the previous refresh token is likely dead, the new one must not be lost.
            issued = previous.toBuilder().refreshToken(response.refreshToken().get()).build();
        }
        throw unusable(previous.id(), response, issued);
    }

    private TokenResponseException unusable(String identityId, TokenResponse response, Identity issued) {
        StringBuilder problem = new StringBuilder("token response for identity ").append(identityId);
        response.accessTokenProblem().ifPresent(p -> problem.append(' ').append(p));
        response.refreshTokenProblem().ifPresent(p ->
                problem.append(response.accessTokenProblem().isPresent() ? "; it also " : " ").append(p));
        // The library's own words go in hints, which the cap on vendor text does not cut.
        Details details = Details.of(problem.toString());
        if (response.refreshTokenProblem().isPresent()) {
            details.hint("The vendor has probably retired the previous refresh token with this answer: if the next"
                    + " refresh is refused, the account has to be linked again");
        }
        if (issued != null) {
            details.hint(issued.refreshToken().equals(response.refreshToken())
                    ? "The new refresh token is kept, with the previous access token"
                    : "The new access token is kept, with the previous refresh token");
        }
        return new TokenResponseException(details, issued, null);
    }

    private static Instant earliest(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    private static Instant latest(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    // ---- the request ----------------------------------------------------------------------------------------

    /**
     * Posts a form to a token endpoint with this provider's client authentication and turns the answer into
     * a {@link TokenResponse} (not yet checked for usable tokens) or the mapped exception. Shared by every grant
     * (refresh, authorization code). Logs what {@link TokenResponse} repaired, naming {@code identityId}.
     *
     * @param secrets values to redact from anything the vendor echoes (tokens, codes)
     */
    private TokenResponse postTokenRequest(String identityId, HttpUrl url, Map<String, String> form,
            List<String> secrets) throws RefreshException {
        Endpoints.requireSecure(url, "token URL", settings.plainHttpHosts());
        List<String> redact = new ArrayList<>(secrets);
        form.forEach((name, value) -> {
            if (SECRET_FIELDS.contains(name)) {
                redact.add(value);
            }
        });
        SendOnce call = new SendOnce();
        try (Response response = send(url, form, settings.clientAuthentication(), call)) {
            if (response.code() != 200) {
                throw mapError(readError(response, redact));
            }
            byte[] body = readCapped(response);
            if (body == null) {
                throw new TokenResponseException(Details.of("token response larger than "
                        + settings.maxResponseBytes() + " bytes"), null);
            }
            ObjectNode json = parseObject(body);
            if (json == null) {
                throw new TokenResponseException(Details.of("token endpoint answered 200 with "
                        + (body.length == 0 ? "an empty body" : "a body that is not a JSON object")
                        + " (content type " + contentType(response) + ")"), null);
            }
            if (!json.hasNonNull("access_token") && errorCode(json) != null) {
                // Some servers answer 200 with an error object.
                throw mapError(errorResponse(200, json, null, redact));
            }
            TokenResponse token = TokenResponse.read(json);
            token.warnings().forEach(warning ->
                    log.warn("identity {}: the token response from {} was repaired: {}", identityId, key(), warning));
            return token;
        } catch (RefreshException e) {
            throw e;
        } catch (IOException e) {
            throw lost(url, e, call.started());
        }
    }

    /**
     * The failure of a token request that got no complete answer: unknown outcome once the request may have
     * been written (a response that was cut off included), else an ordinary transient failure.
     */
    private static TransientRefreshException lost(HttpUrl url, IOException e, boolean sent) {
        String what = (e instanceof InterruptedIOException ? "timed out" : "failed") + " ("
                + e.getClass().getSimpleName() + ")";
        if (!sent) {
            return new TransientRefreshException(Details.of("token request to " + url.host() + " " + what
                    + " before it was sent"), e);
        }
        return new RefreshOutcomeUnknownException(Details.of("token request to " + url.host() + " was sent, then "
                + what + " before the whole answer arrived: the outcome is unknown, and a vendor that rotates"
                + " refresh tokens may have retired the one sent"), e);
    }

    /** Sends the form once, as {@code call}, which learns whether it may have left. */
    private Response send(HttpUrl url, Map<String, String> form, ClientAuthentication authentication,
            SendOnce call) throws IOException {
        FormBody.Builder body = new FormBody.Builder(StandardCharsets.UTF_8);
        form.forEach(body::add);
        Request.Builder request = new Request.Builder().url(url).header("Accept", "application/json");
        switch (authentication) {
            case CLIENT_SECRET_BASIC:
                // RFC 6749 §2.3.1: id and secret are form-encoded before Basic encoding.
                request.header("Authorization", Credentials.basic(
                        formEncode(settings.clientId()), formEncode(settings.clientSecret()), StandardCharsets.UTF_8));
                break;
            case CLIENT_SECRET_POST:
                body.add("client_id", settings.clientId());
                body.add("client_secret", settings.clientSecret());
                break;
            case NONE:
                break;
        }
        return http.newCall(call.post(request, body.build())).execute();
    }

    private ErrorResponse readError(Response response, List<String> redact) {
        byte[] body;
        try {
            body = readCapped(response);
        } catch (IOException e) {
            body = null; // the status alone decides
        }
        ObjectNode json = body == null ? null : parseObject(body);
        return errorResponse(response.code(), json, response.header("Retry-After"), redact);
    }

    private ErrorResponse errorResponse(int status, ObjectNode json, String retryAfter, List<String> redact) {
        String error = json == null ? null : errorCode(json);
        String description = json == null ? null : text(json, "error_description", "ErrorDescription");
        String subtype = json == null ? null : text(json, "error_subtype", "ErrorSubtype");
        return new ErrorResponse(status, Details.withoutSecrets(error, redact), Details.withoutSecrets(description, redact),
                Details.withoutSecrets(subtype, redact), parseRetryAfter(retryAfter));
    }

    private static String errorCode(ObjectNode json) {
        return text(json, "error", "Error");
    }

    private static String text(ObjectNode json, String... names) {
        for (String name : names) {
            JsonNode node = json.get(name);
            if (node != null && node.isValueNode() && !node.isNull() && !node.asText().isEmpty()) {
                return node.asText();
            }
        }
        return null;
    }

    /** @return the body, or null when it exceeds the cap (stops reading there) */
    private byte[] readCapped(Response response) throws IOException {
        ResponseBody body = response.body();
        int max = settings.maxResponseBytes();
        if (body.contentLength() > max) {
            return null;
        }
        try (InputStream in = body.byteStream()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] chunk = new byte[8192];
            for (int n; (n = in.read(chunk)) != -1; ) {
                out.write(chunk, 0, n);
                if (out.size() > max) {
                    return null;
                }
            }
            return out.toByteArray();
        }
    }

    /** The body as a JSON object; null when it is anything else. Also serves {@link TokenResponse#parse}. */
    static ObjectNode parseObject(byte[] body) {
        try {
            JsonNode node = JSON.readTree(body);
            return node instanceof ObjectNode ? (ObjectNode) node : null;
        } catch (JsonProcessingException e) {
            return null;
        } catch (IOException e) {
            return null;
        }
    }

    private Duration parseRetryAfter(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String v = value.trim();
        if (v.matches("\\d{1,9}")) {
            return Duration.ofSeconds(Long.parseLong(v));
        }
        try {
            Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            Duration d = Duration.between(settings.clock().instant(), at);
            return d.isNegative() ? Duration.ZERO : d;
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private List<String> secretsOf(Identity identity) {
        List<String> secrets = new ArrayList<>(4);
        secrets.add(identity.accessToken());
        identity.refreshToken().ifPresent(secrets::add);
        if (settings.clientSecret() != null) {
            secrets.add(settings.clientSecret());
        }
        return secrets;
    }

    private List<String> secretsOf(Identity identity, Map<String, String> form) {
        List<String> secrets = secretsOf(identity);
        form.forEach((name, value) -> {
            if (SECRET_FIELDS.contains(name)) {
                secrets.add(value);
            }
        });
        return secrets;
    }

    private static String contentType(Response response) {
        String type = response.header("Content-Type");
        if (type == null) {
            return "none";
        }
        String safe = type.replaceAll("[^\\w/;=.+ -]", "?");
        return safe.length() > 100 ? safe.substring(0, 100) : safe;
    }

    private static String formEncode(String value) {
        return java.net.URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static List<String> splitScopes(String scope) {
        List<String> scopes = new ArrayList<>();
        Arrays.stream(scope.trim().split("[\\s,]+")).filter(s -> !s.isEmpty()).forEach(scopes::add);
        return scopes;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "{" + settings + "}";
    }
}
