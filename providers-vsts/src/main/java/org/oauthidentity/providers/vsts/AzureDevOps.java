package org.oauthidentity.providers.vsts;

import java.time.Clock;
import java.util.List;
import java.util.regex.Pattern;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import org.oauthidentity.oauth2.ClientAuthentication;
import org.oauthidentity.oauth2.Endpoints;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.oauth2.OAuth2Settings;

/**
 * Azure DevOps (formerly VSTS) as a {@link org.oauthidentity.Provider}, through either of its token
 * endpoints: legacy Azure DevOps OAuth ({@link #legacy()}) or Microsoft Entra ID ({@link #entra(String)}),
 * so that a service can move its users from one to the other without changing library.
 *
 * <p>Both providers are also {@link org.oauthidentity.authorize.AuthorizationCodeProvider}s for
 * {@link org.oauthidentity.authorize.AuthorizationFlow}, which links accounts: legacy with
 * {@code response_type=Assertion}, no PKCE, and the code redeemed as a jwt-bearer {@code assertion}; Entra
 * with the standard code flow, PKCE (S256), {@code response_mode=query} and {@code offline_access} always asked
 * for (without it Entra issues no refresh token).
 *
 * <p>The providers built here are immutable and thread-safe, and never touch a store. Both endpoints rotate
 * refresh tokens: every successful refresh returns a new refresh token that replaces the old one, so the
 * result must be persisted before it is used (the {@code IdentityRefresher} does that). Neither endpoint
 * offers token revocation: {@code revoke} throws {@link UnsupportedOperationException}. Builders validate
 * at {@code build()} and throw {@link IllegalArgumentException} naming what is missing or insecure; the
 * client secret never appears in a message, a log or {@code toString()}.
 */
public final class AzureDevOps {
    /** The legacy Azure DevOps OAuth token endpoint. */
    public static final String LEGACY_TOKEN_URL = "https://app.vssps.visualstudio.com/oauth2/token";
    /** The legacy Azure DevOps OAuth authorization endpoint. */
    public static final String LEGACY_AUTHORIZATION_URL = "https://app.vssps.visualstudio.com/oauth2/authorize";
    /** Who the new access token belongs to, at legacy Azure DevOps: its {@code id} names a linked account. */
    public static final String LEGACY_PROFILE_URL =
            "https://app.vssps.visualstudio.com/_apis/profile/profiles/me?api-version=7.1";
    /** The Entra ID authority host of the public cloud. */
    public static final String ENTRA_AUTHORITY_HOST = "https://login.microsoftonline.com";
    /** The application id of the Azure DevOps resource in Entra ID. */
    public static final String AZURE_DEVOPS_RESOURCE_ID = "499b84ac-1321-427f-aa17-267ca6975798";
    /** The scope asked for at Entra ID unless told otherwise: all the Azure DevOps permissions granted, and a refresh token. */
    public static final String DEFAULT_ENTRA_SCOPE = AZURE_DEVOPS_RESOURCE_ID + "/.default offline_access";
    /** The provider key of {@link #legacy()} unless told otherwise. */
    public static final String LEGACY_KEY = "vsts";
    /** The provider key of {@link #entra(String)} unless told otherwise. */
    public static final String ENTRA_KEY = "vsts-entra";

    // A GUID, a verified domain, or one of the aliases (organizations, common): a single path segment.
    private static final Pattern TENANT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9.-]{0,252}");

    private AzureDevOps() {
    }

    /** A builder for the legacy Azure DevOps OAuth endpoint (apps registered at app.vsaex.visualstudio.com). */
    public static LegacyBuilder legacy() {
        return new LegacyBuilder();
    }

    /**
     * A builder for the Microsoft Entra ID endpoint of {@code tenant}: a tenant id (GUID), a verified domain,
     * or {@code organizations} for a multi-tenant app.
     */
    public static EntraBuilder entra(String tenant) {
        return new EntraBuilder(tenant);
    }

    /** A space-separated scope as a list; none for null. */
    static List<String> splitScope(String scope) {
        return scope == null || scope.isBlank() ? List.of() : List.of(scope.trim().split("\\s+"));
    }

    /** Builds the legacy Azure DevOps provider. Not thread-safe; build on one thread. */
    public static final class LegacyBuilder {
        private final OAuth2Settings.Builder settings = OAuth2Settings.builder()
                .providerKey(LEGACY_KEY)
                .tokenUrl(LEGACY_TOKEN_URL)
                .authorizationUrl(LEGACY_AUTHORIZATION_URL)
                // The client proves itself with a client assertion in the form, never with Basic.
                .clientAuthentication(ClientAuthentication.NONE);
        private String clientSecret;
        private String redirectUri;
        private String appId;
        private String scope;
        private String profileUrl = LEGACY_PROFILE_URL;

        private LegacyBuilder() {
        }

        /** The app registration's "Client Secret" (a long JWT), sent as {@code client_assertion}. Required. */
        public LegacyBuilder clientSecret(String clientSecret) {
            this.clientSecret = clientSecret;
            return this;
        }

        /** The authorization callback URL registered for the app, sent verbatim as {@code redirect_uri}. Required. */
        public LegacyBuilder redirectUri(String redirectUri) {
            this.redirectUri = redirectUri;
            return this;
        }

        /**
         * The app registration's "App ID", sent as {@code client_id} to the authorization endpoint. Needed only to
         * link accounts with {@code AuthorizationFlow}; refreshes do without it.
         */
        public LegacyBuilder appId(String appId) {
            this.appId = appId;
            return this;
        }

        /**
         * Where a linked account is named: {@code GET} with the new access token, the answer's {@code id} is the
         * identity's external user id. Default {@link AzureDevOps#LEGACY_PROFILE_URL}; https unless loopback
         * (tests).
         */
        public LegacyBuilder profileUrl(String profileUrl) {
            this.profileUrl = profileUrl;
            return this;
        }

        /**
         * The scopes an authorization asks for unless the flow names others, space-separated, e.g.
         * {@code vso.code vso.project}: exactly the scopes registered for the app (Azure DevOps refuses others).
         */
        public LegacyBuilder scope(String scope) {
            this.scope = scope;
            return this;
        }

        /** Replaces {@link #LEGACY_TOKEN_URL} (tests on loopback, an egress proxy); must be https except on loopback. */
        public LegacyBuilder tokenUrl(String tokenUrl) {
            settings.tokenUrl(tokenUrl);
            return this;
        }

        /** Replaces {@link #LEGACY_AUTHORIZATION_URL} (tests on loopback); must be https except on loopback. */
        public LegacyBuilder authorizationUrl(String authorizationUrl) {
            settings.authorizationUrl(authorizationUrl);
            return this;
        }

        public LegacyBuilder providerKey(String providerKey) {
            settings.providerKey(providerKey);
            return this;
        }

        /** The client to share connection pools with; redirects are turned off for token requests. */
        public LegacyBuilder httpClient(OkHttpClient httpClient) {
            settings.httpClient(httpClient);
            return this;
        }

        /** Where the request start time, and hence the expiry, comes from. */
        public LegacyBuilder clock(Clock clock) {
            settings.clock(clock);
            return this;
        }

        public LegacyBuilder maxResponseBytes(int maxResponseBytes) {
            settings.maxResponseBytes(maxResponseBytes);
            return this;
        }

        /**
         * @throws IllegalArgumentException if the secret or redirect URI is missing, or the token or authorization
         *     URL is insecure
         */
        public OAuth2Provider build() {
            if (clientSecret == null || clientSecret.isBlank()) {
                throw new IllegalArgumentException("clientSecret is required: the Client Secret of the Azure DevOps"
                        + " app registration (not the App ID)");
            }
            if (redirectUri == null || redirectUri.isBlank()) {
                throw new IllegalArgumentException("redirectUri is required: Azure DevOps refuses a refresh without"
                        + " the authorization callback URL registered for the app");
            }
            if (HttpUrl.parse(redirectUri) == null) {
                throw new IllegalArgumentException("redirectUri must be the absolute http(s) callback URL registered"
                        + " for the app: " + redirectUri);
            }
            if (appId != null && appId.isBlank()) {
                throw new IllegalArgumentException("appId must not be blank: the App ID of the Azure DevOps app"
                        + " registration, or leave it unset when this provider only refreshes");
            }
            return new LegacyAzureDevOpsProvider(settings
                    .clientId(appId)
                    .clientSecret(clientSecret)
                    .scopes(splitScope(scope))
                    .build(), redirectUri, Endpoints.requireSecure(profileUrl, "profile URL"));
        }
    }

    /** Builds the Entra ID provider for Azure DevOps. Not thread-safe; build on one thread. */
    public static final class EntraBuilder {
        private final OAuth2Settings.Builder settings = OAuth2Settings.builder()
                .providerKey(ENTRA_KEY)
                .clientAuthentication(ClientAuthentication.CLIENT_SECRET_POST);
        private final String tenant;
        private String authorityHost = ENTRA_AUTHORITY_HOST;
        private String clientId;
        private String clientSecret;
        private String scope = DEFAULT_ENTRA_SCOPE;

        private EntraBuilder(String tenant) {
            this.tenant = tenant;
        }

        /** The application (client) id of the Entra app registration. Required. */
        public EntraBuilder clientId(String clientId) {
            this.clientId = clientId;
            return this;
        }

        /** The client secret's Value (not its Secret ID). Required. */
        public EntraBuilder clientSecret(String clientSecret) {
            this.clientSecret = clientSecret;
            return this;
        }

        /** Replaces {@link #DEFAULT_ENTRA_SCOPE}; space-separated, e.g. {@code 499b84ac-.../vso.code offline_access}. */
        public EntraBuilder scope(String scope) {
            this.scope = scope;
            return this;
        }

        /**
         * Replaces {@link #ENTRA_AUTHORITY_HOST}: a national cloud ({@code https://login.microsoftonline.us}) or a
         * loopback server in tests. The token URL is {@code <host>/<tenant>/oauth2/v2.0/token}, the authorization
         * URL {@code <host>/<tenant>/oauth2/v2.0/authorize}.
         */
        public EntraBuilder authorityHost(String authorityHost) {
            this.authorityHost = authorityHost;
            return this;
        }

        public EntraBuilder providerKey(String providerKey) {
            settings.providerKey(providerKey);
            return this;
        }

        /** The client to share connection pools with; redirects are turned off for token requests. */
        public EntraBuilder httpClient(OkHttpClient httpClient) {
            settings.httpClient(httpClient);
            return this;
        }

        /** Where the request start time, and hence the expiry, comes from. */
        public EntraBuilder clock(Clock clock) {
            settings.clock(clock);
            return this;
        }

        public EntraBuilder maxResponseBytes(int maxResponseBytes) {
            settings.maxResponseBytes(maxResponseBytes);
            return this;
        }

        /** @throws IllegalArgumentException if a required field is missing or malformed, or the host is insecure */
        public OAuth2Provider build() {
            if (tenant == null || !TENANT.matcher(tenant).matches()) {
                throw new IllegalArgumentException("tenant must be an Entra tenant id (GUID), a verified domain or"
                        + " 'organizations': " + tenant);
            }
            if (clientId == null || clientId.isBlank()) {
                throw new IllegalArgumentException("clientId is required: the Application (client) ID of the Entra"
                        + " app registration");
            }
            if (clientSecret == null || clientSecret.isBlank()) {
                throw new IllegalArgumentException("clientSecret is required: the Value of a client secret of the"
                        + " Entra app registration (not its Secret ID)");
            }
            if (scope == null || scope.isBlank()) {
                throw new IllegalArgumentException("scope is required, e.g. " + DEFAULT_ENTRA_SCOPE);
            }
            HttpUrl tenantUrl = Endpoints.requireSecure(authorityHost, "Entra authority host").newBuilder()
                    .addPathSegment(tenant)
                    .query(null)
                    .build();
            return new EntraAzureDevOpsProvider(settings
                    .tokenUrl(tenantUrl.newBuilder().addPathSegments("oauth2/v2.0/token").build().toString())
                    .authorizationUrl(tenantUrl.newBuilder().addPathSegments("oauth2/v2.0/authorize").build().toString())
                    .clientId(clientId)
                    .clientSecret(clientSecret)
                    .scopes(splitScope(scope))
                    .build(), scope.trim());
        }
    }
}
