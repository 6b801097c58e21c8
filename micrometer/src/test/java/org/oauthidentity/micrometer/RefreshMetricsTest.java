package org.oauthidentity.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.oauthidentity.micrometer.Meters.counter;
import static org.oauthidentity.micrometer.Meters.refreshes;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.RefreshException;
import org.oauthidentity.RefreshOutcomeUnknownException;
import org.oauthidentity.TransientRefreshException;
import org.oauthidentity.http.RefreshingHttpClient;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.refresh.RefreshListener;
import org.oauthidentity.refresh.RetryPolicy;
import org.oauthidentity.store.InMemoryIdentityStore;
import org.oauthidentity.testing.ManualClock;
import org.oauthidentity.testkit.FakeAuthorizationServer;
import org.oauthidentity.testkit.FakeAuthorizationServer.Dialect;
import org.oauthidentity.testkit.FakeAuthorizationServer.Fault;

/**
 * Real refreshes against the testkit's fake vendor, through a refresher whose listener is the metrics listener:
 * every refresh is one timer count under its provider, outcome and error code, and nothing else moves.
 */
class RefreshMetricsTest {
    /** One refresh is exactly one request: no silent OkHttp retry of a dropped connection. */
    private static final OkHttpClient NO_RETRY = new OkHttpClient.Builder().retryOnConnectionFailure(false).build();

    private final ManualClock clock = ManualClock.at("2026-03-01T10:00:00Z");
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final InMemoryIdentityStore store = new InMemoryIdentityStore();
    private final List<String> heardByService = new CopyOnWriteArrayList<>();
    private FakeAuthorizationServer server;
    private RefreshListener metrics;
    private IdentityRefresher refresher;

    @BeforeEach
    void start() throws Exception {
        server = FakeAuthorizationServer.builder().dialect(Dialect.GENERIC).providerKey("vendor").clock(clock).start();
        RefreshListener service = new RefreshListener() {
            @Override
            public void refreshSucceeded(String identityId, Duration took) {
                heardByService.add("succeeded " + identityId);
            }

            @Override
            public void refreshFailed(String identityId, RefreshException error) {
                heardByService.add("failed " + identityId);
            }
        };
        // The provider tag comes from the identity the refresher read under its lease.
        metrics = OAuthIdentityMetrics.create(registry).refreshListener(service);
        refresher = IdentityRefresher.builder(store).provider(provider(server.clientSecret()))
                .retryPolicy(RetryPolicy.of(3, Duration.ofMillis(200), Duration.ofSeconds(1)).withSleeper(d -> { }))
                .listener(metrics).executor(Runnable::run).build();
    }

    @AfterEach
    void stop() {
        server.verifyNoInternalFailures();
        server.close();
        registry.close();
    }

    @Test
    void eachRefreshIsTimedOnceUnderItsOutcome() throws Exception {
        Identity alice = link("user-alice");
        Identity bob = link("user-bob");
        Identity carol = link("user-carol");

        // Succeeded: three token requests.
        alice = refresher.refresh(alice);
        alice = refresher.refresh(alice);
        refresher.refresh(bob);
        // Adopted: a caller that saw version 0 gets the stored identity; no token request.
        long requestsBefore = server.tokenRequests();
        refresher.refresh("user-carol", 0);
        assertThat(server.tokenRequests()).isEqualTo(requestsBefore);
        // Not valid: the user revoked the application.
        server.revokeUser("user-carol");
        Identity stored = store.find(carol.id()).orElseThrow();
        assertThatThrownBy(() -> refresher.refresh(stored)).isInstanceOf(IdentityNotValid.class);

        assertThat(refreshes(registry, "vendor", "succeeded", "none")).isEqualTo(3);
        assertThat(refreshes(registry, "vendor", "adopted", "none")).isEqualTo(1);
        assertThat(refreshes(registry, "vendor", "not_valid", "invalid_grant")).isEqualTo(1);
        assertThat(Meters.allRefreshes(registry)).isEqualTo(5);
        assertThat(registry.get(RefreshMetrics.REFRESH).tags("outcome", "succeeded").timer().totalTime(
                java.util.concurrent.TimeUnit.NANOSECONDS)).as("the refresher's own measure").isPositive();
        assertThat(registry.get(RefreshMetrics.REFRESH).tags("outcome", "adopted").timer().totalTime(
                java.util.concurrent.TimeUnit.NANOSECONDS)).as("no token request, no time").isZero();
        assertThat(heardByService).containsExactly("succeeded user-alice", "succeeded user-alice",
                "succeeded user-bob", "failed user-carol");
        Meters.assertNoTagCarries(registry, List.of("user-", alice.accessToken(), server.clientSecret()));
    }

    @Test
    void transientFailuresCountTheirRetriesAndEndOnce() throws Exception {
        Identity alice = link("user-alice");

        server.failNextTokenRequests(2, Fault.serverError());
        alice = refresher.refresh(alice);
        server.failNextTokenRequests(3, Fault.serviceUnavailable(Duration.ofMillis(10)));
        Identity seen = alice;
        assertThatThrownBy(() -> refresher.refresh(seen)).isInstanceOf(TransientRefreshException.class);

        assertThat(server.tokenRequests("refresh_token")).isEqualTo(6);
        assertThat(refreshes(registry, "vendor", "succeeded", "none")).isEqualTo(1);
        assertThat(refreshes(registry, "vendor", "transient", "none")).isEqualTo(1);
        assertThat(Meters.allRefreshes(registry)).isEqualTo(2);
        assertThat(counter(registry, RefreshMetrics.REFRESH_RETRIES, "provider", "vendor")).isEqualTo(4);
    }

    @Test
    void aLostAnswerIsOneOutcomeUnknownNotAlsoATransientFailure() throws Exception {
        Identity alice = link("user-alice");
        server.failNextTokenRequests(1, Fault.loseResponse());

        assertThatThrownBy(() -> refresher.refresh(alice)).isInstanceOf(RefreshOutcomeUnknownException.class);

        assertThat(refreshes(registry, "vendor", "outcome_unknown", "none")).isEqualTo(1);
        assertThat(Meters.allRefreshes(registry)).isEqualTo(1);
        assertThat(counter(registry, RefreshMetrics.REFRESH_RETRIES, "provider", "vendor"))
                .as("never retried").isZero();
    }

    @Test
    void configurationErrorsAreTaggedAndThoseFoundBeforeAnyRequestTakeNoTime() throws Exception {
        IdentityRefresher wrongSecret = IdentityRefresher.builder(store).provider(provider("not-the-secret-at-all"))
                .retryPolicy(RetryPolicy.none()).listener(metrics).executor(Runnable::run).build();
        Identity alice = link("user-alice");
        Identity orphan = store.create(Identity.builder().id("retired-1").providerKey("retired")
                .accessToken("access-retired").refreshToken("refresh-retired").build());

        assertThatThrownBy(() -> wrongSecret.refresh(alice)).isInstanceOf(ProviderConfigurationException.class);
        assertThatThrownBy(() -> refresher.refresh(orphan)).isInstanceOf(ProviderConfigurationException.class);

        assertThat(refreshes(registry, "vendor", "configuration", "invalid_client")).isEqualTo(1);
        assertThat(refreshes(registry, "retired", "configuration", "none")).isEqualTo(1);
        assertThat(registry.get(RefreshMetrics.REFRESH).tags("provider", "retired").timer()
                .totalTime(java.util.concurrent.TimeUnit.NANOSECONDS)).isZero();
        assertThat(Meters.allRefreshes(registry)).isEqualTo(2);
    }

    @Test
    void aVendorCodeOutsideTheStandardOnesIsTaggedOther() throws Exception {
        Identity alice = link("user-alice");
        server.failNextTokenRequests(1, Fault.unauthorizedChallenge("application/json",
                "{\"error\":\"account_locked_for_user-alice\"}"));

        assertThatThrownBy(() -> refresher.refresh(alice)).isInstanceOf(RefreshException.class);

        assertThat(registry.find(RefreshMetrics.REFRESH).tags("error", "other").timer()).isNotNull()
                .satisfies(t -> assertThat(t.count()).isEqualTo(1));
        Meters.assertNoTagCarries(registry, List.of("user-alice", "account_locked"));
    }

    @Test
    void aRetryAfter401IsCountedFromTheClientsListenerWithItsRefresh() throws Exception {
        link("user-alice");
        RefreshingHttpClient client = RefreshingHttpClient.builder(refresher).apiOrigin(server.baseUrl())
                .httpClient(NO_RETRY).clock(clock).listener(metrics).build();

        assertThat(call(client, "user-alice")).isEqualTo(200);
        server.expireAccessTokens("user-alice");
        assertThat(call(client, "user-alice")).isEqualTo(200);

        assertThat(server.apiCalls(401)).isEqualTo(1);
        assertThat(counter(registry, RefreshMetrics.REQUEST_RETRIES, "provider", "vendor")).isEqualTo(1);
        assertThat(refreshes(registry, "vendor", "succeeded", "none")).isEqualTo(1);
    }

    @Test
    void providerKeyFunctionThatFailsTagsUnknownAndNothingThrows() throws Exception {
        RefreshListener throwingService = new RefreshListener() {
            @Override
            public void refreshSucceeded(String identityId, Duration took) {
                throw new IllegalStateException("the service's listener is broken");
            }
        };
        RefreshListener listener = OAuthIdentityMetrics.create(registry).refreshListener(id -> {
            throw new IllegalArgumentException("no such id");
        }, throwingService);

        listener.refreshStarted("user-alice");
        listener.refreshSucceeded("user-alice", Duration.ofMillis(5));
        listener.requestRetried("user-alice");

        assertThat(refreshes(registry, "unknown", "succeeded", "none")).isEqualTo(1);
        assertThat(counter(registry, RefreshMetrics.REQUEST_RETRIES, "provider", "unknown")).isEqualTo(1);
    }

    @Test
    void concurrentRefreshesOfManyIdentitiesAreEachCountedOnce() throws Exception {
        int identities = 8;
        int rounds = 5;
        IdentityRefresher pooled = IdentityRefresher.builder(store).provider(provider(server.clientSecret()))
                .listener(metrics).build();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < identities; i++) {
            ids.add(link("user-" + i).id());
        }
        ExecutorService callers = Executors.newFixedThreadPool(identities);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (String id : ids) {
                done.add(callers.submit(() -> {
                    for (int r = 0; r < rounds; r++) {
                        pooled.refresh(store.find(id).orElseThrow());
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            callers.shutdownNow();
        }

        assertThat(server.tokenRequests("refresh_token")).isEqualTo(identities * rounds);
        assertThat(refreshes(registry, "vendor", "succeeded", "none")).isEqualTo(identities * rounds);
        assertThat(Meters.allRefreshes(registry)).isEqualTo(identities * rounds);
    }

    private Identity link(String userId) {
        return store.create(server.issueIdentity(userId, "read"));
    }

    private OAuth2Provider provider(String clientSecret) {
        return OAuth2Provider.create(server.oauth2Settings().clientSecret(clientSecret).httpClient(NO_RETRY).build());
    }

    private int call(RefreshingHttpClient client, String identityId) throws Exception {
        try (Response response = client.forIdentity(identityId)
                .newCall(new Request.Builder().url(server.apiUrl("/v4/user")).build()).execute()) {
            return response.code();
        }
    }
}
