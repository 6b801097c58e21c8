package org.oauthidentity.http;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockWebServer;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.oauthidentity.Identity;
import org.oauthidentity.oauth2.ClientAuthentication;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.oauth2.OAuth2Settings;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.refresh.RetryPolicy;
import org.oauthidentity.testing.ManualClock;

/**
 * The real parts every test here needs: a loopback vendor ({@link FakeVendor}: API and token endpoint on one
 * server, like GitLab), the generic OAuth2 provider pointed at it, a store, an {@link IdentityRefresher}
 * whose retries never sleep, a test clock shared by everything, and a manual background executor.
 */
final class Fixture implements AutoCloseable {
    static final Instant START = Instant.parse("2024-05-01T10:00:00Z");
    static final String ID = "gitlab-identity-1";
    /** The stored identity of a GitLab account, with GitLab's short opaque tokens of old. */
    static final String OLD_ACCESS = "123456789";
    static final String OLD_REFRESH = "0987654321";

    final ManualClock clock = ManualClock.at(START);
    final MockWebServer server = new MockWebServer();
    final FakeVendor vendor;
    final FlakyStore store = new FlakyStore();
    final RecordingListener listener = new RecordingListener();
    final ManualExecutor background = new ManualExecutor();
    /** The service's own client, the one it would give us. */
    final OkHttpClient http = new OkHttpClient.Builder()
            .connectionPool(new ConnectionPool(256, 5, TimeUnit.MINUTES))
            .build();
    final IdentityRefresher refresher;
    final OAuth2Provider provider;

    /** The vendor accepts {@code vendorAccess} at the API and {@link #OLD_REFRESH} at the token endpoint. */
    Fixture(String vendorAccess) throws IOException {
        vendor = new FakeVendor(clock, vendorAccess, OLD_REFRESH);
        server.setDispatcher(vendor);
        server.start();
        provider = OAuth2Provider.create(OAuth2Settings.builder()
                .providerKey("gitlab")
                .tokenUrl(server.url(FakeVendor.TOKEN_PATH).toString())
                .clientId("client-id").clientSecret("client-secret-value")
                .clientAuthentication(ClientAuthentication.CLIENT_SECRET_POST)
                .httpClient(http)
                .clock(clock)
                .build());
        refresher = IdentityRefresher.builder(store)
                .provider(provider)
                .leaseWait(Duration.ofSeconds(20))
                .retryPolicy(RetryPolicy.defaults().withSleeper(d -> { }))
                .listener(listener)
                // On the test's thread, so a background refresh has finished when runAll() returns; the
                // interrupt tests build their own refresher on the default threads.
                .executor(Runnable::run)
                .build();
    }

    /** Stores that identity, expiring at {@code expiresAt} (null: unknown expiry). */
    Identity link(Instant expiresAt) {
        return store.create(Identity.builder().id(ID).providerKey("gitlab").externalUserId("gitlab123")
                .accessToken(OLD_ACCESS).refreshToken(OLD_REFRESH).expiresAt(expiresAt).build());
    }

    /** A refresher like {@link #refresher} but on the library's default threads, as in production. */
    IdentityRefresher refresherOnItsOwnThreads() {
        return IdentityRefresher.builder(store).provider(provider).leaseWait(Duration.ofSeconds(20))
                .retryPolicy(RetryPolicy.none()).listener(listener).build();
    }

    RefreshingHttpClient.Builder clientBuilder() {
        return clientBuilder(refresher);
    }

    RefreshingHttpClient.Builder clientBuilder(IdentityRefresher refresher) {
        return RefreshingHttpClient.builder(refresher, ID)
                .httpClient(http)
                .apiOrigin(server.url("/"))
                .clock(clock)
                .backgroundExecutor(background)
                .listener(listener);
    }

    Request get(String path) {
        return new Request.Builder().url(server.url(path)).build();
    }

    @Override
    public void close() {
        server.close();
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
    }
}
