package org.oauthidentity.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.oauthidentity.http.Fixture.ID;
import static org.oauthidentity.http.Fixture.OLD_ACCESS;
import static org.oauthidentity.http.Fixture.OLD_REFRESH;
import static org.oauthidentity.http.Fixture.START;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.IdentityStoreException;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.RefreshNotPersistedException;
import org.oauthidentity.TransientRefreshException;
import org.oauthidentity.refresh.RefreshListener;

class RefreshingHttpClientTest {
    private Fixture f;

    private Fixture fixture(String vendorAccess) throws IOException {
        f = new Fixture(vendorAccess);
        return f;
    }

    @AfterEach
    void closeFixture() {
        if (f != null) {
            f.close();
        }
    }

    private static String body(Response response) throws IOException {
        return response.body().string();
    }

    /** GitLab before 15.0: an identity of unknown expiry, refreshed after a 401. */
    @Nested
    class GitLabScenarios {

        @Test
        void unauthorizedThenRefreshThenRetrySucceeds() throws Exception {
            // given the vendor no longer accepts the stored access token, but accepts its refresh token
            fixture("expired-at-vendor").vendor.rotating(true).expiresIn(null);
            f.link(null);
            RefreshingHttpClient client = f.clientBuilder().build();

            // when the service calls the API
            try (Response response = client.newCall(f.get(FakeVendor.API_USER)).execute()) {
                // then the call succeeds, after exactly: API 401, token refresh, API 200, in that order
                assertThat(response.code()).isEqualTo(200);
                assertThat(body(response)).isEqualTo("{\"id\":\"user_id\"}");
            }
            assertThat(f.server.getRequestCount()).isEqualTo(3);
            RecordedRequest first = f.server.takeRequest();
            RecordedRequest refresh = f.server.takeRequest();
            RecordedRequest retry = f.server.takeRequest();
            assertThat(first.getUrl().encodedPath()).isEqualTo(FakeVendor.API_USER);
            assertThat(first.getHeaders().get("Authorization")).isEqualTo("Bearer " + OLD_ACCESS);
            assertThat(refresh.getMethod()).isEqualTo("POST");
            assertThat(refresh.getUrl().encodedPath()).isEqualTo(FakeVendor.TOKEN_PATH);
            assertThat(refresh.getBody().utf8()).contains("refresh_token=" + OLD_REFRESH);
            assertThat(refresh.getHeaders().get("Authorization")).isNull();
            assertThat(retry.getUrl().encodedPath()).isEqualTo(FakeVendor.API_USER);
            assertThat(retry.getHeaders().get("Authorization")).isEqualTo("Bearer " + f.vendor.accessToken());

            // and the store holds the new tokens, the rotated refresh token included
            Identity stored = f.store.stored(ID);
            assertThat(stored.accessToken()).isEqualTo(f.vendor.accessToken()).isNotEqualTo(OLD_ACCESS);
            assertThat(stored.refreshToken()).contains(f.vendor.refreshToken()).isNotEqualTo(OLD_REFRESH);
            assertThat(stored.extra("created_at")).contains(String.valueOf(START.getEpochSecond()));
            assertThat(stored.version()).isEqualTo(2);
            assertThat(f.listener.events).containsExactly("started:" + ID, "succeeded:" + ID, "requestRetried:" + ID);
        }

        @Test
        void unauthorizedThenRefreshFailsIsIdentityNotValidAndStoreUnchanged() throws Exception {
            // given the API refuses the token and the token endpoint says the grant is gone
            fixture("expired-at-vendor").vendor.scriptTokenResponses(FakeVendor.json(401,
                    "{\"error\":\"invalid_grant\",\"error_description\":\"Token was revoked.\"}"));
            Identity linked = f.link(null);
            RefreshingHttpClient client = f.clientBuilder().build();

            // when the service calls the API, then it gets IdentityNotValid
            assertThatThrownBy(() -> client.newCall(f.get(FakeVendor.API_USER)).execute())
                    .isInstanceOf(IdentityNotValid.class)
                    .hasMessageNotContaining(OLD_REFRESH).hasMessageNotContaining(OLD_ACCESS);

            // after exactly two requests: the API call and the refresh
            assertThat(f.server.getRequestCount()).isEqualTo(2);
            assertThat(f.server.takeRequest().getUrl().encodedPath()).isEqualTo(FakeVendor.API_USER);
            assertThat(f.server.takeRequest().getUrl().encodedPath()).isEqualTo(FakeVendor.TOKEN_PATH);
            // and the stored identity is as it was
            assertThat(f.store.stored(ID)).isEqualTo(linked);
            assertThat(f.listener.count("requestRetried")).isZero();
        }

        @Test
        void unauthorizedThenATokenEndpoint401WithoutAnErrorIsOurConfigurationNotARevocation() throws Exception {
            // Reading any 401 from the token endpoint as "revoked" would condemn every identity over a wrong client
            // secret; RFC 6749 §5.2 keeps 401 for client authentication, so without invalid_grant it says our
            // client is misconfigured.
            fixture("expired-at-vendor").vendor.scriptTokenResponses(FakeVendor.json(401, "{}"));
            Identity linked = f.link(null);
            RefreshingHttpClient client = f.clientBuilder().build();

            assertThatThrownBy(() -> client.newCall(f.get(FakeVendor.API_USER)).execute())
                    .isInstanceOf(ProviderConfigurationException.class)
                    .hasMessageNotContaining(OLD_REFRESH).hasMessageNotContaining(OLD_ACCESS);
            assertThat(f.server.getRequestCount()).isEqualTo(2);
            assertThat(f.store.stored(ID)).isEqualTo(linked);
        }

        @Test
        void successfulCallDoesNotRefresh() throws Exception {
            fixture(OLD_ACCESS);
            Identity linked = f.link(null);
            RefreshingHttpClient client = f.clientBuilder().build();

            try (Response response = client.newCall(f.get(FakeVendor.API_USER)).execute()) {
                assertThat(response.code()).isEqualTo(200);
                assertThat(body(response)).isEqualTo("{\"id\":\"user_id\"}");
            }
            assertThat(f.server.getRequestCount()).isEqualTo(1);
            assertThat(f.server.takeRequest().getHeaders().get("Authorization")).isEqualTo("Bearer " + OLD_ACCESS);
            assertThat(f.store.stored(ID)).isEqualTo(linked);
            assertThat(f.listener.events).isEmpty();
        }
    }

    /** Azure DevOps: refreshed before the call when expired. */
    @Nested
    class AzureDevOpsScenarios {

        @Test
        void expiredIdentityIsRefreshedBeforeTheCall() throws Exception {
            fixture("expired-at-vendor");
            f.link(START.minusSeconds(60));
            RefreshingHttpClient client = f.clientBuilder().build();

            try (Response response = client.newCall(f.get(FakeVendor.API_USER)).execute()) {
                assertThat(response.code()).isEqualTo(200);
            }
            // the refresh came first; the one API call carried the new token
            assertThat(f.server.getRequestCount()).isEqualTo(2);
            assertThat(f.server.takeRequest().getUrl().encodedPath()).isEqualTo(FakeVendor.TOKEN_PATH);
            RecordedRequest api = f.server.takeRequest();
            assertThat(api.getHeaders().get("Authorization")).isEqualTo("Bearer " + f.vendor.accessToken());
            Identity stored = f.store.stored(ID);
            assertThat(stored.accessToken()).isEqualTo(f.vendor.accessToken());
            assertThat(stored.refreshToken()).contains(OLD_REFRESH); // not rotated: kept
            assertThat(stored.expiresAt()).contains(START.plusSeconds(3600));
            assertThat(f.listener.count("requestRetried")).isZero();
        }

        @Test
        void unexpiredIdentityIsNotRefreshed() throws Exception {
            fixture(OLD_ACCESS);
            Identity linked = f.link(START.plusSeconds(3600));
            RefreshingHttpClient client = f.clientBuilder().build();

            try (Response response = client.newCall(f.get(FakeVendor.API_USER)).execute()) {
                assertThat(response.code()).isEqualTo(200);
            }
            assertThat(f.vendor.tokenRequests).hasValue(0);
            assertThat(f.server.getRequestCount()).isEqualTo(1);
            assertThat(f.store.stored(ID)).isEqualTo(linked);
        }
    }

    @Nested
    class ProactiveRefresh {
        private RefreshingHttpClient client;

        /** An expired identity, refreshed by a first call at START: its token now expires at START + 1 h. */
        private void refreshedAtStart(long expiresInSeconds) throws Exception {
            fixture("expired-at-vendor").vendor.expiresIn(expiresInSeconds);
            f.link(START.minusSeconds(1));
            client = f.clientBuilder().build();
            assertThat(call()).isEqualTo(200);
            assertThat(f.vendor.tokenRequests).hasValue(1);
            f.vendor.resetCounters();
        }

        private int call() throws IOException {
            try (Response response = client.newCall(f.get(FakeVendor.API_USER)).execute()) {
                return response.code();
            }
        }

        private String lastAuthorization() {
            return List.copyOf(f.vendor.apiAuthorizations).get(f.vendor.apiAuthorizations.size() - 1);
        }

        @Test
        void freshTokenIsSentWithoutRefreshOrStoreRead() throws Exception {
            refreshedAtStart(3600);
            f.store.failFinds = () -> new IllegalStateException("the fresh path must not read the store");
            f.store.failLeases = f.store.failFinds;
            f.clock.set(START.plusSeconds(3600 - 301));
            for (int i = 0; i < 3; i++) {
                assertThat(call()).isEqualTo(200);
            }
            assertThat(f.vendor.tokenRequests).hasValue(0);
            assertThat(f.background.pending()).isZero();
        }

        @Test
        void staleTokenIsSentWhileOneRefreshRunsInTheBackground() throws Exception {
            refreshedAtStart(3600);
            String before = f.vendor.accessToken();
            // inside the 5-minute stale window, outside the 60-second margin
            f.clock.set(START.plusSeconds(3600 - 200));

            assertThat(call()).isEqualTo(200);
            assertThat(call()).isEqualTo(200);
            // both calls went out at once with the current token; one refresh waits for the executor
            assertThat(f.vendor.apiAuthorizations).containsExactly("Bearer " + before, "Bearer " + before);
            assertThat(f.vendor.tokenRequests).hasValue(0);
            assertThat(f.background.pending()).isEqualTo(1);

            f.background.runAll();
            assertThat(f.vendor.tokenRequests).hasValue(1);
            assertThat(f.store.stored(ID).accessToken()).isEqualTo(f.vendor.accessToken()).isNotEqualTo(before);
            assertThat(call()).isEqualTo(200);
            assertThat(lastAuthorization()).isEqualTo("Bearer " + f.vendor.accessToken());
            assertThat(f.vendor.tokenRequests).hasValue(1);
            assertThat(f.background.pending()).isZero();
        }

        @Test
        void tokenWithinTheMarginIsRefreshedBeforeSending() throws Exception {
            refreshedAtStart(3600);
            f.clock.set(START.plusSeconds(3600 - 59));

            assertThat(call()).isEqualTo(200);
            // the refresh came first, on the caller's thread, and the call carried its token
            assertThat(f.vendor.tokenRequests).hasValue(1);
            assertThat(f.vendor.apiAuthorizations).containsExactly("Bearer " + f.vendor.accessToken());
            assertThat(f.background.pending()).isZero();
        }

        @Test
        void shortLivedTokenIsNotRefreshedOnEveryCall() throws Exception {
            // A 60-second token with the default 60 s margin and 5 min stale window: uncapped, every call would
            // refresh. Capped: used alone for 30 s, refreshed in the background from 30 s, before sending from 45 s.
            refreshedAtStart(60);
            String first = f.vendor.accessToken();
            for (int second : new int[] {0, 10, 20, 29}) {
                f.clock.set(START.plusSeconds(second));
                assertThat(call()).isEqualTo(200);
            }
            assertThat(f.vendor.tokenRequests).hasValue(0);
            assertThat(f.background.pending()).isZero();

            f.clock.set(START.plusSeconds(31));
            assertThat(call()).isEqualTo(200);
            assertThat(lastAuthorization()).isEqualTo("Bearer " + first);
            assertThat(f.background.pending()).isEqualTo(1);
            assertThat(f.vendor.tokenRequests).hasValue(0);

            // the executor never got to it; at 46 s the caller runs that same refresh itself
            f.clock.set(START.plusSeconds(46));
            assertThat(call()).isEqualTo(200);
            assertThat(f.vendor.tokenRequests).hasValue(1);
            assertThat(lastAuthorization()).isEqualTo("Bearer " + f.vendor.accessToken())
                    .isNotEqualTo("Bearer " + first);
            f.background.runAll();
            assertThat(f.vendor.tokenRequests).hasValue(1);
        }

        @Test
        void failedBackgroundRefreshKeepsTheCurrentTokenAndPauses() throws Exception {
            refreshedAtStart(3600);
            String current = f.vendor.accessToken();
            f.vendor.scriptTokenResponses(FakeVendor.json(503, "{}"), FakeVendor.json(503, "{}"),
                    FakeVendor.json(503, "{}"));
            f.clock.set(START.plusSeconds(3600 - 200));
            assertThat(call()).isEqualTo(200);
            f.background.runAll();
            assertThat(f.vendor.tokenRequests).hasValue(3); // the refresher's 3 attempts
            assertThat(f.store.stored(ID).accessToken()).isEqualTo(current);

            // calls still go out with the current token, and no new background refresh for 30 s
            f.clock.advance(Duration.ofSeconds(29));
            assertThat(call()).isEqualTo(200);
            assertThat(lastAuthorization()).isEqualTo("Bearer " + current);
            assertThat(f.background.pending()).isZero();
            f.clock.advance(Duration.ofSeconds(2));
            assertThat(call()).isEqualTo(200);
            assertThat(f.background.pending()).isEqualTo(1);
            f.background.runAll();
            assertThat(f.vendor.tokenRequests).hasValue(4);
            assertThat(f.store.stored(ID).accessToken()).isNotEqualTo(current).isEqualTo(f.vendor.accessToken());
        }

        @Test
        void unknownExpiryIsNeverRefreshedProactively() throws Exception {
            fixture(OLD_ACCESS);
            f.link(null);
            client = f.clientBuilder().build();
            f.clock.advance(Duration.ofDays(365));
            assertThat(call()).isEqualTo(200);
            assertThat(f.vendor.tokenRequests).hasValue(0);
            assertThat(f.background.pending()).isZero();
        }

        @Test
        void identityLoadedLateInItsLifeIsRefreshedInTheBackgroundNotOnEveryCall() throws Exception {
            // Loaded with 30 s left, its lifetime counts from the load: margin 7.5 s, stale window 15 s.
            fixture(OLD_ACCESS);
            f.link(START.plusSeconds(30));
            client = f.clientBuilder().build();
            assertThat(call()).isEqualTo(200);
            f.clock.advance(Duration.ofSeconds(14));
            assertThat(call()).isEqualTo(200);
            assertThat(f.vendor.tokenRequests).hasValue(0);
            assertThat(f.background.pending()).isZero();
            f.clock.advance(Duration.ofSeconds(2));
            assertThat(call()).isEqualTo(200);
            assertThat(f.background.pending()).isEqualTo(1);
        }
    }

    @Nested
    class ReactiveRefresh {

        @Test
        void refreshThatThrowsDoesNotPoisonLaterCalls() throws Exception {
            // given the API refuses the token and the token endpoint is down for one refresh (3 attempts)
            fixture("expired-at-vendor").vendor.scriptTokenResponses(FakeVendor.json(503, "{}"),
                    FakeVendor.json(503, "{}"), FakeVendor.json(503, "{}"));
            Identity linked = f.link(null);
            RefreshingHttpClient client = f.clientBuilder().build();

            assertThatThrownBy(() -> client.newCall(f.get(FakeVendor.API_USER)).execute())
                    .isInstanceOf(TransientRefreshException.class);
            assertThat(f.vendor.tokenRequests).hasValue(3);
            assertThat(f.store.stored(ID)).isEqualTo(linked);

            // when the vendor is back, the next call refreshes after its 401 and is retried, as if nothing happened
            for (int i = 0; i < 2; i++) {
                try (Response response = client.newCall(f.get(FakeVendor.API_USER)).execute()) {
                    assertThat(response.code()).isEqualTo(200);
                }
            }
            assertThat(f.vendor.tokenRequests).hasValue(4);
            assertThat(f.vendor.apiRequests).hasValue(4); // 401, then 401 + retry, then 200
            assertThat(f.listener.count("requestRetried")).isEqualTo(1);
            assertThat(f.store.stored(ID).accessToken()).isEqualTo(f.vendor.accessToken());
        }

        @Test
        void forbiddenDoesNotRefresh() throws Exception {
            fixture(OLD_ACCESS).vendor.apiStatus(403);
            Identity linked = f.link(null);
            RefreshingHttpClient client = f.clientBuilder().build();

            try (Response response = client.newCall(f.get(FakeVendor.API_USER)).execute()) {
                assertThat(response.code()).isEqualTo(403);
            }
            assertThat(f.vendor.tokenRequests).hasValue(0);
            assertThat(f.vendor.apiRequests).hasValue(1);
            assertThat(f.store.stored(ID)).isEqualTo(linked);
        }

        @Test
        void secondUnauthorizedIsReturnedAsItIsAfterExactlyOneRefresh() throws Exception {
            fixture(OLD_ACCESS).vendor.apiStatus(401);
            f.link(null);
            RefreshingHttpClient client = f.clientBuilder().build();

            try (Response response = client.newCall(f.get(FakeVendor.API_USER)).execute()) {
                assertThat(response.code()).isEqualTo(401);
                assertThat(body(response)).isEqualTo("{\"message\":\"401\"}");
            }
            assertThat(f.vendor.tokenRequests).hasValue(1);
            assertThat(f.vendor.apiRequests).hasValue(2);
            assertThat(f.vendor.apiAuthorizations).containsExactly("Bearer " + OLD_ACCESS,
                    "Bearer " + f.vendor.accessToken());
            assertThat(f.listener.count("requestRetried")).isEqualTo(1);
        }

        @Test
        void oneShotBodyIsNotReplayedButTheTokenIsRefreshedForTheNextCall() throws Exception {
            fixture("expired-at-vendor");
            f.link(null);
            RefreshingHttpClient client = f.clientBuilder().build();

            try (Response response = client.newCall(upload(new OneShotBody("first"))).execute()) {
                assertThat(response.code()).isEqualTo(401);
            }
            assertThat(f.vendor.apiRequests).hasValue(1);
            assertThat(f.vendor.tokenRequests).hasValue(1);
            assertThat(f.listener.count("requestRetried")).isZero();

            // the caller's own retry, with a new body, goes out with the new token
            try (Response response = client.newCall(upload(new OneShotBody("second"))).execute()) {
                assertThat(response.code()).isEqualTo(200);
            }
            assertThat(f.vendor.apiRequests).hasValue(2);
            assertThat(f.vendor.tokenRequests).hasValue(1);
        }

        @Test
        void replayableBodyIsSentAgainOnTheRetry() throws Exception {
            fixture("expired-at-vendor");
            f.link(null);
            RefreshingHttpClient client = f.clientBuilder().build();

            try (Response response = client.newCall(upload(RequestBody.create("payload",
                    MediaType.get("text/plain")))).execute()) {
                assertThat(response.code()).isEqualTo(200);
            }
            f.server.takeRequest();
            f.server.takeRequest();
            assertThat(f.server.takeRequest().getBody().utf8()).isEqualTo("payload");
        }

        @Test
        void anotherClientAdoptsTheRefreshItsNeighbourStored() throws Exception {
            // given two clients of one identity, as in two processes sharing the store, both sending version 1
            fixture(OLD_ACCESS).vendor.rotating(true).expiresIn(null);
            f.link(null);
            RefreshingHttpClient first = f.clientBuilder().build();
            RefreshingHttpClient second = f.clientBuilder().build();
            for (RefreshingHttpClient client : List.of(first, second)) {
                try (Response response = client.newCall(f.get(FakeVendor.API_USER)).execute()) {
                    assertThat(response.code()).isEqualTo(200);
                }
            }
            // when the vendor drops the token and the first client refreshes (rotating the refresh token)
            f.vendor.revokeAccessToken();
            try (Response response = first.newCall(f.get(FakeVendor.API_USER)).execute()) {
                assertThat(response.code()).isEqualTo(200);
            }
            assertThat(f.vendor.tokenRequests).hasValue(1);

            // then the second client's 401 adopts the stored refresh instead of reusing the dead refresh token
            try (Response response = second.newCall(f.get(FakeVendor.API_USER)).execute()) {
                assertThat(response.code()).isEqualTo(200);
            }
            assertThat(f.vendor.tokenRequests).hasValue(1);
            assertThat(f.listener.count("adopted")).isEqualTo(1);
            assertThat(f.listener.count("requestRetried")).isEqualTo(2);
            assertThat(f.store.stored(ID).version()).isEqualTo(2);
        }

        private Request upload(RequestBody body) {
            return new Request.Builder().url(f.server.url("/api/v4/uploads")).post(body).build();
        }
    }

    @Nested
    class WhereTheTokenGoes {

        @Test
        void redirectToAnotherHostCarriesNoToken() throws Exception {
            fixture(OLD_ACCESS);
            f.link(null);
            try (MockWebServer elsewhere = new MockWebServer()) {
                elsewhere.start(InetAddress.getByName("127.0.0.2"), 0);
                elsewhere.enqueue(FakeVendor.json(200, "{\"landed\":true}"));
                f.vendor.redirectMovedTo(elsewhere.url("/landing"));
                RefreshingHttpClient client = f.clientBuilder().build();

                try (Response response = client.newCall(f.get(FakeVendor.API_MOVED)).execute()) {
                    assertThat(response.code()).isEqualTo(200);
                    assertThat(body(response)).isEqualTo("{\"landed\":true}");
                }
                assertThat(f.vendor.apiAuthorizations).containsExactly("Bearer " + OLD_ACCESS);
                RecordedRequest landed = elsewhere.takeRequest(5, TimeUnit.SECONDS);
                assertThat(landed.getUrl().encodedPath()).isEqualTo("/landing");
                assertThat(landed.getHeaders().get("Authorization")).isNull();
            }
        }

        @Test
        void redirectToAnotherPortOfTheSameHostCarriesNoToken() throws Exception {
            fixture(OLD_ACCESS);
            f.link(null);
            try (MockWebServer elsewhere = new MockWebServer()) {
                elsewhere.start(InetAddress.getByName(f.server.getHostName()), 0);
                elsewhere.enqueue(FakeVendor.json(200, "{}"));
                f.vendor.redirectMovedTo(elsewhere.url("/landing"));
                RefreshingHttpClient client = f.clientBuilder().build();

                try (Response response = client.newCall(f.get(FakeVendor.API_MOVED)).execute()) {
                    assertThat(response.code()).isEqualTo(200);
                }
                assertThat(elsewhere.takeRequest(5, TimeUnit.SECONDS).getHeaders().get("Authorization")).isNull();
            }
        }

        @Test
        void unauthorizedFromTheRedirectTargetDoesNotRefresh() throws Exception {
            fixture(OLD_ACCESS);
            Identity linked = f.link(null);
            try (MockWebServer elsewhere = new MockWebServer()) {
                elsewhere.start(InetAddress.getByName("127.0.0.2"), 0);
                elsewhere.enqueue(FakeVendor.json(401, "{}"));
                f.vendor.redirectMovedTo(elsewhere.url("/landing"));
                RefreshingHttpClient client = f.clientBuilder().build();

                try (Response response = client.newCall(f.get(FakeVendor.API_MOVED)).execute()) {
                    assertThat(response.code()).isEqualTo(401);
                }
                assertThat(f.vendor.tokenRequests).hasValue(0);
                assertThat(elsewhere.getRequestCount()).isEqualTo(1);
                assertThat(f.store.stored(ID)).isEqualTo(linked);
            }
        }

        @Test
        void callsToOtherOriginsCarryNoTokenAndNeverWaitForARefresh() throws Exception {
            // even with an identity that is expired and can no longer be refreshed
            fixture(OLD_ACCESS).vendor.scriptTokenResponses(FakeVendor.json(400, "{\"error\":\"invalid_grant\"}"));
            f.link(START.minusSeconds(60));
            try (MockWebServer elsewhere = new MockWebServer()) {
                elsewhere.start(InetAddress.getByName("127.0.0.2"), 0);
                elsewhere.enqueue(FakeVendor.json(401, "{}"));
                RefreshingHttpClient client = f.clientBuilder().build();

                try (Response response = client.newCall(new Request.Builder().url(elsewhere.url("/x")).build())
                        .execute()) {
                    assertThat(response.code()).isEqualTo(401);
                }
                assertThat(elsewhere.takeRequest(5, TimeUnit.SECONDS).getHeaders().get("Authorization")).isNull();
                assertThat(f.vendor.tokenRequests).hasValue(0);
            }
        }

        @Test
        void callersAuthorizationHeaderIsReplacedOnTheApi() throws Exception {
            fixture(OLD_ACCESS);
            f.link(null);
            RefreshingHttpClient client = f.clientBuilder().build();
            Request request = f.get(FakeVendor.API_USER).newBuilder().header("Authorization", "Basic Zm9vOmJhcg==")
                    .build();
            try (Response response = client.newCall(request).execute()) {
                assertThat(response.code()).isEqualTo(200);
            }
            assertThat(f.vendor.apiAuthorizations).containsExactly("Bearer " + OLD_ACCESS);
        }
    }

    @Nested
    class Failures {

        @Test
        void storeFailureFailsTheCallAndTheNewTokensAreNotUsed() throws Exception {
            fixture("expired-at-vendor");
            Identity linked = f.link(null);
            f.store.failSaves = () -> new IdentityStoreException("database unavailable");
            RefreshingHttpClient client = f.clientBuilder().build();

            assertThatThrownBy(() -> client.newCall(f.get(FakeVendor.API_USER)).execute())
                    .isInstanceOfSatisfying(RefreshNotPersistedException.class,
                            e -> assertThat(e.tokensMayBeLost()).isFalse());
            // the vendor issued a token, but no request used it and the store is as it was
            assertThat(f.vendor.tokenRequests).hasValue(1);
            assertThat(f.vendor.apiAuthorizations).containsExactly("Bearer " + OLD_ACCESS);
            assertThat(f.store.stored(ID)).isEqualTo(linked);

            // when the store is back, the next call still starts from the stored token, and recovers
            f.store.failSaves = null;
            try (Response response = client.newCall(f.get(FakeVendor.API_USER)).execute()) {
                assertThat(response.code()).isEqualTo(200);
            }
            assertThat(f.vendor.apiAuthorizations).containsExactly("Bearer " + OLD_ACCESS,
                    "Bearer " + OLD_ACCESS, "Bearer " + f.vendor.accessToken());
            assertThat(f.store.stored(ID).accessToken()).isEqualTo(f.vendor.accessToken());
        }

        @Test
        void runtimeExceptionFromTheStoreSaveIsRefreshNotPersisted() throws Exception {
            fixture("expired-at-vendor").vendor.rotating(true);
            Identity linked = f.link(null);
            f.store.failSaves = () -> new IllegalStateException("driver bug");
            RefreshingHttpClient client = f.clientBuilder().build();

            assertThatThrownBy(() -> client.newCall(f.get(FakeVendor.API_USER)).execute())
                    .isInstanceOfSatisfying(RefreshNotPersistedException.class,
                            e -> assertThat(e.tokensMayBeLost()).isTrue());
            assertThat(f.vendor.apiAuthorizations).containsExactly("Bearer " + OLD_ACCESS);
            assertThat(f.store.stored(ID)).isEqualTo(linked);
        }

        @Test
        void runtimeExceptionFromTheStoreLeaseIsTransient() throws Exception {
            fixture("expired-at-vendor");
            f.link(null);
            f.store.failLeases = () -> new IllegalStateException("pool exhausted");
            RefreshingHttpClient client = f.clientBuilder().build();

            assertThatThrownBy(() -> client.newCall(f.get(FakeVendor.API_USER)).execute())
                    .isInstanceOf(TransientRefreshException.class);
            assertThat(f.vendor.tokenRequests).hasValue(0);
        }

        @Test
        void storeFailureOnFirstLoadIsTransientAndSendsNothing() throws Exception {
            fixture(OLD_ACCESS);
            f.link(null);
            f.store.failFinds = () -> new IllegalStateException("connection refused");
            RefreshingHttpClient client = f.clientBuilder().build();

            assertThatThrownBy(() -> client.newCall(f.get(FakeVendor.API_USER)).execute())
                    .isInstanceOf(TransientRefreshException.class);
            assertThat(f.server.getRequestCount()).isZero();

            f.store.failFinds = null;
            try (Response response = client.newCall(f.get(FakeVendor.API_USER)).execute()) {
                assertThat(response.code()).isEqualTo(200);
            }
        }

        @Test
        void identityThatIsNotStoredIsNotValid() throws Exception {
            fixture(OLD_ACCESS);
            RefreshingHttpClient client = f.clientBuilder().build();
            assertThatThrownBy(() -> client.newCall(f.get(FakeVendor.API_USER)).execute())
                    .isInstanceOf(IdentityNotValid.class).hasMessageContaining(ID);
            assertThat(f.server.getRequestCount()).isZero();
        }

        @Test
        void enqueueDeliversIdentityNotValidToOnFailure() throws Exception {
            // given an expired identity whose refresh token the vendor no longer knows
            fixture("expired-at-vendor").vendor.scriptTokenResponses(FakeVendor.json(400,
                    "{\"error\":\"invalid_grant\",\"error_description\":\"Token has been expired or revoked.\"}"));
            Identity linked = f.link(START.minusSeconds(60));
            RefreshingHttpClient client = f.clientBuilder().build();

            CompletableFuture<IOException> failure = new CompletableFuture<>();
            client.newCall(f.get(FakeVendor.API_USER)).enqueue(new Callback() {
                @Override
                public void onFailure(Call call, IOException e) {
                    failure.complete(e);
                }

                @Override
                public void onResponse(Call call, Response response) {
                    response.close();
                    failure.completeExceptionally(new AssertionError("onResponse " + response.code()));
                }
            });

            assertThat(failure.get(10, TimeUnit.SECONDS)).isInstanceOf(IdentityNotValid.class)
                    .hasMessage("HTTP 400 (invalid_grant): Token has been expired or revoked.");
            assertThat(f.vendor.apiRequests).hasValue(0);
            assertThat(f.store.stored(ID)).isEqualTo(linked);
        }

        @Test
        void listenerThatThrowsDoesNotFailTheCall() throws Exception {
            fixture("expired-at-vendor");
            f.link(null);
            RefreshingHttpClient client = f.clientBuilder().listener(new RefreshListener() {
                @Override
                public void requestRetried(String identityId) {
                    throw new IllegalStateException("metrics backend down");
                }
            }).build();
            try (Response response = client.newCall(f.get(FakeVendor.API_USER)).execute()) {
                assertThat(response.code()).isEqualTo(200);
            }
        }
    }

    @Nested
    class Building {

        @Test
        void anApiOriginIsRequired() throws Exception {
            fixture(OLD_ACCESS);
            assertThatThrownBy(() -> RefreshingHttpClient.builder(f.refresher, ID).build())
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("apiOrigin");
        }

        @Test
        void plainHttpOriginIsRefusedExceptOnLoopback() throws Exception {
            fixture(OLD_ACCESS);
            assertThatThrownBy(() -> RefreshingHttpClient.builder(f.refresher, ID)
                    .apiOrigin("http://gitlab.example.com"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("https");
            RefreshingHttpClient.builder(f.refresher, ID).apiOrigin("https://gitlab.example.com/api/v4").build();
        }

        @Test
        void staleWindowShorterThanTheMarginIsRefused() throws Exception {
            fixture(OLD_ACCESS);
            assertThatThrownBy(() -> f.clientBuilder().refreshMargin(Duration.ofMinutes(2))
                    .staleWindow(Duration.ofMinutes(1)).build())
                    .isInstanceOf(IllegalStateException.class);
        }

        @Test
        void toStringNamesTheIdentityAndOriginsButNoToken() throws Exception {
            fixture(OLD_ACCESS);
            f.link(null);
            RefreshingHttpClient client = f.clientBuilder().build();
            try (Response ignored = client.newCall(f.get(FakeVendor.API_USER)).execute()) {
                assertThat(client.toString()).contains(ID).contains(String.valueOf(f.server.getPort()))
                        .doesNotContain(OLD_ACCESS).doesNotContain(OLD_REFRESH);
            }
        }

        @Test
        void okHttpClientKeepsTheServicesSettingsAndAddsTheToken() throws Exception {
            fixture(OLD_ACCESS);
            f.link(null);
            RefreshingHttpClient client = f.clientBuilder().build();
            assertThat(client.okHttpClient().connectionPool()).isSameAs(f.http.connectionPool());
            assertThat(f.http.interceptors()).isEmpty();
            try (Response response = client.okHttpClient().newBuilder().build()
                    .newCall(f.get(FakeVendor.API_USER)).execute()) {
                assertThat(response.code()).isEqualTo(200);
            }
        }
    }

    /** A body that can be written once, like a stream being uploaded. */
    private static final class OneShotBody extends RequestBody {
        private final String content;
        private boolean written;

        OneShotBody(String content) {
            this.content = content;
        }

        @Override
        public MediaType contentType() {
            return MediaType.get("text/plain");
        }

        @Override
        public boolean isOneShot() {
            return true;
        }

        @Override
        public void writeTo(BufferedSink sink) throws IOException {
            if (written) {
                throw new IllegalStateException("one-shot body written twice");
            }
            written = true;
            sink.writeUtf8(content);
        }
    }
}
