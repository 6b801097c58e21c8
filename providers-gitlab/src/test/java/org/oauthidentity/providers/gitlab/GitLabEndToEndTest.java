package org.oauthidentity.providers.gitlab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.http.RefreshingHttpClient;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.refresh.RetryPolicy;
import org.oauthidentity.store.InMemoryIdentityStore;
import org.oauthidentity.testing.ManualClock;
import org.oauthidentity.testkit.FakeAuthorizationServer;
import org.oauthidentity.testkit.FakeAuthorizationServer.Dialect;
import org.oauthidentity.testkit.FakeAuthorizationServerExtension;
import org.oauthidentity.testkit.TokenRequest;

/**
 * GitLab end to end: a service calls {@code /api/v4/user} through {@link RefreshingHttpClient} as alice,
 * whose tokens the testkit's fake GitLab issued, refreshes, rotates and revokes. The same scenarios run
 * against an instance at the root of its host and one installed under {@code /gitlab}. GitLab rotates on
 * every refresh and answers a reused refresh token with {@code invalid_grant}, so concurrent callers on an
 * expired identity must cause exactly one refresh.
 */
class GitLabEndToEndTest {
    private static final int CALLERS = 50;
    private static final int ROUNDS = 5;
    private static final OkHttpClient HTTP = new OkHttpClient.Builder()
            .connectionPool(new ConnectionPool(2 * CALLERS, 1, TimeUnit.MINUTES))
            .build();

    @Nested
    class AtTheRootOfItsHost extends Scenarios {
        AtTheRootOfItsHost() {
            super("");
        }

        @Override
        Identity link(Identity issued, FakeAuthorizationServer server) {
            return issued; // the provider's default instance
        }
    }

    @Nested
    class UnderAPathPrefix extends Scenarios {
        UnderAPathPrefix() {
            super("/gitlab");
        }

        @Override
        GitLabProvider.Builder provider(FakeAuthorizationServer server) {
            // Nothing GitLab is served at the root: only the identity's own instance URL can work. The instance under
            // /gitlab is registered with its application; the root, another instance, has its own callback.
            return super.provider(server).baseUrl(server.url("/").toString())
                    .redirectUri("https://app.example.com/oauth/gitlab-root/callback")
                    .instance(server.baseUrl(), server.clientId(), server.clientSecret(), server.redirectUri());
        }

        @Override
        Identity link(Identity issued, FakeAuthorizationServer server) {
            return issued.toBuilder().extra(GitLabProvider.BASE_URL_EXTRA, server.baseUrl() + "/").build();
        }

        @Test
        void theRefreshWentToTheInstanceUnderItsPath(FakeAuthorizationServer server) throws Exception {
            clock.movePast(linked.expiresAt().orElseThrow());

            assertThat(callTheApi()).isEqualTo(200);

            assertThat(server.onlyTokenRequestSeen().url()).isEqualTo(server.baseUrl() + "/oauth/token");
            assertThat(store.find("alice").orElseThrow().extra(GitLabProvider.BASE_URL_EXTRA))
                    .contains(server.baseUrl() + "/");
        }
    }

    /** Given alice linked her GitLab account (stored, version 1) and a client calling the API as her. */
    abstract static class Scenarios {
        final ManualClock clock = ManualClock.at("2025-03-01T10:00:00Z");
        @RegisterExtension
        final FakeAuthorizationServerExtension fake;
        final InMemoryIdentityStore store = new InMemoryIdentityStore();
        IdentityRefresher refresher;
        RefreshingHttpClient client;
        String userUrl;
        Identity linked;
        private final ExecutorService callers = Executors.newFixedThreadPool(CALLERS);

        Scenarios(String pathPrefix) {
            this.fake = FakeAuthorizationServerExtension.of(FakeAuthorizationServer.builder()
                    .dialect(Dialect.GITLAB).pathPrefix(pathPrefix).clock(clock));
        }

        GitLabProvider.Builder provider(FakeAuthorizationServer server) {
            return GitLabProvider.builder()
                    .baseUrl(server.baseUrl())
                    .clientId(server.clientId())
                    .clientSecret(server.clientSecret())
                    .redirectUri(server.redirectUri())
                    .httpClient(HTTP)
                    .clock(clock);
        }

        /** The identity as the service stores it after the authorization flow. */
        abstract Identity link(Identity issued, FakeAuthorizationServer server);

        @BeforeEach
        void aliceLinkedHerAccount(FakeAuthorizationServer server) {
            refresher = IdentityRefresher.builder(store)
                    .provider(provider(server).build())
                    .retryPolicy(RetryPolicy.none())
                    .build();
            client = newClient(server);
            userUrl = server.apiUrl("/v4/user");
            linked = store.create(link(server.issueIdentity("alice", "api"), server));
        }

        @AfterEach
        void stopTheCallers() {
            callers.shutdownNow();
        }

        RefreshingHttpClient newClient(FakeAuthorizationServer server) {
            return RefreshingHttpClient.builder(refresher, "alice")
                    .httpClient(HTTP)
                    .apiOrigin(server.baseUrl())
                    .clock(clock)
                    .build();
        }

        int callTheApi() throws IOException {
            return call(client);
        }

        int call(RefreshingHttpClient through) throws IOException {
            try (Response response = through.newCall(new Request.Builder().url(userUrl).build()).execute()) {
                return response.code();
            }
        }

        @Test
        void anExpiredTokenIsRefreshedInGitLabsShapeThenTheCallSucceeds(FakeAuthorizationServer server)
                throws Exception {
            clock.movePast(linked.expiresAt().orElseThrow());

            assertThat(callTheApi()).isEqualTo(200);

            assertThat(server.tokenRequests()).isEqualTo(1);
            assertThat(server.tokenRequests("refresh_token")).isEqualTo(1);
            assertGitLabShape(server.onlyTokenRequestSeen(), server);
            assertThat(server.apiCalls(401)).as("the expired token was never sent").isZero();
            assertThat(server.apiCalls(200)).isEqualTo(1);
            assertRefreshedAndStored(linked);
        }

        @Test
        void aTokenTheApiNoLongerAcceptsIsRefreshedAndTheCallRetriedOnce(FakeAuthorizationServer server)
                throws Exception {
            server.expireAccessTokens("alice");
            assertThat(linked.expiresAt().orElseThrow()).as("the stored copy looks fresh").isAfter(clock.instant());

            assertThat(callTheApi()).isEqualTo(200);

            assertThat(server.apiCalls(401)).isEqualTo(1);
            assertThat(server.tokenRequests("refresh_token")).isEqualTo(1);
            assertGitLabShape(server.onlyTokenRequestSeen(), server);
            assertThat(server.apiCalls(200)).isEqualTo(1);
            assertRefreshedAndStored(linked);
        }

        @Test
        void aRevokedUserIsIdentityNotValidAndTheStoreIsUnchanged(FakeAuthorizationServer server) {
            server.revokeUser("alice");

            assertThatThrownBy(this::callTheApi)
                    .isInstanceOfSatisfying(IdentityNotValid.class, e -> assertThat(e.error()).contains("invalid_grant"))
                    .hasMessageNotContaining(linked.refreshToken().orElseThrow())
                    .hasMessageNotContaining(server.clientSecret());

            assertThat(server.apiCalls(401)).isEqualTo(1);
            assertThat(server.tokenRequests()).as("IdentityNotValid is never retried").isEqualTo(1);
            assertThat(server.apiCalls(200)).isZero();
            assertThat(store.find("alice")).contains(linked);
        }

        @Test
        void fiftyCallersOnAnExpiredIdentityShareOneRefresh(FakeAuthorizationServer server) throws Exception {
            for (int round = 1; round <= ROUNDS; round++) {
                Identity before = store.find("alice").orElseThrow();
                clock.movePast(before.expiresAt().orElseThrow());
                server.resetCounters();

                List<Integer> statuses = callTogether(CALLERS, i -> client);

                assertThat(statuses).as("round %d", round).hasSize(CALLERS).containsOnly(200);
                assertThat(server.tokenRequests()).as("token requests in round %d", round).isEqualTo(1);
                assertThat(server.reusedRefreshTokens()).as("reused refresh tokens in round %d", round).isZero();
                assertThat(server.apiCalls(401)).as("round %d", round).isZero();
                assertRefreshedAndStored(before);
            }
        }

        @Test
        void fiftyCallersOverFiveClientsOfOneStoreShareOneRefresh(FakeAuthorizationServer server) throws Exception {
            // As five services in one JVM (or one service with a client per request) on one store: the
            // store's refresh lease makes all but one adopt the refreshed identity.
            List<RefreshingHttpClient> clients = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                clients.add(newClient(server));
            }
            for (int round = 1; round <= ROUNDS; round++) {
                Identity before = store.find("alice").orElseThrow();
                clock.movePast(before.expiresAt().orElseThrow());
                server.resetCounters();

                List<Integer> statuses = callTogether(CALLERS, i -> clients.get(i % clients.size()));

                assertThat(statuses).as("round %d", round).hasSize(CALLERS).containsOnly(200);
                assertThat(server.tokenRequests()).as("token requests in round %d", round).isEqualTo(1);
                assertThat(server.reusedRefreshTokens()).as("reused refresh tokens in round %d", round).isZero();
                assertRefreshedAndStored(before);
            }
        }

        /** Releases {@code n} threads together, each making one call through {@code clientOf.apply(i)}. */
        private List<Integer> callTogether(int n, java.util.function.IntFunction<RefreshingHttpClient> clientOf)
                throws Exception {
            CyclicBarrier start = new CyclicBarrier(n);
            List<Future<Integer>> calls = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                RefreshingHttpClient through = clientOf.apply(i);
                calls.add(callers.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    return call(through);
                }));
            }
            List<Integer> statuses = new ArrayList<>();
            for (Future<Integer> call : calls) {
                statuses.add(call.get(30, TimeUnit.SECONDS));
            }
            return statuses;
        }

        private void assertGitLabShape(TokenRequest refresh, FakeAuthorizationServer server) {
            assertThat(refresh.fieldNames()).containsExactlyInAnyOrder(
                    "grant_type", "refresh_token", "client_id", "client_secret", "redirect_uri");
            assertThat(refresh.field("grant_type")).isEqualTo("refresh_token");
            assertThat(refresh.field("client_id")).isEqualTo(server.clientId());
            assertThat(refresh.field("redirect_uri")).isEqualTo(server.redirectUri());
            assertThat(refresh.sent("client_secret", server.clientSecret())).as("client secret").isTrue();
            assertThat(refresh.sent("refresh_token", linked.refreshToken().orElseThrow())).as("refresh token").isTrue();
            assertThat(refresh.sentAuthorizationHeader()).as("credentials in the form, not Basic").isFalse();
        }

        /** The store holds {@code before} refreshed once: new, rotated tokens, expiring created_at + 7200 s. */
        private void assertRefreshedAndStored(Identity before) {
            Identity stored = store.find("alice").orElseThrow();
            assertThat(stored.version()).isEqualTo(before.version() + 1);
            assertThat(stored.accessToken().equals(before.accessToken())).as("a new access token").isFalse();
            assertThat(stored.refreshToken()).isPresent();
            assertThat(stored.refreshToken().equals(before.refreshToken())).as("a rotated refresh token").isFalse();
            assertThat(stored.extra("created_at")).contains(Long.toString(clock.instant().getEpochSecond()));
            assertThat(stored.expiresAt()).contains(clock.instant().plus(Duration.ofHours(2)));
        }
    }
}
