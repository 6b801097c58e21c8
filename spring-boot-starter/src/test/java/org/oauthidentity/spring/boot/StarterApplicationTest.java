package org.oauthidentity.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityStore;
import org.oauthidentity.authorize.AuthorizationRedirect;
import org.oauthidentity.http.RefreshingHttpClient;
import org.oauthidentity.refresh.RefreshListener;
import org.oauthidentity.spring.boot.sweep.IdentityCheckedEvent;
import org.oauthidentity.spring.boot.sweep.SweepPassFinishedEvent;
import org.oauthidentity.store.jdbc.JdbcIdentityStore;
import org.oauthidentity.store.jdbc.JdbcPendingAuthorizationStore;
import org.oauthidentity.sweep.Outcome;
import org.oauthidentity.sweep.PassSummary;
import org.oauthidentity.sweep.ValidationSweep;
import org.oauthidentity.testing.ManualClock;
import org.oauthidentity.testkit.FakeAuthorizationServer;
import org.oauthidentity.testkit.FakeAuthorizationServer.Dialect;
import org.oauthidentity.testkit.FakeAuthorizationServer.Fault;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.context.event.EventListener;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * One Spring Boot application on the starter alone, against a fake GitLab and an embedded PostgreSQL: a user links
 * an account through the real authorize redirect, calls the API as that account, the token expires and is
 * refreshed and saved, the sweep finds a revoked account (the application deletes it from its event), and a pass
 * halted by our own rejected client turns the health DOWN naming the provider, never the secret. Time is a manual
 * clock shared by the fake and the application; nothing sleeps.
 */
@SpringBootTest(classes = StarterApplicationTest.App.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StarterApplicationTest {
    static final ManualClock CLOCK = ManualClock.at("2026-03-01T09:00:00Z");
    static final FakeAuthorizationServer GITLAB = startGitLab();
    private static final OkHttpClient BROWSER = new OkHttpClient.Builder().followRedirects(false).build();

    @Autowired AuthorizationFlows flows;
    @Autowired RefreshingHttpClient api;
    @Autowired IdentityStore store;
    @Autowired org.oauthidentity.authorize.PendingAuthorizationStore pending;
    @Autowired ValidationSweep sweep;
    @Autowired HealthIndicator oauthIdentityHealthIndicator;
    @Autowired Events events;
    @Autowired CountingListener refreshes;
    @Autowired MeterRegistry meters;

    private static FakeAuthorizationServer startGitLab() {
        try {
            return FakeAuthorizationServer.builder().dialect(Dialect.GITLAB).clock(CLOCK)
                    .redirectUris("https://app.example.test/oauth/callback/gitlab").start();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("oauth-identity.providers.gitlab.type", () -> "gitlab");
        registry.add("oauth-identity.providers.gitlab.instance-url", GITLAB::baseUrl);
        registry.add("oauth-identity.providers.gitlab.client-id", GITLAB::clientId);
        registry.add("oauth-identity.providers.gitlab.client-secret", GITLAB::clientSecret);
        registry.add("oauth-identity.providers.gitlab.redirect-uri", GITLAB::redirectUri);
        registry.add("oauth-identity.providers.gitlab.scopes", () -> "api,read_user");
        registry.add("oauth-identity.sweep.enabled", () -> "true");
        registry.add("oauth-identity.sweep.period", () -> "1h");
        registry.add("oauth-identity.sweep.interval", () -> "1h");
    }

    @AfterAll
    static void stopGitLab() {
        GITLAB.close();
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
        @Bean
        Clock clock() {
            return CLOCK;
        }

        @Bean(destroyMethod = "close")
        EmbeddedPostgres postgres() throws IOException {
            return EmbeddedPostgres.builder().setServerConfig("fsync", "off").start();
        }

        @Bean
        DataSource dataSource(EmbeddedPostgres postgres) {
            return postgres.getPostgresDatabase();
        }

        @Bean
        Events events() {
            return new Events();
        }

        @Bean
        CountingListener countingListener() {
            return new CountingListener();
        }

        @Bean
        SimpleMeterRegistry meterRegistry() {
            return new SimpleMeterRegistry();
        }
    }

    /** What the application hears from the sweep; it unlinks the accounts the vendor no longer honours. */
    static final class Events {
        final BlockingQueue<IdentityCheckedEvent> checks = new LinkedBlockingQueue<>();
        final BlockingQueue<PassSummary> passes = new LinkedBlockingQueue<>();

        @EventListener
        void checked(IdentityCheckedEvent event) {
            if (event.outcome() == Outcome.NOT_VALID) {
                event.requestDeletion();
            }
            checks.add(event);
        }

        @EventListener
        void passFinished(SweepPassFinishedEvent event) {
            passes.add(event.summary());
        }
    }

    /** A refresh listener bean: the auto-configured refresher tells it. */
    static final class CountingListener implements RefreshListener {
        final AtomicInteger succeeded = new AtomicInteger();

        @Override
        public void refreshSucceeded(String identityId, Duration took) {
            succeeded.incrementAndGet();
        }
    }

    private Identity link(String user) throws Exception {
        AuthorizationRedirect redirect = flows.start("gitlab", user);
        GITLAB.signIn(user);
        HttpUrl callback;
        try (Response approval = BROWSER.newCall(new Request.Builder().url(redirect.url()).build()).execute()) {
            assertThat(approval.code()).isEqualTo(302);
            callback = HttpUrl.get(approval.header("Location"));
        }
        Map<String, String> parameters = new HashMap<>();
        callback.queryParameterNames().forEach(name -> parameters.put(name, callback.queryParameter(name)));
        return flows.complete("gitlab", parameters, user);
    }

    private int callAs(String identityId) throws IOException {
        Request me = new Request.Builder().url(GITLAB.apiUrl("/v4/user")).build();
        try (Response response = api.forIdentity(identityId).newCall(me).execute()) {
            return response.code();
        }
    }

    /** Time passes until every identity is due for a check, and a pass runs (on the calling thread). */
    private PassSummary sweepAfter(Duration elapsed) {
        CLOCK.advance(elapsed);
        return sweep.runOnce();
    }

    @Test
    @Order(1)
    void theStoresAreJdbcOnTheApplicationsPostgres() {
        assertThat(store).isInstanceOf(JdbcIdentityStore.class);
        assertThat(pending).isInstanceOf(JdbcPendingAuthorizationStore.class);
    }

    @Test
    @Order(2)
    void linkCallRefreshSweepAndHealth() throws Exception {
        Identity alice = link("alice");
        assertThat(alice.ownerId()).contains("alice");
        assertThat(alice.externalUserId()).isPresent();
        assertThat(store.find(alice.id())).get().extracting(Identity::version).isEqualTo(1L);
        assertThat(store.listByOwner("alice")).extracting(Identity::id).containsExactly(alice.id());

        GITLAB.resetCounters();
        assertThat(callAs(alice.id())).isEqualTo(200);
        assertThat(GITLAB.tokenRequests()).isZero();

        CLOCK.advance(Duration.ofHours(3)); // the 2-hour access token has expired
        assertThat(callAs(alice.id())).isEqualTo(200);
        assertThat(GITLAB.tokenRequests("refresh_token")).isEqualTo(1);
        assertThat(refreshes.succeeded).hasValue(1);
        // and Micrometer saw it, tagged by provider, with the client's token cache beside it
        assertThat(meters.get("oauth.identity.refresh").tags("provider", "gitlab", "outcome", "succeeded").timer()
                .count()).isEqualTo(1);
        assertThat(meters.get("oauth.identity.token.cache.size").tags("client", "oauth-identity").gauge().value())
                .isEqualTo(1.0);
        Identity refreshed = store.find(alice.id()).orElseThrow();
        assertThat(refreshed.version()).isEqualTo(2);
        assertThat(refreshed.accessToken()).isNotEqualTo(alice.accessToken());

        // The schedule's first pass ran at start-up on an empty store; a pass asked for while it runs would not start.
        assertThat(events.passes.poll(30, TimeUnit.SECONDS)).isNotNull();
        Identity bob = link("bob");
        GITLAB.revokeUser("bob");
        PassSummary pass = sweepAfter(Duration.ofHours(2));
        assertThat(pass.state()).isEqualTo(PassSummary.State.COMPLETED);
        assertThat(pass.valid()).isEqualTo(1);
        assertThat(pass.notValid()).isEqualTo(1);
        assertThat(pass.deleted()).isEqualTo(1);
        assertThat(events.checks).extracting(IdentityCheckedEvent::identityId, IdentityCheckedEvent::outcome)
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple(alice.id(), Outcome.VALID),
                        org.assertj.core.groups.Tuple.tuple(bob.id(), Outcome.NOT_VALID));
        assertThat(store.find(bob.id())).isEmpty();
        assertThat(store.find(alice.id())).isPresent();

        Health up = oauthIdentityHealthIndicator.health();
        assertThat(up.getStatus()).isEqualTo(Status.UP);
        assertThat(up.getDetails()).containsEntry("state", "COMPLETED").containsEntry("valid", 1L)
                .containsEntry("notValid", 1L);

        // Our client is rejected at the token endpoint: the pass halts, nothing is marked, health goes DOWN.
        GITLAB.failNextTokenRequests(1, Fault.unauthorizedChallenge());
        PassSummary halted = sweepAfter(Duration.ofHours(2));
        assertThat(halted.state()).isEqualTo(PassSummary.State.CONFIGURATION_ERROR);
        Health down = oauthIdentityHealthIndicator.health();
        assertThat(down.getStatus()).isEqualTo(Status.DOWN);
        assertThat(down.getDetails()).containsEntry("providerKey", "gitlab").containsEntry("httpStatus", 401);
        assertThat(down.toString()).doesNotContain(GITLAB.clientSecret()).doesNotContain(alice.id());
        assertThat(store.find(alice.id()).orElseThrow().status()).isNotEqualTo(
                org.oauthidentity.VerificationStatus.NOT_VALID);
    }
}
