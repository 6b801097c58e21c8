package org.oauthidentity.sweep;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import mockwebserver3.MockWebServer;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.TransientRefreshException;
import org.oauthidentity.VerificationStatus;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.oauth2.OAuth2Settings;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.store.InMemoryIdentityStore;
import org.oauthidentity.testing.ManualClock;

/**
 * Passes against a real token endpoint on loopback (mockwebserver3) through core's {@link OAuth2Provider}:
 * the outcomes come from real HTTP answers, and every request is counted per refresh token.
 */
class SweepOverHttpTest {
    private static final Instant T0 = Instant.parse("2024-05-01T12:00:00Z");
    private static final Instant A_DAY_AGO = T0.minus(Duration.ofDays(1));
    /** Long enough for a loopback answer on a busy machine; the slow answers take several times longer. */
    private static final Duration READ_TIMEOUT = Duration.ofMillis(1_000);

    private final ManualClock clock = ManualClock.at(T0);
    private final InMemoryIdentityStore store = new InMemoryIdentityStore();
    private final TokenEndpoint endpoint = new TokenEndpoint();
    private final MockWebServer server = new MockWebServer();
    private final List<ValidationSweep> sweeps = new ArrayList<>();
    private IdentityRefresher refresher;

    @BeforeEach
    void startTokenEndpoint() throws Exception {
        server.setDispatcher(endpoint);
        server.start();
        OkHttpClient http = new OkHttpClient.Builder().readTimeout(READ_TIMEOUT).build();
        OAuth2Provider vendor = OAuth2Provider.create(OAuth2Settings.builder()
                .providerKey("vendor").tokenUrl(server.url("/oauth/token").toString())
                .clientId("sweep-client").clientSecret("sweep-client-secret")
                .httpClient(http).clock(clock).build());
        refresher = IdentityRefresher.builder(store).provider(vendor).build();
    }

    @AfterEach
    void stop() {
        sweeps.forEach(ValidationSweep::close);
        server.close();
    }

    @Test
    void mixedPopulationEndsWithExactCountsPerOutcomeAndOneRequestPerIdentity() {
        // 1,000 due: 700 valid, 150 revoked, 100 answering 500, 16 timing out, 34 without a refresh token.
        create("valid-", 700, A_DAY_AGO);
        create("revoked-", 150, A_DAY_AGO);
        create("down-", 100, A_DAY_AGO);
        create("slow-", 16, A_DAY_AGO);
        for (int i = 0; i < 34; i++) {
            store.create(Identity.builder().id("none-" + i).providerKey("vendor").accessToken("access-none-" + i)
                    .lastVerifiedAt(A_DAY_AGO).build());
        }
        // ... and 100 verified ten minutes ago, not due.
        List<Identity> fresh = create("fresh-", 100, T0.minus(Duration.ofMinutes(10)));
        Map<Outcome, AtomicLong> heard = new ConcurrentHashMap<>();
        Map<String, Exception> errorCauses = new ConcurrentHashMap<>();
        SweepListener listener = check -> {
            heard.computeIfAbsent(check.outcome(), o -> new AtomicLong()).incrementAndGet();
            check.cause().filter(c -> check.outcome() == Outcome.ERROR)
                    .ifPresent(c -> errorCauses.put(check.identityId(), c));
            return SweepListener.Action.KEEP;
        };

        PassSummary summary = keep(ValidationSweep.builder(refresher).clock(clock).concurrency(16)
                .listener(listener).build()).runOnce();

        assertThat(summary.state()).isEqualTo(PassSummary.State.COMPLETED);
        assertThat(summary.claimed()).isEqualTo(1_000);
        assertThat(summary.valid()).isEqualTo(700);
        assertThat(summary.notValid()).isEqualTo(150 + 34);
        assertThat(summary.errors()).isEqualTo(100 + 16);
        assertThat(summary.skipped() + summary.unchecked()).isZero();
        assertThat(heard.get(Outcome.VALID)).hasValue(700);
        assertThat(heard.get(Outcome.NOT_VALID)).hasValue(184);
        assertThat(heard.get(Outcome.ERROR)).hasValue(116);

        // Every identity with a refresh token was asked about exactly once; the others never.
        Map<String, Integer> perToken = endpoint.requestsPerToken();
        assertThat(perToken).hasSize(966);
        assertThat(perToken.values()).containsOnly(1);
        assertThat(perToken.keySet()).noneMatch(token -> token.startsWith("fresh-"));
        assertThat(server.getRequestCount()).isEqualTo(966);

        // The store agrees, and the host can tell an outage (5xx) from a timeout (no status).
        assertThat(statuses("valid-", 700)).containsOnly(VerificationStatus.VALID);
        assertThat(statuses("revoked-", 150)).containsOnly(VerificationStatus.NOT_VALID);
        assertThat(statuses("none-", 34)).containsOnly(VerificationStatus.NOT_VALID);
        assertThat(statuses("down-", 100)).containsOnly(VerificationStatus.ERROR);
        assertThat(statuses("slow-", 16)).containsOnly(VerificationStatus.ERROR);
        assertThat(errorCauses).hasSize(116);
        errorCauses.forEach((id, cause) -> assertThat(cause).isInstanceOfSatisfying(TransientRefreshException.class,
                e -> assertThat(e.httpStatus()).isEqualTo(id.startsWith("down-") ? 500 : 0)));
        for (Identity f : fresh) {
            assertThat(store.find(f.id())).contains(f);
        }
    }

    @Test
    void invalidClientStopsThePassAndMarksNoIdentity() {
        int concurrency = 4;
        create("valid-", 50, A_DAY_AGO);
        endpoint.rejectClient = true;
        ValidationSweep sweep = keep(ValidationSweep.builder(refresher).clock(clock).concurrency(concurrency)
                .pageSize(10).build());

        PassSummary stopped = sweep.runOnce();

        assertThat(stopped.state()).isEqualTo(PassSummary.State.CONFIGURATION_ERROR);
        assertThat(stopped.configurationError()).get()
                .satisfies(e -> assertThat(e.error()).contains("invalid_client"));
        assertThat(stopped.toString()).doesNotContain("sweep-client-secret");
        assertThat(stopped.valid() + stopped.notValid() + stopped.errors()).isZero();
        assertThat(stopped.claimed()).as("no further page claimed").isEqualTo(10);
        assertThat(stopped.unchecked()).isEqualTo(10);
        assertThat(endpoint.requests()).as("no check starts after the first invalid_client")
                .isBetween(1, concurrency);
        List<VerificationStatus> all = statuses("valid-", 50);
        assertThat(all).as("zero identities NOT_VALID or ERROR").containsOnly(VerificationStatus.UNVERIFIED);

        // The credentials are fixed; the claimed identities come back once their claim is an interval old.
        endpoint.rejectClient = false;
        int rejected = endpoint.requests();
        clock.advance(Duration.ofMinutes(30));
        assertThat(sweep.runOnce().valid()).as("the never claimed ones only").isEqualTo(40);
        clock.set(T0.plus(Duration.ofHours(1)).plusSeconds(1));
        PassSummary later = sweep.runOnce();

        assertThat(later.valid()).as("the ten left claimed").isEqualTo(10);
        assertThat(statuses("valid-", 50)).containsOnly(VerificationStatus.VALID);
        assertThat(endpoint.requests() - rejected).isEqualTo(50);
    }

    @Test
    void passCutShortByItsDeadlineLeavesTheRestClaimedForALaterPassAndLosesNothing() {
        create("valid-", 40, A_DAY_AGO);
        // Each token request takes a minute of the injected clock; the pass may start checks for 5 minutes.
        Duration perRequest = Duration.ofMinutes(1);
        endpoint.onRequest = () -> clock.advance(perRequest);
        ValidationSweep sweep = keep(ValidationSweep.builder(refresher).clock(clock).concurrency(2).jitter(Duration.ZERO)
                .passDeadline(Duration.ofMinutes(5)).build());

        PassSummary cut = sweep.runOnce();

        assertThat(cut.state()).isEqualTo(PassSummary.State.DEADLINE_REACHED);
        assertThat(cut.claimed()).isEqualTo(40);
        // Five requests reach the deadline; a second worker may have started one more just before.
        assertThat(cut.valid()).isBetween(5L, 6L).isEqualTo((long) endpoint.requests());
        assertThat(cut.unchecked()).isEqualTo(40 - cut.valid());
        List<Identity> left = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            Identity identity = store.find("valid-" + i).orElseThrow();
            if (identity.status() == VerificationStatus.UNVERIFIED) {
                assertThat(identity.lastVerifiedAt()).as("claimed, unchecked").contains(T0);
                left.add(identity);
            } else {
                assertThat(identity.status()).isEqualTo(VerificationStatus.VALID);
            }
        }
        assertThat(left).hasSize((int) cut.unchecked());

        endpoint.onRequest = () -> { };
        assertThat(sweep.runOnce().claimed()).as("still within the interval of their claim").isZero();
        // Just past an interval after the claim: only the unchecked ones are due (the others were recorded later).
        clock.set(T0.plus(Duration.ofHours(1)).plusSeconds(30));
        PassSummary next = sweep.runOnce();

        assertThat(next.state()).isEqualTo(PassSummary.State.COMPLETED);
        assertThat(next.valid()).isEqualTo(left.size());
        assertThat(statuses("valid-", 40)).containsOnly(VerificationStatus.VALID);
        Map<String, Integer> perToken = endpoint.requestsPerToken();
        assertThat(perToken).hasSize(40);
        assertThat(perToken.values()).as("each checked exactly once over both passes").containsOnly(1);
    }

    @Test
    void identityWithoutRefreshTokenIsNotValidWithoutARequest() {
        store.create(Identity.builder().id("carol").providerKey("vendor").accessToken("access-carol")
                .lastVerifiedAt(A_DAY_AGO).build());
        List<IdentityCheck> heard = new ArrayList<>();

        PassSummary summary = keep(ValidationSweep.builder(refresher).clock(clock).listener(check -> {
            synchronized (heard) {
                heard.add(check);
            }
            return SweepListener.Action.KEEP;
        }).build()).runOnce();

        assertThat(summary.notValid()).isEqualTo(1);
        assertThat(server.getRequestCount()).isZero();
        assertThat(store.find("carol")).get().extracting(Identity::status).isEqualTo(VerificationStatus.NOT_VALID);
        assertThat(heard).singleElement().satisfies(check ->
                assertThat(check.cause()).get().isInstanceOf(IdentityNotValid.class));
    }

    private List<Identity> create(String prefix, int n, Instant lastVerifiedAt) {
        List<Identity> created = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            created.add(store.create(Identity.builder().id(prefix + i).providerKey("vendor")
                    .accessToken("access-" + prefix + i).refreshToken(prefix + i)
                    .lastVerifiedAt(lastVerifiedAt).build()));
        }
        return created;
    }

    private List<VerificationStatus> statuses(String prefix, int n) {
        return StoredStatuses.of(store, prefix, n);
    }

    private ValidationSweep keep(ValidationSweep sweep) {
        sweeps.add(sweep);
        return sweep;
    }
}
