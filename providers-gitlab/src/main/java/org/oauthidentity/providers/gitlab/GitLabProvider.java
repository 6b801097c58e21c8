package org.oauthidentity.providers.gitlab;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import org.oauthidentity.Identity;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.RefreshException;
import org.oauthidentity.RefreshException.Details;
import org.oauthidentity.authorize.AuthorizationCodeProvider;
import org.oauthidentity.authorize.AuthorizationRequest;
import org.oauthidentity.authorize.CodeExchange;
import org.oauthidentity.oauth2.ClientAuthentication;
import org.oauthidentity.oauth2.Endpoints;
import org.oauthidentity.oauth2.OAuth2Settings;

/**
 * GitLab.com and self-managed GitLab. One provider serves one or more instances, each with the OAuth
 * application registered there: the default ({@link Builder#baseUrl}, {@link #GITLAB_COM} unless set, with the
 * builder's client id, secret and redirect URI) and any added with {@link Builder#instance}. Each identity names its
 * instance in the extra {@link #BASE_URL_EXTRA} (absent: the default), and its refresh goes to that instance's
 * {@code /oauth/token}, sub-path included ({@code https://example.com/gitlab/oauth/token}), with that instance's
 * client credentials.
 *
 * <p>The client secret goes only where it was configured to go. An identity naming an instance that is not one of
 * the provider's (compared as normalised base URLs), nor on a host of {@link Builder#allowedHosts} (which use the
 * default application), fails with {@link ProviderConfigurationException#forOneIdentity} before anything is sent;
 * so does one naming an insecure or malformed URL. The instance of an identity is never taken from a token
 * response.
 *
 * <p>Requests: {@code grant_type=refresh_token}, {@code refresh_token}, {@code redirect_uri} (the instance's),
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
 * PKCE (S256) at an instance's {@code /oauth/authorize}, the code redeemed at its {@code /oauth/token} with its
 * client credentials in the form. The flow's redirect URI picks the instance: the one registered with that redirect
 * URI, else the default; so each instance has its own redirect URI, and one flow serves them all. Every identity a
 * flow creates names its instance in {@link #BASE_URL_EXTRA}. Its account ({@link Identity#externalUserId()}) is
 * GitLab's user id, qualified on a non-default instance as {@code id@host[:port]/path} because user ids of two
 * instances collide.
 *
 * <p>Immutable and thread-safe.
 */
public final class GitLabProvider implements AuthorizationCodeProvider {
    /** The identity extra naming its GitLab instance's base URL, e.g. {@code https://example.com/gitlab}. */
    public static final String BASE_URL_EXTRA = "gitlab_base_url";
    /** The default instance. */
    public static final String GITLAB_COM = "https://gitlab.com";
    /** The default provider key. */
    public static final String DEFAULT_PROVIDER_KEY = "gitlab";

    private final GitLabInstance defaultInstance;
    /** Every instance by its normalised base URL, the default first. */
    private final Map<HttpUrl, GitLabInstance> instances;
    private final Map<String, GitLabInstance> byRedirectUri;
    private final Set<String> allowedHosts;

    private GitLabProvider(List<GitLabInstance> instances, Set<String> allowedHosts) {
        this.defaultInstance = instances.get(0);
        Map<HttpUrl, GitLabInstance> byBase = new LinkedHashMap<>();
        Map<String, GitLabInstance> byRedirect = new LinkedHashMap<>();
        for (GitLabInstance instance : instances) {
            if (byBase.put(instance.baseUrl(), instance) != null) {
                throw new IllegalArgumentException("GitLab instance " + Endpoints.display(instance.baseUrl())
                        + " is configured twice");
            }
            if (byRedirect.put(instance.redirectUri(), instance) != null) {
                throw new IllegalArgumentException("GitLab instances " + Endpoints.display(instance.baseUrl())
                        + " and " + Endpoints.display(byRedirect.get(instance.redirectUri()).baseUrl()) + " share the "
                        + "redirect URI " + instance.redirectUri() + ": each instance needs its own, since it tells an "
                        + "authorization flow which instance it is for");
            }
        }
        this.instances = byBase;
        this.byRedirectUri = byRedirect;
        this.allowedHosts = allowedHosts;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String key() {
        return defaultInstance.key();
    }

    /**
     * The normalised base URL of the identity's instance (its path ends in {@code /}), e.g. to build API
     * URLs such as {@code baseUrl(identity).resolve("api/v4/user")}.
     *
     * @throws ProviderConfigurationException the identity names an instance this provider does not serve, or an
     *     unusable URL ({@link ProviderConfigurationException#concernsOneIdentity()})
     */
    public HttpUrl baseUrl(Identity identity) throws ProviderConfigurationException {
        return instanceOf(identity).baseUrl;
    }

    @Override
    public Identity refresh(Identity identity) throws RefreshException {
        return instanceOf(identity).instance.refresh(identity);
    }

    /** Revokes the grant at the identity's instance ({@code /oauth/revoke}); GitLab ends both tokens. */
    @Override
    public void revoke(Identity identity) throws RefreshException {
        instanceOf(identity).instance.revoke(identity);
    }

    /** At the instance whose redirect URI the request carries, else the default instance. */
    @Override
    public HttpUrl authorizeUrl(AuthorizationRequest request) throws ProviderConfigurationException {
        return forRedirectUri(request.redirectUri()).authorizeUrl(request);
    }

    /** At the instance whose redirect URI the exchange carries (the flow's), else the default instance. */
    @Override
    public Identity exchangeCode(CodeExchange exchange) throws RefreshException {
        return forRedirectUri(exchange.redirectUri()).exchangeCode(exchange);
    }

    @Override
    public boolean supportsPkce() {
        return true;
    }

    /** The default instance's application, for tests. */
    GitLabInstance defaultInstance() {
        return defaultInstance;
    }

    private GitLabInstance forRedirectUri(String redirectUri) {
        return byRedirectUri.getOrDefault(redirectUri, defaultInstance);
    }

    /** An identity's instance and the application that serves it; refused before anything is sent. */
    private Routed instanceOf(Identity identity) throws ProviderConfigurationException {
        HttpUrl base = InstanceUrls.of(identity, defaultInstance.baseUrl(), defaultInstance.settings().plainHttpHosts());
        GitLabInstance registered = instances.get(base);
        if (registered != null) {
            return new Routed(base, registered);
        }
        if (allowedHosts.contains(base.host())) {
            return new Routed(base, defaultInstance);
        }
        throw ProviderConfigurationException.forOneIdentity(Details.of("identity " + identity.id() + " names the GitLab"
                + " instance " + Endpoints.display(base) + " in '" + BASE_URL_EXTRA + "', which provider '" + key()
                + "' does not serve: nothing was sent")
                .hint("register that instance's OAuth application with instance(baseUrl, clientId, clientSecret,"
                        + " redirectUri), or, if it shares the default instance's application, name its host in"
                        + " allowedHosts"));
    }

    private static final class Routed {
        final HttpUrl baseUrl;
        final GitLabInstance instance;

        Routed(HttpUrl baseUrl, GitLabInstance instance) {
            this.baseUrl = baseUrl;
            this.instance = instance;
        }
    }

    @Override
    public String toString() {
        List<String> others = new ArrayList<>();
        instances.values().stream().skip(1).forEach(i -> others.add(Endpoints.display(i.baseUrl())));
        return "GitLabProvider{key=" + key() + ", defaultBaseUrl=" + Endpoints.display(defaultInstance.baseUrl())
                + ", clientId=" + defaultInstance.settings().clientId() + ", instances=" + others + ", allowedHosts="
                + allowedHosts + ", plainHttpHosts=" + defaultInstance.settings().plainHttpHosts() + '}';
    }

    /** Not thread-safe; build on one thread. {@link #build()} validates everything. */
    public static final class Builder {
        private final OAuth2Settings.Builder settings = OAuth2Settings.builder()
                .providerKey(DEFAULT_PROVIDER_KEY)
                .clientAuthentication(ClientAuthentication.CLIENT_SECRET_POST);
        private String baseUrl = GITLAB_COM;
        private String redirectUri;
        private final Set<String> allowedHosts = new HashSet<>();
        private final Set<String> plainHttpHosts = new LinkedHashSet<>();
        private final List<String[]> instances = new ArrayList<>();

        private Builder() {
        }

        /** Default {@value GitLabProvider#DEFAULT_PROVIDER_KEY}. */
        public Builder providerKey(String providerKey) {
            settings.providerKey(providerKey);
            return this;
        }

        /**
         * The default instance: the one of identities without {@link GitLabProvider#BASE_URL_EXTRA}, and where
         * accounts are linked unless the flow's redirect URI is another instance's; default
         * {@value GitLabProvider#GITLAB_COM}. Its OAuth application is {@link #clientId}, {@link #clientSecret},
         * {@link #redirectUri}.
         */
        public Builder baseUrl(String baseUrl) {
            this.baseUrl = baseUrl;
            return this;
        }

        /** The default instance's OAuth application ID. Required. */
        public Builder clientId(String clientId) {
            settings.clientId(clientId);
            return this;
        }

        /** The default instance's OAuth application secret. Required. */
        public Builder clientSecret(String clientSecret) {
            settings.clientSecret(clientSecret);
            return this;
        }

        /**
         * The scopes an authorization asks for unless the flow names others, e.g. {@code api}, {@code read_user};
         * none by default (GitLab then grants the application's default scopes). The same on every instance.
         */
        public Builder scopes(String... scopes) {
            settings.scopes(List.of(scopes));
            return this;
        }

        /**
         * The callback registered with the default instance's OAuth application. Required: GitLab documents it for
         * refreshes.
         */
        public Builder redirectUri(String redirectUri) {
            this.redirectUri = redirectUri;
            return this;
        }

        /**
         * Adds a GitLab instance with the OAuth application registered there: identities naming this base URL are
         * refreshed and revoked with these credentials, and a flow whose redirect URI is {@code redirectUri} links
         * accounts here. The redirect URI must differ from every other instance's. None by default: only the
         * default instance is served.
         */
        public Builder instance(String baseUrl, String clientId, String clientSecret, String redirectUri) {
            instances.add(new String[] {baseUrl, clientId, clientSecret, redirectUri});
            return this;
        }

        /**
         * Hosts (bare names, e.g. {@code gitlab-geo.example.com}) whose instances use the default instance's OAuth
         * application: identities naming any base URL on them are served with the default client id and secret, so
         * name only hosts of the same GitLab (a Geo secondary, another name of the same server). None by default.
         */
        public Builder allowedHosts(Collection<String> hosts) {
            allowedHosts.addAll(InstanceUrls.hosts(hosts));
            return this;
        }

        /** As {@link #allowedHosts(Collection)}. */
        public Builder allowedHosts(String... hosts) {
            return allowedHosts(Arrays.asList(hosts));
        }

        /**
         * Lets instances on {@code host} (a bare name such as {@code gitlab.ci.internal}) be reached over plain
         * http: client secrets, codes and tokens then cross the network unencrypted. For a GitLab in a test
         * environment only; one host per call, no wildcard, and building logs a WARN. Without it, an instance must
         * use https (plain http only on loopback). It allows no instance by itself: the host's instance must still
         * be the default, an {@link #instance} or on an {@link #allowedHosts allowed host}.
         *
         * @see OAuth2Settings.Builder#dangerouslyAllowPlainHttp(String)
         */
        public Builder dangerouslyAllowPlainHttp(String host) {
            plainHttpHosts.add(Endpoints.hostName(host));
            return this;
        }

        /**
         * The client to share connection pools with; its redirects are turned off for token requests. Default: core's
         * shared client (see {@link OAuth2Settings} for its timeouts).
         */
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

        /** @throws IllegalArgumentException naming what is missing, malformed, insecure or configured twice */
        public GitLabProvider build() {
            HttpUrl base = InstanceUrls.normalise(baseUrl, plainHttpHosts);
            plainHttpHosts.forEach(settings::dangerouslyAllowPlainHttp);
            OAuth2Settings defaults = endpoints(settings, base).build();
            List<GitLabInstance> built = new ArrayList<>();
            built.add(new GitLabInstance(defaults, base, requireRedirectUri(redirectUri), true));
            for (String[] added : instances) {
                HttpUrl instanceBase = InstanceUrls.normalise(added[0], plainHttpHosts);
                // From the default's settings: the same key, client, clock and plain-http hosts (warned about once).
                OAuth2Settings own = endpoints(defaults.toBuilder(), instanceBase)
                        .clientId(added[1])
                        .clientSecret(added[2])
                        .build();
                built.add(new GitLabInstance(own, instanceBase, requireRedirectUri(added[3]), false));
            }
            return new GitLabProvider(built, Set.copyOf(allowedHosts));
        }

        private static OAuth2Settings.Builder endpoints(OAuth2Settings.Builder settings, HttpUrl base) {
            if (base.toString().length() > InstanceUrls.MAX_BASE_URL_CHARS) {
                throw new IllegalArgumentException("GitLab base URL is longer than " + InstanceUrls.MAX_BASE_URL_CHARS
                        + " characters: " + Endpoints.display(base));
            }
            return settings
                    .tokenUrl(base.resolve("oauth/token").toString())
                    .revocationUrl(base.resolve("oauth/revoke").toString())
                    .authorizationUrl(base.resolve("oauth/authorize").toString());
        }

        private static String requireRedirectUri(String redirectUri) {
            if (redirectUri == null || redirectUri.isBlank()) {
                throw new IllegalArgumentException("redirectUri is required: GitLab expects the registered callback");
            }
            if (HttpUrl.parse(redirectUri.trim()) == null) {
                throw new IllegalArgumentException("redirectUri is not an absolute http(s) URL");
            }
            return redirectUri.trim();
        }
    }
}
