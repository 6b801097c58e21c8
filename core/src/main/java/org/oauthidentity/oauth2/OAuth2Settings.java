package org.oauthidentity.oauth2;

import java.time.Clock;
import java.util.List;
import java.util.Objects;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;

/**
 * What an {@link OAuth2Provider} needs to talk to one vendor's token endpoint. Immutable; validated when
 * built (https endpoints except on loopback, required fields present), so a misconfiguration fails at
 * start-up, not at the first refresh. Endpoint URLs may not carry a user name or password.
 * {@link #toString()} never prints the client secret, nor a URL's user name, password, query or fragment.
 */
public final class OAuth2Settings {
    /** Token responses larger than this are refused without being read further. */
    public static final int DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;

    private static final OkHttpClient SHARED_CLIENT = new OkHttpClient();

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

    private OAuth2Settings(Builder b) {
        this.providerKey = requireText(b.providerKey, "providerKey");
        this.tokenUrl = b.tokenUrl == null ? null : Endpoints.requireSecure((String) b.tokenUrl, "token URL");
        this.revocationUrl = b.revocationUrl == null ? null : Endpoints.requireSecure((String) b.revocationUrl, "revocation URL");
        this.clientAuthentication = Objects.requireNonNull(b.clientAuthentication, "clientAuthentication");
        if (clientAuthentication != ClientAuthentication.NONE) {
            requireText(b.clientId, "clientId");
            requireText(b.clientSecret, "clientSecret");
        }
        this.clientId = b.clientId;
        this.clientSecret = b.clientSecret;
        // A token endpoint that redirects is misconfigured; following it would replay the form elsewhere.
        this.httpClient = (b.httpClient == null ? SHARED_CLIENT : b.httpClient).newBuilder()
                .followRedirects(false)
                .followSslRedirects(false)
                .build();
        this.clock = Objects.requireNonNull(b.clock, "clock");
        if (b.maxResponseBytes < 1024) {
            throw new IllegalArgumentException("maxResponseBytes must be at least 1024");
        }
        this.maxResponseBytes = b.maxResponseBytes;
        this.authorizationUrl = b.authorizationUrl == null ? null
                : Endpoints.requireSecure(b.authorizationUrl, "authorization URL");
        this.scopes = List.copyOf(b.scopes);
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

        /** The client to share connection pools with; its redirects are turned off for token requests. */
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

        /** @throws IllegalArgumentException naming what is missing or insecure */
        public OAuth2Settings build() {
            return new OAuth2Settings(this);
        }
    }
}
