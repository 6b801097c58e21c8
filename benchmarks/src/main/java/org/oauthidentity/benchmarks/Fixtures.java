package org.oauthidentity.benchmarks;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityStore;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.oauth2.OAuth2Settings;

/** The identities, provider and clients every benchmark builds the same way. */
final class Fixtures {
    static final String PROVIDER_KEY = "bench";

    private Fixtures() {
    }

    /** Stores a new identity whose access token expires at {@code expiresAt}; returns the stored copy. */
    static Identity storeIdentity(IdentityStore store, String id, Instant expiresAt) {
        return store.create(Identity.builder()
                .id(id)
                .providerKey(PROVIDER_KEY)
                .externalUserId("user-" + id)
                .accessToken("bench-access-0")
                .refreshToken("bench-refresh-0")
                .tokenType("Bearer")
                .expiresAt(expiresAt)
                .build());
    }

    /** A generic RFC 6749 provider against the loopback token endpoint, over {@code client}'s pool. */
    static OAuth2Provider provider(TokenEndpoint endpoint, OkHttpClient client) {
        return provider(endpoint, client, Clock.systemUTC());
    }

    /** As {@link #provider(TokenEndpoint, OkHttpClient)}, computing expiries from {@code clock}. */
    static OAuth2Provider provider(TokenEndpoint endpoint, OkHttpClient client, Clock clock) {
        return provider(endpoint.url(), client, clock);
    }

    /** As above, for a token endpoint running in another process. */
    static OAuth2Provider provider(String tokenUrl, OkHttpClient client, Clock clock) {
        return OAuth2Provider.create(OAuth2Settings.builder()
                .providerKey(PROVIDER_KEY)
                .tokenUrl(tokenUrl)
                .clientId("bench-client")
                .clientSecret("bench-client-secret")
                .httpClient(client)
                .clock(clock)
                .build());
    }

    /** An OkHttpClient whose pool keeps up to {@code idle} idle connections, so connections are reused. */
    static OkHttpClient client(int idle) {
        return new OkHttpClient.Builder()
                .connectionPool(new ConnectionPool(idle, 5, TimeUnit.MINUTES))
                .build();
    }

    /** Executes a GET and reads the whole body, as an API client would. */
    static String get(Call.Factory client, Request request) throws IOException {
        try (Response response = client.newCall(request).execute()) {
            if (response.code() != 200) {
                throw new IOException("the API answered " + response.code());
            }
            return response.body().string();
        }
    }

    static void shutdown(OkHttpClient client) {
        client.connectionPool().evictAll();
        client.dispatcher().executorService().shutdown();
    }
}
