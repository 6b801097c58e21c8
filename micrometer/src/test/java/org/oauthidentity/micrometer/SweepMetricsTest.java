package org.oauthidentity.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.oauthidentity.micrometer.Meters.counter;
import static org.oauthidentity.micrometer.Meters.gauge;
import static org.oauthidentity.micrometer.Meters.refreshes;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.store.InMemoryIdentityStore;
import org.oauthidentity.sweep.Outcome;
import org.oauthidentity.sweep.PassSummary;
import org.oauthidentity.sweep.SweepListener;
import org.oauthidentity.sweep.ValidationSweep;
import org.oauthidentity.testing.ManualClock;
import org.oauthidentity.testkit.FakeAuthorizationServer;
import org.oauthidentity.testkit.FakeAuthorizationServer.Dialect;

/**
 * Real validation passes over a few identities with mixed outcomes, against the testkit's fake vendor: the
 * check counters, the pass timer and the last-pass gauges agree exactly with the pass summary.
 */
class SweepMetricsTest {
    private static final OkHttpClient NO_RETRY = new OkHttpClient.Builder().retryOnConnectionFailure(false).build();

    private final ManualClock clock = ManualClock.at("2026-03-01T10:00:00Z");
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final InMemoryIdentityStore store = new InMemoryIdentityStore();
    /** What the service knows of its identities, in memory: the metrics never ask the store. */
    private FakeAuthorizationServer server;
    private ValidationSweep sweep;

    @BeforeEach
    void start() throws Exception {
        server = FakeAuthorizationServer.builder().dialect(Dialect.GENERIC).providerKey("vendor").clock(clock).start();
        OAuth2Provider vendor = OAuth2Provider.create(server.oauth2Settings().httpClient(NO_RETRY).build());
        // A second vendor whose token endpoint is down: nothing listens on its port.
        OAuth2Provider down = OAuth2Provider.create(server.oauth2Settings().providerKey("down")
                .tokenUrl("http://127.0.0.1:1/oauth/token").httpClient(NO_RETRY).build());
        OAuthIdentityMetrics metrics = OAuthIdentityMetrics.create(registry);
        IdentityRefresher refresher = IdentityRefresher.builder(store).provider(vendor).provider(down)
                .listener(metrics.refreshListener())
                .executor(Runnable::run).build();
        // The service unlinks what is gone, and each check takes a second of the sweep's clock.
        SweepListener service = check -> {
            clock.advance(Duration.ofSeconds(1));
            if (check.identityId().equals("user-heidi")) {
                throw new IllegalStateException("the service's listener is broken");
            }
            return check.outcome() == Outcome.NOT_VALID ? SweepListener.Action.DELETE : SweepListener.Action.KEEP;
        };
        sweep = ValidationSweep.builder(refresher).clock(clock).concurrency(1)
                .listener(metrics.sweepListener(service)).build();
    }

    @AfterEach
    void stop() {
        sweep.close();
        server.verifyNoInternalFailures();
        server.close();
        registry.close();
    }

    @Test
    void aPassWithMixedOutcomesIsCountedExactly() {
        assertThat(gauge(registry, SweepMetrics.LAST_IDENTITIES, "outcome", "valid")).as("no pass yet").isNaN();
        link("user-alice");
        link("user-bob");
        link("user-heidi");
        link("user-dave");
        server.revokeUser("user-dave");
        create(Identity.builder().id("user-frank").providerKey("vendor").accessToken("access-frank").build());
        create(Identity.builder().id("user-grace").providerKey("down").accessToken("access-grace")
                .refreshToken("refresh-grace-0123456789").build());

        PassSummary pass = sweep.runOnce();

        assertThat(pass.state()).isEqualTo(PassSummary.State.COMPLETED);
        assertThat(pass.valid()).isEqualTo(3);
        assertThat(pass.notValid()).isEqualTo(2);
        assertThat(pass.errors()).isEqualTo(1);
        assertThat(pass.deleted()).isEqualTo(2);
        // Per check, per provider.
        assertThat(counter(registry, SweepMetrics.CHECKS, "provider", "vendor", "outcome", "valid")).isEqualTo(3);
        assertThat(counter(registry, SweepMetrics.CHECKS, "provider", "vendor", "outcome", "not_valid")).isEqualTo(2);
        assertThat(counter(registry, SweepMetrics.CHECKS, "provider", "down", "outcome", "error")).isEqualTo(1);
        assertThat(registry.find(SweepMetrics.CHECKS).counters()).hasSize(3);
        // Per pass.
        Timer completed = registry.get(SweepMetrics.PASSES).tags("state", "completed").timer();
        assertThat(completed.count()).isEqualTo(1);
        assertThat(completed.totalTime(TimeUnit.SECONDS)).as("six checks, a second each").isEqualTo(6);
        assertThat(counter(registry, SweepMetrics.DELETED)).isEqualTo(2);
        // The last pass.
        assertThat(gauge(registry, SweepMetrics.LAST_STATE, "state", "completed")).isEqualTo(1);
        assertThat(gauge(registry, SweepMetrics.LAST_STATE, "state", "configuration_error")).isZero();
        assertThat(registry.get(SweepMetrics.LAST_DURATION).timeGauge().value(TimeUnit.SECONDS)).isEqualTo(6);
        assertThat(gauge(registry, SweepMetrics.LAST_IDENTITIES, "outcome", "valid")).isEqualTo(3);
        assertThat(gauge(registry, SweepMetrics.LAST_IDENTITIES, "outcome", "not_valid")).isEqualTo(2);
        assertThat(gauge(registry, SweepMetrics.LAST_IDENTITIES, "outcome", "error")).isEqualTo(1);
        assertThat(gauge(registry, SweepMetrics.LAST_IDENTITIES, "outcome", "skipped")).isZero();
        assertThat(gauge(registry, SweepMetrics.LAST_IDENTITIES, "outcome", "deferred")).isZero();
        assertThat(gauge(registry, SweepMetrics.LAST_IDENTITIES, "outcome", "unchecked")).isZero();
        assertThat(gauge(registry, SweepMetrics.LAST_STATE, "state", "paused")).isZero();
        assertThat(gauge(registry, SweepMetrics.LAST_DELETED)).isEqualTo(2);
        // The refreshes behind the checks, through the refresher's listener.
        assertThat(refreshes(registry, "vendor", "succeeded", "none")).isEqualTo(3);
        assertThat(refreshes(registry, "vendor", "not_valid", "invalid_grant")).as("dave").isEqualTo(1);
        assertThat(refreshes(registry, "vendor", "not_valid", "none")).as("frank: no refresh token").isEqualTo(1);
        assertThat(refreshes(registry, "down", "transient", "none")).as("grace").isEqualTo(1);
        assertThat(Meters.allRefreshes(registry)).isEqualTo(6);
        // The broken service listener kept heidi; the others it asked to delete are gone.
        assertThat(store.find("user-heidi")).isPresent();
        assertThat(store.find("user-dave")).isEmpty();
        assertThat(store.find("user-frank")).isEmpty();
        Meters.assertNoTagCarries(registry, List.of("user-", "refresh-grace"));
    }

    @Test
    void aPassHaltedByAConfigurationErrorShowsInTheStateAndLeavesItsClaimUnchecked() {
        link("user-alice");
        sweep.runOnce();
        // An identity of a provider the service no longer configures: our fault, and it stops the pass.
        create(Identity.builder().id("user-ivan").providerKey("retired").accessToken("access-ivan")
                .refreshToken("refresh-ivan-0123456789").build());

        PassSummary halted = sweep.runOnce();

        assertThat(halted.state()).isEqualTo(PassSummary.State.CONFIGURATION_ERROR);
        assertThat(registry.get(SweepMetrics.PASSES).tags("state", "completed").timer().count()).isEqualTo(1);
        assertThat(registry.get(SweepMetrics.PASSES).tags("state", "configuration_error").timer().count())
                .isEqualTo(1);
        assertThat(gauge(registry, SweepMetrics.LAST_STATE, "state", "configuration_error")).isEqualTo(1);
        assertThat(gauge(registry, SweepMetrics.LAST_STATE, "state", "completed")).isZero();
        assertThat(gauge(registry, SweepMetrics.LAST_IDENTITIES, "outcome", "unchecked")).isEqualTo(1);
        assertThat(gauge(registry, SweepMetrics.LAST_IDENTITIES, "outcome", "valid")).isZero();
        assertThat(counter(registry, SweepMetrics.CHECKS, "provider", "vendor", "outcome", "valid")).isEqualTo(1);
        assertThat(registry.find(SweepMetrics.CHECKS).counters()).hasSize(1);
        assertThat(refreshes(registry, "retired", "configuration", "none")).isEqualTo(1);
    }

    private void link(String userId) {
        create(server.issueIdentity(userId, "read"));
    }

    private void create(Identity identity) {
        store.create(identity);
    }
}
