package org.oauthidentity.providers.google;

import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import okhttp3.OkHttpClient;
import org.oauthidentity.Identity;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.RefreshException;
import org.oauthidentity.RefreshRejectedException;
import org.oauthidentity.authorize.AccountLookup;
import org.oauthidentity.authorize.AuthorizationRequest;
import org.oauthidentity.authorize.CodeExchange;
import org.oauthidentity.authorize.IdTokens;
import org.oauthidentity.oauth2.ClientAuthentication;
import org.oauthidentity.oauth2.Endpoints;
import org.oauthidentity.oauth2.ErrorResponse;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.oauth2.OAuth2Settings;
import org.oauthidentity.oauth2.TokenResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Google (OAuth 2.0 for web server applications). Refreshes at {@value #TOKEN_URL} with
 * {@code grant_type=refresh_token}, {@code refresh_token}, {@code client_id} and {@code client_secret} in
 * the form body (no {@code redirect_uri}, no HTTP Basic).
 *
 * <p>Google does not rotate: a response without {@code refresh_token} keeps the stored one. The
 * {@code id_token} sent when OpenID scopes were granted is kept in the extra {@value #ID_TOKEN_EXTRA}.
 *
 * <p>Errors refine the core mapping only with Google-specific hints: {@code invalid_grant} (expired or
 * revoked token, deleted or disabled account, {@code error_subtype} {@code invalid_rapt} /
 * {@code rapt_required} when re-authentication is required) is {@link org.oauthidentity.IdentityNotValid}
 * with the subtype kept; {@code invalid_client}, {@code deleted_client} and {@code unauthorized_client} are a
 * {@link ProviderConfigurationException}; 408, 429, 5xx, {@code internal_failure}, {@code server_error} and
 * {@code temporarily_unavailable} are transient.
 *
 * <p>{@link #revoke(Identity)} posts only {@code token=} (the refresh token, else the access token) to
 * {@value #REVOCATION_URL}; revoking either ends the whole grant. Google answers 400 {@code invalid_token}
 * for a token that is already revoked or expired: that counts as revoked, not as a failure.
 *
 * <p>Linking an account ({@link org.oauthidentity.authorize.AuthorizationFlow}): the authorize URL
 * ({@value #AUTHORIZATION_URL}) carries PKCE (S256), {@code access_type=offline} and {@code prompt=consent}
 * (Google issues a refresh token only offline, and only at a consent, so a user linking a second time would
 * otherwise get none) and {@code include_granted_scopes=true}; the code is redeemed at {@value #TOKEN_URL} with
 * the client credentials in the form. The account ({@link Identity#externalUserId()}) is the {@code sub} of the
 * {@code id_token} (see {@link #newIdentity}), so the {@code openid} scope is required.
 *
 * <p>Immutable and thread-safe.
 */
public final class GoogleProvider extends OAuth2Provider {
    private static final Logger log = LoggerFactory.getLogger(GoogleProvider.class);

    public static final String TOKEN_URL = "https://oauth2.googleapis.com/token";
    public static final String AUTHORIZATION_URL = "https://accounts.google.com/o/oauth2/v2/auth";
    public static final String REVOCATION_URL = "https://oauth2.googleapis.com/revoke";
    /** The default provider key. */
    public static final String DEFAULT_PROVIDER_KEY = "google";
    /** The extra holding the latest OpenID Connect ID token, when Google sent one. */
    public static final String ID_TOKEN_EXTRA = "id_token";
    /** The scopes an authorization asks for unless told otherwise: an id_token naming the user, and the email. */
    public static final List<String> DEFAULT_SCOPES = List.of("openid", "email");

    private GoogleProvider(OAuth2Settings settings) {
        super(settings);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Revokes the identity's grant at Google; an already revoked or expired token counts as revoked.
     *
     * @throws RefreshException Google refused for another reason (configuration, transient or rejected)
     */
    @Override
    public void revoke(Identity identity) throws RefreshException {
        try {
            super.revoke(identity);
        } catch (RefreshRejectedException e) {
            if (e.httpStatus() != 400 || !e.error().filter("invalid_token"::equals).isPresent()) {
                throw e;
            }
            log.debug("identity {} was already revoked at {}", identity.id(), key());
        }
    }

    @Override
    protected Map<String, String> revocationParameters(Identity identity) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("token", identity.refreshToken().orElse(identity.accessToken()));
        return form;
    }

    /** Google's revocation endpoint takes the token alone: the client secret stays home. */
    @Override
    protected ClientAuthentication revocationClientAuthentication() {
        return ClientAuthentication.NONE;
    }

    /**
     * The standard query with {@code access_type=offline} and {@code prompt=consent}, so that every completed
     * authorization yields a refresh token, and {@code include_granted_scopes=true}.
     */
    @Override
    protected Map<String, String> authorizationParameters(AuthorizationRequest request) {
        Map<String, String> query = super.authorizationParameters(request);
        query.put("access_type", "offline");
        query.put("prompt", "consent");
        query.put("include_granted_scopes", "true");
        return query;
    }

    /**
     * The new identity's account is the {@code sub} claim of the {@code id_token} of the code exchange, Google's
     * stable account id. Its signature is NOT checked: it came straight from Google's token endpoint over TLS, the
     * one case where OpenID Connect Core §3.1.3.7 allows that (see {@link IdTokens}).
     *
     * @throws org.oauthidentity.authorize.AccountLookupException no {@code id_token} with a {@code sub} (the
     *     {@code openid} scope was not asked for): the link fails and the flow revokes the new grant
     */
    @Override
    protected Identity newIdentity(CodeExchange exchange, TokenResponse response) throws RefreshException {
        Identity issued = super.newIdentity(exchange, response).toBuilder()
                .refreshToken(response.refreshToken().orElse(null))
                .build();
        return AccountLookup.fromIdToken(response.field(ID_TOKEN_EXTRA).orElse(null), issued, "sub");
    }

    /**
     * The standard handling ({@code id_token} kept as an extra); an identity linked before accounts were named
     * takes the {@code sub} of the next {@code id_token}, read as in {@link #newIdentity}.
     */
    @Override
    protected Identity toIdentity(Identity previous, TokenResponse response, Instant requestStart) {
        Identity identity = super.toIdentity(previous, response, requestStart);
        if (identity.externalUserId().isPresent()) {
            return identity;
        }
        return response.field(ID_TOKEN_EXTRA).flatMap(idToken -> IdTokens.claim(idToken, "sub"))
                .map(sub -> identity.toBuilder().externalUserId(sub).build())
                .orElse(identity);
    }

    @Override
    protected RefreshException mapError(ErrorResponse e) {
        RefreshException mapped = super.mapError(e);
        if (mapped instanceof ProviderConfigurationException) {
            return new ProviderConfigurationException(details(e).hint(configurationHint(e)));
        }
        return mapped;
    }

    private String configurationHint(ErrorResponse e) {
        String fix;
        if (e.errorIs("deleted_client")) {
            fix = "the OAuth client was deleted in its Google Cloud project: restore it (possible for 30 days) "
                    + "or configure a new client id and secret";
        } else if (e.errorIs("unauthorized_client")) {
            fix = "the refresh token was issued to another OAuth client, or this client may not use this grant: "
                    + "check that the configured client id is the one users authorised";
        } else {
            fix = "check the client id and secret (Google Cloud console, APIs & Services > Credentials)";
        }
        return "Google rejected the OAuth client of provider '" + key() + "': " + fix + "; identities are not affected";
    }

    @Override
    public String toString() {
        return "GoogleProvider{key=" + key() + ", tokenUrl=" + Endpoints.display(settings.tokenUrl()) + ", clientId="
                + settings.clientId() + '}';
    }

    /** Not thread-safe; build on one thread. {@link #build()} validates everything. */
    public static final class Builder {
        private final OAuth2Settings.Builder settings = OAuth2Settings.builder()
                .providerKey(DEFAULT_PROVIDER_KEY)
                .tokenUrl(TOKEN_URL)
                .revocationUrl(REVOCATION_URL)
                .authorizationUrl(AUTHORIZATION_URL)
                .scopes(DEFAULT_SCOPES)
                .clientAuthentication(ClientAuthentication.CLIENT_SECRET_POST);

        private Builder() {
        }

        /** Default {@value GoogleProvider#DEFAULT_PROVIDER_KEY}. */
        public Builder providerKey(String providerKey) {
            settings.providerKey(providerKey);
            return this;
        }

        /** The OAuth client id ({@code ....apps.googleusercontent.com}). Required. */
        public Builder clientId(String clientId) {
            settings.clientId(clientId);
            return this;
        }

        /** The OAuth client secret. Required. */
        public Builder clientSecret(String clientSecret) {
            settings.clientSecret(clientSecret);
            return this;
        }

        /** Default {@value GoogleProvider#TOKEN_URL}; https except on loopback (for tests). */
        public Builder tokenUrl(String tokenUrl) {
            settings.tokenUrl(tokenUrl);
            return this;
        }

        /** Default {@value GoogleProvider#AUTHORIZATION_URL}; https except on loopback (for tests). */
        public Builder authorizationUrl(String authorizationUrl) {
            settings.authorizationUrl(authorizationUrl);
            return this;
        }

        /**
         * The scopes an authorization asks for unless the flow names others; default {@link #DEFAULT_SCOPES}.
         * E.g. {@code openid}, {@code email}, {@code https://www.googleapis.com/auth/drive.readonly}.
         */
        public Builder scopes(String... scopes) {
            settings.scopes(List.of(scopes));
            return this;
        }

        /** Default {@value GoogleProvider#REVOCATION_URL}; https except on loopback (for tests). */
        public Builder revocationUrl(String revocationUrl) {
            settings.revocationUrl(revocationUrl);
            return this;
        }

        /** The client to share connection pools with; its redirects are turned off for token requests. */
        public Builder httpClient(OkHttpClient httpClient) {
            settings.httpClient(httpClient);
            return this;
        }

        public Builder clock(Clock clock) {
            settings.clock(clock);
            return this;
        }

        public Builder maxResponseBytes(int maxResponseBytes) {
            settings.maxResponseBytes(maxResponseBytes);
            return this;
        }

        /** @throws IllegalArgumentException naming what is missing or insecure */
        public GoogleProvider build() {
            OAuth2Settings built = settings.build();
            if (built.tokenUrl() == null) {
                throw new IllegalArgumentException("token URL is required");
            }
            return new GoogleProvider(built);
        }
    }
}
