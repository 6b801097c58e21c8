package org.oauthidentity.providers.gitlab;

import java.time.Clock;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import org.oauthidentity.Identity;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.RefreshException;
import org.oauthidentity.RefreshException.Details;
import org.oauthidentity.authorize.AccountLookup;
import org.oauthidentity.authorize.CodeExchange;
import org.oauthidentity.oauth2.ClientAuthentication;
import org.oauthidentity.oauth2.Endpoints;
import org.oauthidentity.oauth2.ErrorResponse;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.oauth2.OAuth2Settings;
import org.oauthidentity.oauth2.TokenResponse;

/**
 * GitLab.com and self-managed GitLab. One provider serves many instances: each identity names its
 * instance in the extra {@link #BASE_URL_EXTRA} (absent: the configured default, {@link #GITLAB_COM} unless
 * set), and the refresh goes to that instance's {@code /oauth/token}, sub-path included
 * ({@code https://example.com/gitlab/oauth/token}).
 *
 * <p>Requests: {@code grant_type=refresh_token}, {@code refresh_token}, {@code redirect_uri},
 * {@code client_id} and {@code client_secret} in the form body (never HTTP Basic). Client credentials and
 * the redirect URI are required when building, so no refresh ever goes out without them (GitLab answers
 * such a request with {@code invalid_grant}, which would wrongly condemn the identity).
 *
 * <p>Every refresh rotates: GitLab revokes the old access and refresh tokens, and the old refresh token
 * answers {@code invalid_grant} from then on. Refresh through {@code IdentityRefresher} (single flight and
 * compare-and-set on the store), never from two places at once.
 *
 * <p>Expiry is GitLab's {@code created_at} + {@code expires_in}, by core's one rule: {@code created_at} is held
 * within the request's start and end, so a GitLab clock ahead of or behind ours neither stretches nor shortens the
 * lifetime. GitLab before 15.0 sends no {@code expires_in}, so the expiry is unknown and only a 401 triggers a
 * refresh.
 *
 * <p>Errors follow the core mapping: {@code invalid_grant} (400, or 401 on older GitLab) means the identity
 * is gone; {@code invalid_client} (401), and a 401 without an error code (a wrong secret, a gateway's
 * challenge), are our configuration; other structured errors, including the 401 {@code invalid_request} of older
 * GitLab, are a {@link org.oauthidentity.RefreshRejectedException}, never a revocation.
 *
 * <p>Linking an account ({@link org.oauthidentity.authorize.AuthorizationFlow}): the standard code flow with
 * PKCE (S256) at the default instance's {@code /oauth/authorize}, the code redeemed at its {@code /oauth/token}
 * with the client credentials in the form. An OAuth application belongs to one instance, so link through one
 * provider (and one flow, each with its own provider key) per instance; every identity it creates names that
 * instance in {@link #BASE_URL_EXTRA}, so its refreshes go there whatever the default later becomes.
 *
 * <p>Immutable and thread-safe. The instance of an identity is never taken from a token response, and an
 * identity naming an insecure, malformed or (with {@link Builder#allowedHosts}) unlisted instance fails
 * with {@link ProviderConfigurationException} before anything is sent.
 */
public final class GitLabProvider extends OAuth2Provider {
    /** The identity extra naming its GitLab instance's base URL, e.g. {@code https://example.com/gitlab}. */
    public static final String BASE_URL_EXTRA = "gitlab_base_url";
    /** The default instance. */
    public static final String GITLAB_COM = "https://gitlab.com";
    /** The default provider key. */
    public static final String DEFAULT_PROVIDER_KEY = "gitlab";

    private final HttpUrl defaultBaseUrl;
    private final String redirectUri;
    private final Set<String> allowedHosts;

    private GitLabProvider(OAuth2Settings settings, HttpUrl defaultBaseUrl, String redirectUri, Set<String> allowedHosts) {
        super(settings);
        this.defaultBaseUrl = defaultBaseUrl;
        this.redirectUri = redirectUri;
        this.allowedHosts = allowedHosts;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * The normalised base URL of the identity's instance (its path ends in {@code /}), e.g. to build API
     * URLs such as {@code baseUrl(identity).resolve("api/v4/user")}.
     *
     * @throws ProviderConfigurationException the identity names an unusable instance
     */
    public HttpUrl baseUrl(Identity identity) throws ProviderConfigurationException {
        String named = identity.extras().get(BASE_URL_EXTRA);
        if (named == null) {
            return defaultBaseUrl;
        }
        try {
            return InstanceUrls.normalise(named, allowedHosts);
        } catch (IllegalArgumentException e) {
            // This identity's problem only: a validation sweep marks it and goes on with the others.
            throw ProviderConfigurationException.forOneIdentity(Details.of("identity " + identity.id()
                    + " names an unusable GitLab instance in '" + BASE_URL_EXTRA + "': " + e.getMessage()));
        }
    }

    /**
     * The instance is the identity's, never the response's: every refresh keeps it, and a response naming one
     * cannot send the next refresh (and our client secret) elsewhere.
     */
    @Override
    protected Set<String> identityExtras() {
        return Set.of(BASE_URL_EXTRA);
    }

    @Override
    protected HttpUrl tokenUrl(Identity identity) throws RefreshException {
        return baseUrl(identity).resolve("oauth/token");
    }

    @Override
    protected HttpUrl revocationUrl(Identity identity) throws RefreshException {
        return baseUrl(identity).resolve("oauth/revoke");
    }

    @Override
    protected Map<String, String> refreshParameters(Identity identity, String refreshToken) throws RefreshException {
        Map<String, String> form = super.refreshParameters(identity, refreshToken);
        form.put("redirect_uri", redirectUri); // documented as required by GitLab for this grant
        return form;
    }

    /**
     * Codes are redeemed at the default instance: the new identity is pinned to it, so its refreshes go there. Its
     * account is the {@code id} of {@code GET /api/v4/user} on that same instance, asked with the new access token
     * (any of the scopes {@code read_user}, {@code read_api} or {@code api} allows it).
     *
     * @throws org.oauthidentity.authorize.AccountLookupException that call failed: the link fails and the flow
     *     revokes the new grant
     */
    @Override
    protected Identity newIdentity(CodeExchange exchange, TokenResponse response) throws RefreshException {
        Identity issued = super.newIdentity(exchange, response).toBuilder()
                .refreshToken(response.refreshToken().orElse(null))
                .extra(BASE_URL_EXTRA, defaultBaseUrl.toString())
                .build();
        return AccountLookup.fromUserApi(settings.httpClient(), baseUrl(issued).resolve("api/v4/user"), "id", issued,
                settings.maxResponseBytes());
    }

    @Override
    protected RefreshException mapError(ErrorResponse e) {
        RefreshException mapped = super.mapError(e);
        if (mapped instanceof ProviderConfigurationException) {
            return new ProviderConfigurationException(details(e).hint("GitLab rejected this application for provider '"
                    + key() + "': check the application ID and secret of the OAuth application registered on that "
                    + "instance (they differ per instance); identities are not affected"));
        }
        return mapped;
    }

    @Override
    public String toString() {
        return "GitLabProvider{key=" + key() + ", defaultBaseUrl=" + Endpoints.display(defaultBaseUrl) + ", clientId="
                + settings.clientId() + ", allowedHosts=" + (allowedHosts.isEmpty() ? "any" : allowedHosts) + '}';
    }

    /** Not thread-safe; build on one thread. {@link #build()} validates everything. */
    public static final class Builder {
        private final OAuth2Settings.Builder settings = OAuth2Settings.builder()
                .providerKey(DEFAULT_PROVIDER_KEY)
                .clientAuthentication(ClientAuthentication.CLIENT_SECRET_POST);
        private String baseUrl = GITLAB_COM;
        private String redirectUri;
        private final Set<String> allowedHosts = new HashSet<>();

        private Builder() {
        }

        /** Default {@value GitLabProvider#DEFAULT_PROVIDER_KEY}. */
        public Builder providerKey(String providerKey) {
            settings.providerKey(providerKey);
            return this;
        }

        /**
         * The instance of identities without {@link GitLabProvider#BASE_URL_EXTRA}, and the one accounts are linked
         * at; default {@value GitLabProvider#GITLAB_COM}.
         */
        public Builder baseUrl(String baseUrl) {
            this.baseUrl = baseUrl;
            return this;
        }

        /** The OAuth application's ID. Required. */
        public Builder clientId(String clientId) {
            settings.clientId(clientId);
            return this;
        }

        /** The OAuth application's secret. Required. */
        public Builder clientSecret(String clientSecret) {
            settings.clientSecret(clientSecret);
            return this;
        }

        /**
         * The scopes an authorization asks for unless the flow names others, e.g. {@code api}, {@code read_user};
         * none by default (GitLab then grants the application's default scopes).
         */
        public Builder scopes(String... scopes) {
            settings.scopes(List.of(scopes));
            return this;
        }

        /** The callback registered with the OAuth application. Required: GitLab documents it for refreshes. */
        public Builder redirectUri(String redirectUri) {
            this.redirectUri = redirectUri;
            return this;
        }

        /**
         * Restricts the instances identities may name to these hosts (bare names, e.g.
         * {@code gitlab.example.com}); the default instance is always allowed. Without it, any https host is
         * accepted, and the client secret goes wherever an identity points.
         */
        public Builder allowedHosts(Collection<String> hosts) {
            allowedHosts.addAll(InstanceUrls.hosts(hosts));
            return this;
        }

        /** As {@link #allowedHosts(Collection)}. */
        public Builder allowedHosts(String... hosts) {
            return allowedHosts(Arrays.asList(hosts));
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

        /** @throws IllegalArgumentException naming what is missing, malformed or insecure */
        public GitLabProvider build() {
            HttpUrl base = InstanceUrls.normalise(baseUrl, Set.of());
            if (redirectUri == null || redirectUri.isBlank()) {
                throw new IllegalArgumentException("redirectUri is required: GitLab expects the registered callback");
            }
            if (HttpUrl.parse(redirectUri.trim()) == null) {
                throw new IllegalArgumentException("redirectUri is not an absolute http(s) URL");
            }
            Set<String> hosts = new HashSet<>(allowedHosts);
            if (!hosts.isEmpty()) {
                hosts.add(base.host());
            }
            OAuth2Settings built = settings
                    .tokenUrl(base.resolve("oauth/token").toString())
                    .revocationUrl(base.resolve("oauth/revoke").toString())
                    .authorizationUrl(base.resolve("oauth/authorize").toString())
                    .build();
            return new GitLabProvider(built, base, redirectUri.trim(), Set.copyOf(hosts));
        }
    }
}
