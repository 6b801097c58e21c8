package org.oauthidentity.oauth2;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an {@link OAuth2Provider} needs to talk to one vendor's token endpoint. Immutable; validated when
 * built (https endpoints except on loopback and on hosts named with
 * {@link Builder#dangerouslyAllowPlainHttp(String)}, required fields present), so a misconfiguration fails at
 * start-up, not at the first refresh. Endpoint URLs may not carry a user name or password.
 * {@link #toString()} never prints the client secret, nor a URL's user name, password, query or fragment.
 *
 * <p>The HTTP client of token requests: without {@link Builder#httpClient(OkHttpClient)}, one client shared by
 * every settings object that was given none, with
 * <ul>
 *   <li>connect timeout {@link #DEFAULT_CONNECT_TIMEOUT} (10 s): a failure here is an ordinary transient failure,
 *       nothing was sent;</li>
 *   <li>read and write timeouts {@link #DEFAULT_READ_TIMEOUT} and {@link #DEFAULT_WRITE_TIMEOUT} (15 s each):
 *       a read timeout once the request was sent is an unknown outcome
 *       ({@link org.oauthidentity.RefreshOutcomeUnknownException}: a vendor that rotates may have retired the refresh
 *       token), so it is set well above a token endpoint's usual answer time rather than tight;</li>
 *   <li>call timeout {@link #DEFAULT_CALL_TIMEOUT} (60 s): the bound of the whole call, connection, TLS, request
 *       and answer included, so that no token request hangs forever.</li>
 * </ul>
 * A client given to the builder keeps its own timeouts, except an unbounded call timeout (OkHttp's default),
 * which becomes {@link #DEFAULT_CALL_TIMEOUT} for token requests. Either way redirects are turned off.
 */
public final class OAuth2Settings {
    /** Token responses larger than this are refused without being read further. */
    public static final int DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;
    /** Connect timeout of the default HTTP client. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** Read timeout of the default HTTP client: the longest silence while an answer is awaited or read. */
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(15);
    /** Write timeout of the default HTTP client. */
    public static final Duration DEFAULT_WRITE_TIMEOUT = Duration.ofSeconds(15);
    /** Bound of a whole token request, for the default client and for a given client that has none. */
    public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(60);

    private static final Logger log = LoggerFactory.getLogger(OAuth2Settings.class);
    private static final OkHttpClient SHARED_CLIENT = new OkHttpClient.Builder()
            .connectTimeout(DEFAULT_CONNECT_TIMEOUT)
            .readTimeout(DEFAULT_READ_TIMEOUT)
            .writeTimeout(DEFAULT_WRITE_TIMEOUT)
            .callTimeout(DEFAULT_CALL_TIMEOUT)
            .build();

    private final String providerKey;
    private final HttpUrl tokenUrl;
    private final HttpUrl revocationUrl;
    private final String clientId;
    private final String clientSecret;
    private final ClientAuthentication clientAuthentication;
    private final OkHttpClient httpClient;
    private final Clock clock;
    private final int maxResponseBytes;
    private final HttpUrl authorizationUrl;
    private final List<String> scopes;
    private final Set<String> plainHttpHosts;

    private OAuth2Settings(Builder b) {
        this.providerKey = requireText(b.providerKey, "providerKey");
        this.plainHttpHosts = Set.copyOf(b.plainHttpHosts);
        this.tokenUrl = b.tokenUrl == null ? null : Endpoints.requireSecure(b.tokenUrl, "token URL", plainHttpHosts);
        this.revocationUrl = b.revocationUrl == null ? null
                : Endpoints.requireSecure(b.revocationUrl, "revocation URL", plainHttpHosts);
        this.clientAuthentication = Objects.requireNonNull(b.clientAuthentication, "clientAuthentication");
        if (clientAuthentication != ClientAuthentication.NONE) {
            requireText(b.clientId, "clientId");
            requireText(b.clientSecret, "clientSecret");
        }
        this.clientId = b.clientId;
        this.clientSecret = b.clientSecret;
        // A token endpoint that redirects is misconfigured; following it would replay the form elsewhere.
        OkHttpClient.Builder http = (b.httpClient == null ? SHARED_CLIENT : b.httpClient).newBuilder()
                .followRedirects(false)
                .followSslRedirects(false);
        if (b.httpClient != null && b.httpClient.callTimeoutMillis() == 0) {
            http.callTimeout(DEFAULT_CALL_TIMEOUT);
        }
        this.httpClient = http.build();
        this.clock = Objects.requireNonNull(b.clock, "clock");
        if (b.maxResponseBytes < 1024) {
            throw new IllegalArgumentException("maxResponseBytes must be at least 1024");
        }
        this.maxResponseBytes = b.maxResponseBytes;
        this.authorizationUrl = b.authorizationUrl == null ? null
                : Endpoints.requireSecure(b.authorizationUrl, "authorization URL", plainHttpHosts);
        this.scopes = List.copyOf(b.scopes);
        for (String host : plainHttpHosts) {
            if (!b.plainHttpHostsWarned.contains(host)) {
                log.warn("provider '{}' may send client secrets and tokens to {} over plain http, unencrypted "
                        + "(dangerouslyAllowPlainHttp): for a test environment only, never in production", providerKey, host);
            }
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.providerKey = providerKey;
        b.tokenUrl = tokenUrl == null ? null : tokenUrl.toString();
        b.revocationUrl = revocationUrl == null ? null : revocationUrl.toString();
        b.clientId = clientId;
        b.clientSecret = clientSecret;
        b.clientAuthentication = clientAuthentication;
        b.httpClient = httpClient;
        b.clock = clock;
        b.maxResponseBytes = maxResponseBytes;
        b.authorizationUrl = authorizationUrl == null ? null : authorizationUrl.toString();
        b.scopes = scopes;
        b.plainHttpHosts.addAll(plainHttpHosts);
        b.plainHttpHostsWarned.addAll(plainHttpHosts); // warned when these settings were built
        return b;
    }

    public String providerKey() {
        return providerKey;
    }

    /** May be null for providers that derive the URL from each identity (self-managed GitLab). */
    public HttpUrl tokenUrl() {
        return tokenUrl;
    }

    public HttpUrl revocationUrl() {
        return revocationUrl;
    }

    public String clientId() {
        return clientId;
    }

    public String clientSecret() {
        return clientSecret;
    }

    public ClientAuthentication clientAuthentication() {
        return clientAuthentication;
    }

    public OkHttpClient httpClient() {
        return httpClient;
    }

    public Clock clock() {
        return clock;
    }

    public int maxResponseBytes() {
        return maxResponseBytes;
    }

    /** The vendor's authorization endpoint (RFC 6749 §3.1); null when this provider only refreshes. */
    public HttpUrl authorizationUrl() {
        return authorizationUrl;
    }

    /** The scopes an authorization asks for when the caller names none; may be empty. */
    public List<String> scopes() {
        return scopes;
    }

    /**
     * The hosts this provider may reach over plain http besides loopback
     * ({@link Builder#dangerouslyAllowPlainHttp(String)}); usually empty. Pass them to
     * {@link Endpoints#requireSecure(HttpUrl, String, Set)} when checking a URL derived at run time.
     */
    public Set<String> plainHttpHosts() {
        return plainHttpHosts;
    }

    @Override
    public String toString() {
        return "OAuth2Settings{provider=" + providerKey + ", tokenUrl="
                + (tokenUrl == null ? null : Endpoints.display(tokenUrl)) + ", clientId=" + clientId
                + ", clientSecret=<redacted>, clientAuthentication=" + clientAuthentication + '}';
    }

    private static String requireText(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " is required");
        }
        return value;
    }

    /** Not thread-safe; build on one thread. */
    public static final class Builder {
        private String providerKey;
        private String tokenUrl;
        private String revocationUrl;
        private String clientId;
        private String clientSecret;
        private ClientAuthentication clientAuthentication = ClientAuthentication.CLIENT_SECRET_BASIC;
        private OkHttpClient httpClient;
        private Clock clock = Clock.systemUTC();
        private int maxResponseBytes = DEFAULT_MAX_RESPONSE_BYTES;
        private String authorizationUrl;
        private List<String> scopes = List.of();
        private final Set<String> plainHttpHosts = new LinkedHashSet<>();
        private final Set<String> plainHttpHostsWarned = new LinkedHashSet<>();

        private Builder() {
        }

        public Builder providerKey(String providerKey) {
            this.providerKey = providerKey;
            return this;
        }

        public Builder tokenUrl(String tokenUrl) {
            this.tokenUrl = tokenUrl;
            return this;
        }

        public Builder revocationUrl(String revocationUrl) {
            this.revocationUrl = revocationUrl;
            return this;
        }

        public Builder clientId(String clientId) {
            this.clientId = clientId;
            return this;
        }

        public Builder clientSecret(String clientSecret) {
            this.clientSecret = clientSecret;
            return this;
        }

        public Builder clientAuthentication(ClientAuthentication clientAuthentication) {
            this.clientAuthentication = clientAuthentication;
            return this;
        }

        /**
         * The client to share connection pools with; its redirects are turned off for token requests, and an
         * unbounded call timeout becomes {@link OAuth2Settings#DEFAULT_CALL_TIMEOUT}. Default: a shared client with
         * the timeouts in the class comment.
         */
        public Builder httpClient(OkHttpClient httpClient) {
            this.httpClient = httpClient;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        public Builder maxResponseBytes(int maxResponseBytes) {
            this.maxResponseBytes = maxResponseBytes;
            return this;
        }

        /** The authorization endpoint, for {@code AuthorizationFlow}; https except on loopback. Optional. */
        public Builder authorizationUrl(String authorizationUrl) {
            this.authorizationUrl = authorizationUrl;
            return this;
        }

        /** Default scopes of an authorization. */
        public Builder scopes(List<String> scopes) {
            this.scopes = List.copyOf(scopes);
            return this;
        }

        /**
         * Lets the endpoints on {@code host} (a bare name such as {@code gitlab.ci.internal}, no scheme or port) use
         * plain http: the client secret, codes and tokens then cross the network unencrypted. For a test environment
         * only (a vendor server in a container next to the tests); each host is named on its own, there is no
         * wildcard, and building logs a WARN for each. Without it, plain http is refused except on loopback.
         *
         * @throws IllegalArgumentException {@code host} is not a bare host name
         */
        public Builder dangerouslyAllowPlainHttp(String host) {
            plainHttpHosts.add(Endpoints.hostName(host));
            return this;
        }

        /** @throws IllegalArgumentException naming what is missing or insecure */
        public OAuth2Settings build() {
            return new OAuth2Settings(this);
        }
    }
}
