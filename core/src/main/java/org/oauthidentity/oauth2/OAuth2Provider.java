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
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.Provider;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.RefreshException;
import org.oauthidentity.RefreshException.Details;
import org.oauthidentity.RefreshRejectedException;
import org.oauthidentity.TokenResponseException;
import org.oauthidentity.TransientRefreshException;
import org.oauthidentity.authorize.AuthorizationCodeProvider;
import org.oauthidentity.authorize.AuthorizationRequest;
import org.oauthidentity.authorize.CodeExchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OAuth2 refresh_token grant (RFC 6749 §6) over OkHttp, with the error mapping of DESIGN.md. Use
 * {@link #create(OAuth2Settings)} for a vendor that follows the RFC; vendor modules extend it and override
 * the protected hooks (token URL, form parameters, response parsing, error mapping) and nothing else.
 *
 * <p>Thread-safe and stateless between calls. It never touches a store: it returns the refreshed identity
 * (same id and version) or throws one of the {@link RefreshException} subtypes, and the identity passed in
 * is never changed. Response bodies are read up to {@link OAuth2Settings#maxResponseBytes()}. Exception
 * messages and logs carry the identity id and the vendor's sanitised error, never a token or a secret.
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

    protected OAuth2Provider(OAuth2Settings settings) {
        this.settings = settings;
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
                tokenUrl(identity), refreshParameters(identity, refreshToken), secretsOf(identity));
        Identity refreshed = toIdentity(identity, response, requestStart);
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
        Endpoints.requireSecure(url, "revocation URL");
        Map<String, String> form = revocationParameters(identity);
        try (Response response = execute(url, form, revocationClientAuthentication())) {
            if (response.isSuccessful()) {
                return;
            }
            throw mapError(readError(response, secretsOf(identity, form)));
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
     * Applies a token response to the identity: new access token; the new refresh token if one came
     * (rotation), else the old one; expiry = ({@code created_at} or the request start) + {@code expires_in},
     * unknown if absent; token type and scopes when sent; every other field kept as an extra.
     */
    protected Identity toIdentity(Identity previous, TokenResponse response, Instant requestStart) {
        Identity.Builder b = previous.toBuilder().accessToken(response.accessToken());
        response.refreshToken().ifPresent(b::refreshToken);
        response.tokenType().ifPresent(b::tokenType);
        b.expiresAt(response.expiresIn()
                .map(lifetime -> response.createdAt().orElse(requestStart).plus(lifetime))
                .orElse(null));
        response.scope().ifPresent(scope -> b.scopes(splitScopes(scope)));
        response.extras().forEach(b::extra);
        return b.build();
    }

    /**
     * Turns a refusal into the exception callers branch on: the table in DESIGN.md. Vendors may refine it
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
            return new IdentityNotValid(details);
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
        TokenResponse response = postTokenRequest(url, codeExchangeParameters(exchange), secrets);
        // The same response handling as a refresh, applied to the identity the exchange starts.
        Identity created = toIdentity(newIdentity(exchange, response), response, requestStart);
        log.debug("exchanged an authorization code for new identity {} at {} (refresh token issued: {})",
                created.id(), key(), created.refreshToken().isPresent());
        return created;
    }

    /**
     * The identity a code exchange creates, before {@link #toIdentity} applies the token response to it: the
     * flow's id, this provider's key, the requested scopes. Vendors add what a new identity needs and every
     * refresh keeps (self-managed GitLab: the instance it was linked at).
     */
    protected Identity newIdentity(CodeExchange exchange, TokenResponse response) {
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

    // ---- the request ----------------------------------------------------------------------------------------

    /**
     * Posts a form to a token endpoint with this provider's client authentication and turns the answer into
     * a {@link TokenResponse} or the mapped exception. Shared by every grant (refresh, authorization code).
     *
     * @param secrets values to redact from anything the vendor echoes (tokens, codes)
     */
    protected final TokenResponse postTokenRequest(HttpUrl url, Map<String, String> form, List<String> secrets)
            throws RefreshException {
        Endpoints.requireSecure(url, "token URL");
        List<String> redact = new ArrayList<>(secrets);
        form.forEach((name, value) -> {
            if (SECRET_FIELDS.contains(name)) {
                redact.add(value);
            }
        });
        try (Response response = execute(url, form, settings.clientAuthentication())) {
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
            return TokenResponse.of(json);
        }
    }

    private Response execute(HttpUrl url, Map<String, String> form, ClientAuthentication authentication)
            throws TransientRefreshException {
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
        try {
            return settings.httpClient().newCall(request.post(body.build()).build()).execute();
        } catch (InterruptedIOException e) {
            throw new TransientRefreshException(Details.of("token request to " + url.host() + " timed out"), e);
        } catch (IOException e) {
            throw new TransientRefreshException(Details.of("token request to " + url.host() + " failed: "
                    + e.getClass().getSimpleName()), e);
        }
    }

    private ErrorResponse readError(Response response, List<String> redact) throws TransientRefreshException {
        byte[] body;
        try {
            body = readCapped(response);
        } catch (TransientRefreshException e) {
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
    private byte[] readCapped(Response response) throws TransientRefreshException {
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
        } catch (IOException e) {
            throw new TokenResponseException(Details.of("token response was cut off: " + e.getClass().getSimpleName()), e);
        }
    }

    private static ObjectNode parseObject(byte[] body) {
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
