package org.oauthidentity.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.TransientRefreshException;
import org.oauthidentity.VerificationStatus;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.oauth2.OAuth2Settings;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.refresh.RateLimits;
import org.oauthidentity.store.InMemoryIdentityStore;
import org.oauthidentity.testing.ManualClock;

/**
 * A vendor that asks us to slow down (429, or 503 with {@code Retry-After}) gets a pause, not a pass full of
 * failures: its identities stay due and are checked after the pause, never marked ERROR for it; other vendors'
 * checks go on. Two providers share one loopback server: {@code vendor} on {@code /oauth/token} (answers by the
 * refresh token's prefix, see {@link TokenEndpoint}) and {@code limited} on {@code /limited/token}, which answers
 * 429 with {@code Retry-After: 120} while {@link #limiting} is set.
 */
class SweepPauseTest {
    private static final Instant T0 = Instant.parse("2024-05-01T12:00:00Z");
    private static final Instant A_DAY_AGO = T0.minus(Duration.ofDays(1));
    private static final Duration INTERVAL = Duration.ofHours(1);
    private static final Duration RETRY_AFTER = Duration.ofSeconds(120);

    private final ManualClock clock = ManualClock.at(T0);
    private final InMemoryIdentityStore store = new InMemoryIdentityStore();
    private final TokenEndpoint vendorEndpoint = new TokenEndpoint();
    private final AtomicInteger limitedRequests = new AtomicInteger();
    private volatile boolean limiting = true;
    private final MockWebServer server = new MockWebServer();
    private final List<ValidationSweep> sweeps = new ArrayList<>();
    private IdentityRefresher refresher;

    @BeforeEach
    void startServer() throws Exception {
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
                if (request.getTarget().startsWith("/limited/")) {
                    limitedRequests.incrementAndGet();
                    if (limiting) {
                        return new MockResponse.Builder().code(429).addHeader("Retry-After", "120")
                                .addHeader("Content-Type", "application/json").body("{\"error\":\"slow_down\"}").build();
                    }
                    return new MockResponse.Builder().code(200).addHeader("Content-Type", "application/json")
                            .body("{\"access_token\":\"limited-access\",\"token_type\":\"Bearer\",\"expires_in\":3600}")
                            .build();
                }
                return vendorEndpoint.dispatch(request);
            }
        });
        server.start();
        OkHttpClient http = new OkHttpClient();
        RateLimits limits = RateLimits.builder().clock(clock).build();
        refresher = IdentityRefresher.builder(store).rateLimits(limits)
                .provider(provider("vendor", "/oauth/token", http))
                .provider(provider("limited", "/limited/token", http)).build();
    }

    private OAuth2Provider provider(String key, String path, OkHttpClient http) {
        return OAuth2Provider.create(OAuth2Settings.builder().providerKey(key).tokenUrl(server.url(path).toString())
                .clientId(key + "-client").clientSecret(key + "-client-secret").httpClient(http).clock(clock).build());
    }

    @AfterEach
    void stop() {
        sweeps.forEach(ValidationSweep::close);
        server.close();
    }

    @Test
    void aThrottlingVendorIsPausedForTheRestOfThePassItsIdentitiesStayDueAndOtherVendorsAreChecked() {
        create("limited", "rt-", 60);
        create("vendor", "valid-", 40);
        Map<String, Outcome> heard = new ConcurrentHashMap<>();
        int concurrency = 4;
        ValidationSweep sweep = keep(ValidationSweep.builder(refresher).clock(clock).interval(INTERVAL)
                .concurrency(concurrency).pageSize(10).listener(check -> {
                    heard.put(check.identityId(), check.outcome());
                    return SweepListener.Action.KEEP;
                }).build());

        PassSummary first = sweep.runOnce();

        assertThat(first.state()).isEqualTo(PassSummary.State.COMPLETED);
        assertThat(first.claimed()).isEqualTo(100);
        assertThat(first.valid()).isEqualTo(40);
        assertThat(first.deferred()).isEqualTo(60);
        assertThat(first.errors() + first.notValid() + first.skipped() + first.unchecked()).isZero();
        assertThat(limitedRequests.get()).as("only the checks already under way when the first 429 came")
                .isBetween(1, concurrency);
        assertThat(heard).hasSize(40).allSatisfy((id, outcome) -> {
            assertThat(id).startsWith("valid-");
            assertThat(outcome).isEqualTo(Outcome.VALID);
        });
        Instant pauseEnds = T0.plus(RETRY_AFTER);
        for (int i = 0; i < 60; i++) {
            Identity deferred = store.find("rt-" + i).orElseThrow();
            assertThat(deferred.status()).as("not marked ERROR for a wait we chose").isEqualTo(VerificationStatus.UNVERIFIED);
            assertThat(deferred.lastVerifiedAt()).as("due again when the pause ends").contains(pauseEnds.minus(INTERVAL));
            assertThat(deferred.accessToken()).isEqualTo("access-rt-" + i);
        }
        assertThat(refresher.rateLimits().pausedUntil("limited")).contains(pauseEnds);

        // During the pause nothing of it is due, and nothing is sent.
        clock.advance(Duration.ofSeconds(60));
        assertThat(sweep.runOnce().claimed()).isZero();
        assertThat(limitedRequests.get()).isBetween(1, concurrency);

        // Once it has passed, the next pass checks every one of them, once.
        limiting = false;
        clock.set(pauseEnds.plusSeconds(1));
        int before = limitedRequests.get();
        PassSummary after = sweep.runOnce();

        assertThat(after.claimed()).isEqualTo(60);
        assertThat(after.valid()).isEqualTo(60);
        assertThat(limitedRequests.get() - before).isEqualTo(60);
        assertThat(statuses("rt-", 60)).containsOnly(VerificationStatus.VALID);
    }

    @Test
    void whenEveryVendorIsPausedThePassStopsClaimingAndLeavesEverythingDue() {
        create("limited", "rt-", 200);
        IdentityRefresher onlyLimited = IdentityRefresher.builder(store).rateLimits(refresher.rateLimits())
                .provider(provider("limited", "/limited/token", new OkHttpClient())).build();
        int concurrency = 2;
        ValidationSweep sweep = keep(ValidationSweep.builder(onlyLimited).clock(clock).interval(INTERVAL)
                .concurrency(concurrency).pageSize(10).build());

        PassSummary paused = sweep.runOnce();

        assertThat(paused.state()).isEqualTo(PassSummary.State.PAUSED);
        assertThat(paused.claimed()).as("no page claimed after the pause").isLessThanOrEqualTo(20);
        assertThat(paused.deferred()).isEqualTo(paused.claimed());
        assertThat(paused.errors() + paused.valid() + paused.unchecked()).isZero();
        assertThat(limitedRequests.get()).isBetween(1, concurrency);
        assertThat(statuses("rt-", 200)).containsOnly(VerificationStatus.UNVERIFIED);

        limiting = false;
        clock.set(T0.plus(RETRY_AFTER).plusSeconds(1));
        PassSummary resumed = sweep.runOnce();

        assertThat(resumed.state()).isEqualTo(PassSummary.State.COMPLETED);
        assertThat(resumed.valid()).as("every identity, the deferred ones included").isEqualTo(200);
    }

    @Test
    void a500IsAnOutageRecordedAsErrorButA503WithRetryAfterIsAPause() {
        create("vendor", "down-", 5);
        ValidationSweep sweep = keep(ValidationSweep.builder(refresher).clock(clock).interval(INTERVAL)
                .concurrency(2).build());

        PassSummary outage = sweep.runOnce();

        assertThat(outage.errors()).isEqualTo(5);
        assertThat(outage.deferred()).isZero();
        assertThat(statuses("down-", 5)).containsOnly(VerificationStatus.ERROR);
        assertThat(refresher.rateLimits().pausedUntil("vendor")).as("a 500 asks for no pause").isEmpty();

        create("vendor", "busy-", 1);
        PassSummary busy = sweep.runOnce();

        assertThat(busy.claimed()).isEqualTo(1);
        assertThat(busy.deferred()).isEqualTo(1);
        assertThat(busy.errors()).isZero();
        assertThat(store.find("busy-0").orElseThrow().status()).isEqualTo(VerificationStatus.UNVERIFIED);
        assertThat(refresher.rateLimits().pausedUntil("vendor")).contains(T0.plus(RETRY_AFTER));
    }

    @Test
    void aUsersRefreshThatMeetsA429HoldsTheSweepBackButUsersStillGetThrough() throws Exception {
        create("limited", "rt-", 20);
        Identity alice = store.find("rt-0").orElseThrow();

        assertThatThrownBy(() -> refresher.refresh(alice)).isInstanceOfSatisfying(TransientRefreshException.class,
                e -> assertThat(e.httpStatus()).isEqualTo(429));
        int afterUser = limitedRequests.get();
        PassSummary pass = keep(ValidationSweep.builder(refresher).clock(clock).interval(INTERVAL).build()).runOnce();

        assertThat(pass.deferred()).isEqualTo(20);
        assertThat(limitedRequests.get()).as("the sweep sends nothing to a paused vendor").isEqualTo(afterUser);
        assertThatThrownBy(() -> refresher.refresh(alice)).isInstanceOf(TransientRefreshException.class);
        assertThat(limitedRequests.get()).as("a user's refresh is not held back by the pause")
                .isEqualTo(afterUser + 1);
    }

    private void create(String providerKey, String prefix, int n) {
        for (int i = 0; i < n; i++) {
            store.create(Identity.builder().id(prefix + i).providerKey(providerKey).accessToken("access-" + prefix + i)
                    .refreshToken(prefix + i).lastVerifiedAt(A_DAY_AGO).build());
        }
    }

    private List<VerificationStatus> statuses(String prefix, int n) {
        return StoredStatuses.of(store, prefix, n);
    }

    private ValidationSweep keep(ValidationSweep sweep) {
        sweeps.add(sweep);
        return sweep;
    }
}
