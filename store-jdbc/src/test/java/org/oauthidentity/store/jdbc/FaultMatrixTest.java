package org.oauthidentity.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.IdentityStore;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.RefreshException;
import org.oauthidentity.RefreshOutcomeUnknownException;
import org.oauthidentity.TokenResponseException;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.refresh.RefreshListener;
import org.oauthidentity.refresh.RetryPolicy;
import org.oauthidentity.store.InMemoryIdentityStore;
import org.oauthidentity.testing.ManualClock;
import org.oauthidentity.testkit.FakeAuthorizationServer;
import org.oauthidentity.testkit.FakeAuthorizationServer.Fault;

/**
 * Every fault a vendor, a proxy or the network produced at a rotating token endpoint, against the in-memory store
 * and against PostgreSQL. For each: a refresh meets the fault, then the next refresh meets a healthy endpoint, and
 * three invariants hold:
 * <ul>
 *   <li>the vendor never sees a refresh token twice, unless the library reported that an answer was lost;</li>
 *   <li>a healthy identity is never declared not valid (an {@link IdentityNotValid} is only ever one that says
 *       it followed a lost answer);</li>
 *   <li>the stored refresh token is the last one the vendor issued (the next refreshes with it succeed), unless
 *       the library reported that an answer was lost.</li>
 * </ul>
 * Each fault also says what the first refresh must end with, so a fault handled by luck does not pass.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FaultMatrixTest {
    private TestDatabase postgres;
    private FakeAuthorizationServer vendor;

    enum StoreKind { IN_MEMORY, POSTGRESQL }

    /** What the refresh that met the fault ends with. */
    enum Expect {
        /** New tokens, saved. */
        REFRESHED,
        /** A typed protocol error; nothing was lost, the next refresh works. */
        UNUSABLE_ANSWER,
        /** Our client is misconfigured; no identity is condemned. */
        CONFIGURATION,
        /** The vendor rotated and the answer was lost: reported as unknown, then as a lost answer. */
        OUTCOME_UNKNOWN
    }

    @BeforeAll
    void startDatabase() {
        postgres = TestDatabase.postgres();
    }

    @AfterAll
    void closeDatabase() {
        postgres.close();
    }

    @AfterEach
    void stopVendor() {
        if (vendor != null) {
            vendor.close();
        }
    }

    static Stream<Arguments> faults() {
        List<Arguments> cases = new ArrayList<>();
        Object[][] matrix = {
                {"expires_in -1", Fault.tokenField("expires_in", "-1"), Expect.REFRESHED},
                {"expires_in \"3600s\"", Fault.tokenField("expires_in", "\"3600s\""), Expect.REFRESHED},
                {"expires_in 1e400", Fault.tokenField("expires_in", "1e400"), Expect.REFRESHED},
                {"expires_in \"99999999999999\"", Fault.tokenField("expires_in", "\"99999999999999\""), Expect.REFRESHED},
                {"expires_in 0", Fault.tokenField("expires_in", "0"), Expect.REFRESHED},
                {"created_at as ISO text", Fault.tokenField("created_at", "\"2026-11-30T10:00:00Z\""), Expect.REFRESHED},
                {"created_at far behind", Fault.tokenField("created_at", "1000000000"), Expect.REFRESHED},
                {"token_type of 80 characters", Fault.tokenField("token_type", "\"" + "x".repeat(80) + "\""),
                        Expect.REFRESHED},
                {"access_token with CR/LF", Fault.tokenField("access_token", "\"at-new\\r\\nX-Injected: 1\""),
                        Expect.UNUSABLE_ANSWER},
                {"200 HTML from a captive portal", Fault.htmlPage(200), Expect.UNUSABLE_ANSWER},
                {"401 HTML with a Basic challenge", Fault.unauthorizedChallenge(), Expect.CONFIGURATION},
                {"401 empty with a Basic challenge", Fault.unauthorizedChallenge(null, ""), Expect.CONFIGURATION},
                {"503 with Retry-After", Fault.serviceUnavailable(Duration.ofSeconds(1)), Expect.REFRESHED},
                {"429 with Retry-After", Fault.tooManyRequests(Duration.ofSeconds(1)), Expect.REFRESHED},
                {"500", Fault.serverError(), Expect.REFRESHED},
                // Closed unanswered after the request went out: the vendor did not rotate, but the client cannot
                // know that; it reports the outcome as unknown, and the next refresh shows the identity is fine.
                {"connection closed unanswered, vendor did not rotate", Fault.dropConnection(), Expect.OUTCOME_UNKNOWN},
                {"body dripped slowly", Fault.drip(64, Duration.ofMillis(40)), Expect.REFRESHED},
                {"200 cut off after the vendor rotated", Fault.truncatedBody(), Expect.OUTCOME_UNKNOWN},
                {"connection reset after the vendor rotated", Fault.loseResponse(), Expect.OUTCOME_UNKNOWN},
                {"body later than the read timeout", Fault.slow(Duration.ofMillis(1500)), Expect.OUTCOME_UNKNOWN},
        };
        for (StoreKind store : StoreKind.values()) {
            for (Object[] row : matrix) {
                cases.add(Arguments.of(store, row[0], row[1], row[2]));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("faults")
    void aRotatedRefreshTokenIsNeverLostAndAHealthyIdentityNeverCondemned(StoreKind kind, String name, Fault fault,
            Expect expect) throws Exception {
        ManualClock clock = ManualClock.at(Instant.now().truncatedTo(ChronoUnit.SECONDS));
        vendor = FakeAuthorizationServer.builder().rotateRefreshTokens(true).clock(clock).start();
        IdentityStore store = store(kind, clock);
        List<String> unknownOutcomes = new CopyOnWriteArrayList<>();
        OAuth2Provider provider = OAuth2Provider.create(vendor.oauth2Settings()
                .httpClient(new OkHttpClient.Builder().readTimeout(Duration.ofMillis(500)).build()).build());
        IdentityRefresher refresher = IdentityRefresher.builder(store).provider(provider)
                .retryPolicy(RetryPolicy.of(3, Duration.ofMillis(1), Duration.ofSeconds(2)).withSleeper(d -> { }))
                .listener(new RefreshListener() {
                    @Override
                    public void refreshOutcomeUnknown(String identityId, RefreshException error) {
                        unknownOutcomes.add(identityId);
                    }
                })
                .build();
        // given a linked account whose access token has run out
        Identity linked = store.create(vendor.issueIdentity("alice").toBuilder()
                .expiresAt(clock.instant().minusSeconds(60)).build());

        // when a refresh meets the fault, and the next one a healthy endpoint
        vendor.failNextTokenRequests(1, fault);
        Outcome first = Outcome.of(() -> refresher.refresh(linked));
        vendor.clearFaults();
        Outcome second = Outcome.of(() -> refresher.refresh(store.find("alice").orElseThrow()));
        Outcome third = Outcome.of(() -> refresher.refresh(store.find("alice").orElseThrow()));

        // then the first refresh ends as this fault must end
        switch (expect) {
            case REFRESHED:
                assertThat(first.failure).as("first refresh").isNull();
                assertThat(first.identity.refreshToken()).isNotEqualTo(linked.refreshToken());
                break;
            case UNUSABLE_ANSWER:
                assertThat(first.failure).isInstanceOf(TokenResponseException.class);
                break;
            case CONFIGURATION:
                assertThat(first.failure).isInstanceOf(ProviderConfigurationException.class);
                break;
            case OUTCOME_UNKNOWN:
                assertThat(first.failure).isInstanceOf(RefreshOutcomeUnknownException.class);
                assertThat(unknownOutcomes).containsExactly("alice");
                break;
        }
        // and a healthy identity is never condemned: an IdentityNotValid only ever says it followed a lost answer
        for (Outcome outcome : List.of(first, second, third)) {
            if (outcome.failure instanceof IdentityNotValid) {
                assertThat(((IdentityNotValid) outcome.failure).afterLostAnswer())
                        .as("IdentityNotValid for a healthy identity: %s", outcome.failure.getMessage()).isTrue();
            }
        }
        if (second.failure instanceof IdentityNotValid) {
            // the vendor had rotated and the answer was lost: reported twice (unknown, then lost), never hidden
            assertThat(expect).as("an answer was reported lost").isEqualTo(Expect.OUTCOME_UNKNOWN);
            Identity now = store.find("alice").orElseThrow();
            assertThat(now.refreshToken()).as("the store keeps the refresh token it had").isEqualTo(linked.refreshToken());
            assertThat(now.extra(IdentityRefresher.LOST_ANSWER)).as("and records that it is used up").isPresent();
            assertThat(third.failure).isInstanceOf(IdentityNotValid.class);
            assertThat(vendor.reusedRefreshTokens()).as("presented once more, then never again").isEqualTo(1);
            return;
        }
        // and the vendor never saw a refresh token twice, and the stored one is the last it issued: the next
        // refreshes with it both work
        assertThat(vendor.reusedRefreshTokens()).as("refresh tokens presented twice").isZero();
        assertThat(second.failure).as("the refresh after the fault").isNull();
        assertThat(third.failure).as("the refresh after that").isNull();
        assertThat(store.find("alice").orElseThrow().refreshToken()).isEqualTo(third.identity.refreshToken());
        assertThat(store.find("alice").orElseThrow().tokenType()).hasSizeLessThanOrEqualTo(50);
        assertThat(store.find("alice").orElseThrow().accessToken()).doesNotContain("\r", "\n");
    }

    private IdentityStore store(StoreKind kind, ManualClock clock) {
        if (kind == StoreKind.IN_MEMORY) {
            return new InMemoryIdentityStore();
        }
        postgres.execute("DROP TABLE IF EXISTS oauth_identity");
        postgres.execute("DROP TABLE IF EXISTS " + Schema.HISTORY);
        return JdbcIdentityStore.builder(postgres.pool).clock(clock).createSchemaIfMissing().build();
    }

    /** How one refresh ended: the identity it returned, or what it threw. */
    private static final class Outcome {
        final Identity identity;
        final Exception failure;

        private Outcome(Identity identity, Exception failure) {
            this.identity = identity;
            this.failure = failure;
        }

        interface Refresh {
            Identity run() throws Exception;
        }

        static Outcome of(Refresh refresh) {
            try {
                return new Outcome(refresh.run(), null);
            } catch (Exception e) {
                return new Outcome(null, e);
            }
        }
    }
}
