package org.oauthidentity.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.oauthidentity.micrometer.Meters.gauge;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.http.RefreshingHttpClient;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.store.InMemoryIdentityStore;
import org.oauthidentity.testing.ManualClock;
import org.oauthidentity.testkit.FakeAuthorizationServer;
import org.oauthidentity.testkit.FakeAuthorizationServer.Dialect;

/** The token cache meters read the client's own counts: identities held, hits, misses and their ratio. */
class TokenCacheMetricsTest {
    private final ManualClock clock = ManualClock.at("2026-03-01T10:00:00Z");
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final InMemoryIdentityStore store = new InMemoryIdentityStore();
    private FakeAuthorizationServer server;
    private RefreshingHttpClient client;

    @BeforeEach
    void start() throws Exception {
        server = FakeAuthorizationServer.builder().dialect(Dialect.GENERIC).providerKey("vendor").clock(clock).start();
        IdentityRefresher refresher = IdentityRefresher.builder(store)
                .provider(OAuth2Provider.create(server.oauth2Settings().build())).build();
        client = RefreshingHttpClient.builder(refresher).apiOrigin(server.baseUrl()).clock(clock).build();
        OAuthIdentityMetrics.create(registry).bindTokenCache(client, "vendor-api");
    }

    @AfterEach
    void stop() {
        server.verifyNoInternalFailures();
        server.close();
        registry.close();
    }

    @Test
    void sizeHitsMissesAndRatioFollowTheCalls() throws Exception {
        assertThat(gauge(registry, TokenCacheMetrics.HIT_RATIO, "client", "vendor-api")).as("no look-up yet").isNaN();
        store.create(server.issueIdentity("user-alice", "read"));
        store.create(server.issueIdentity("user-bob", "read"));

        for (int i = 0; i < 3; i++) {
            call("user-alice");
        }
        call("user-bob");
        call("user-bob");

        assertThat(gauge(registry, TokenCacheMetrics.SIZE, "client", "vendor-api")).isEqualTo(2);
        assertThat(registry.get(TokenCacheMetrics.GETS).tags("client", "vendor-api", "result", "hit")
                .functionCounter().count()).isEqualTo(3);
        assertThat(registry.get(TokenCacheMetrics.GETS).tags("client", "vendor-api", "result", "miss")
                .functionCounter().count()).isEqualTo(2);
        assertThat(gauge(registry, TokenCacheMetrics.HIT_RATIO, "client", "vendor-api")).isEqualTo(0.6);

        client.invalidate("user-alice");
        assertThat(gauge(registry, TokenCacheMetrics.SIZE, "client", "vendor-api")).isEqualTo(1);
        Meters.assertNoTagCarries(registry, java.util.List.of("user-"));
    }

    @Test
    void aClientNeedsAName() {
        OAuthIdentityMetrics metrics = OAuthIdentityMetrics.create(registry);
        assertThatThrownBy(() -> metrics.bindTokenCache(client, " ")).isInstanceOf(IllegalArgumentException.class);
    }

    private void call(String identityId) throws Exception {
        try (Response response = client.forIdentity(identityId)
                .newCall(new Request.Builder().url(server.apiUrl("/v4/user")).build()).execute()) {
            assertThat(response.code()).isEqualTo(200);
        }
    }
}
