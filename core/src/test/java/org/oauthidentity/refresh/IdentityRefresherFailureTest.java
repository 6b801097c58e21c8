package org.oauthidentity.refresh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.IdentityStore;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.RefreshException;
import org.oauthidentity.RefreshNotPersistedException;
import org.oauthidentity.RefreshOutcomeUnknownException;
import org.oauthidentity.RefreshRejectedException;
import org.oauthidentity.TokenResponseException;
import org.oauthidentity.TransientRefreshException;
import org.oauthidentity.VerificationStatus;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.oauth2.OAuth2Settings;
import org.oauthidentity.store.InMemoryIdentityStore;
import org.oauthidentity.support.FlakyIdentityStore;
import org.oauthidentity.support.TokenJson;
import org.oauthidentity.testing.DummyProvider;
import org.oauthidentity.testing.DummyProvider.Step;
import org.oauthidentity.testing.ManualClock;

/**
 * When a refresh fails the stored identity stays exactly as it was, and the few cases where the store
 * already holds something better (another writer rotated) are adopted instead of reported.
 */
class IdentityRefresherFailureTest {
    private static final Instant T0 = Instant.parse("2025-06-01T12:00:00Z");

    private final ManualClock clock = ManualClock.at(T0);
    private final InMemoryIdentityStore memory = new InMemoryIdentityStore();
    private final FlakyIdentityStore store = new FlakyIdentityStore(memory);
    private final RecordingListener listener = new RecordingListener();
    private MockWebServer server;
    private Identity stored;

    @BeforeEach
    void setUp() throws Exception {
        server = new MockWebServer();
        server.start();
        // An identity with every field set, at a version past 1, verified once: all of it must survive.
        Identity created = store.create(Identity.builder().id("user-1").providerKey("example")
                .externalUserId("ext-1").accessToken("access-token-0").refreshToken("refresh-token-0")
                .tokenType("Bearer").expiresAt(T0.minusSeconds(10)).scopes(List.of("read", "api"))
                .extras(Map.of("created_at", "1700000000", "id_token", "id-token-0")).build());
        store.save(created.toBuilder().accessToken("access-token-1").build());
        store.recordVerification("user-1", VerificationStatus.VALID, T0.minusSeconds(600));
        stored = store.find("user-1").orElseThrow();
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    static Stream<Arguments> failingAnswers() {
        return Stream.of(
                answer("400 invalid_grant", IdentityNotValid.class,
                        () -> TokenJson.error("invalid_grant", "Token has been expired or revoked.").response(400)),
                answer("401 without a body", ProviderConfigurationException.class,
                        () -> new MockResponse.Builder().code(401).build()),
                answer("401 invalid_client", ProviderConfigurationException.class,
                        () -> TokenJson.error("invalid_client", "Unknown client").response(401)),
                answer("429 with Retry-After", TransientRefreshException.class,
                        () -> new MockResponse.Builder().code(429).addHeader("Retry-After", "30").build()),
                answer("503 HTML", TransientRefreshException.class, () -> TokenJson.html(503)),
                answer("403 HTML from a proxy", TransientRefreshException.class, () -> TokenJson.html(403)),
                answer("400 invalid_scope", RefreshRejectedException.class,
                        () -> TokenJson.error("invalid_scope", "no").response(400)),
                answer("200 HTML", TokenResponseException.class, () -> TokenJson.html(200)),
                answer("200 without access_token", TokenResponseException.class,
                        () -> TokenJson.object().field("token_type", "Bearer").response()),
                answer("200 with half a JSON document (complete body)", TokenResponseException.class,
                        () -> TokenJson.json(200, "{\"access_token\":\"access-token-new\",\"refresh_token\":\"refr")),
                answer("200 of 1 MiB", TokenResponseException.class,
                        () -> TokenJson.json(200, "{\"access_token\":\"" + "a".repeat(1 << 20) + "\"}")));
    }

    private static Arguments answer(String name, Class<? extends RefreshException> expected,
            Supplier<MockResponse> response) {
        return Arguments.of(Named.of(name, response), expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("failingAnswers")
    void aFailedRefreshLeavesTheStoredIdentityExactlyAsItWas(Supplier<MockResponse> answer,
            Class<? extends RefreshException> expected) {
        server.enqueue(answer.get());

        RefreshException e = assertThrows(RefreshException.class, () -> httpRefresher().refresh(stored));

        assertThat(e).isInstanceOf(expected);
        assertThat(store.find("user-1")).contains(stored);
        assertThat(store.find("user-1").orElseThrow().version()).isEqualTo(stored.version());
        assertThat(listener.events).containsExactlyElementsOf(e instanceof RefreshOutcomeUnknownException
                ? List.of("started user-1", "unknown user-1", "failed user-1")
                : List.of("started user-1", "failed user-1"));
        assertThat(listener.failures).containsExactly(e);
        assertLeaseIsFree();
    }

    @Test
    void aTwoHundredWithoutAnAccessTokenStillSavesTheRefreshTokenItIssued() {
        // Unusable as an answer, but the vendor may have retired the old refresh token for this new one.
        server.enqueue(TokenJson.object().field("refresh_token", "refresh-token-new").response());

        assertThrows(TokenResponseException.class, () -> httpRefresher().refresh(stored));

        Identity now = store.find("user-1").orElseThrow();
        assertThat(now.refreshToken()).contains("refresh-token-new");
        assertThat(now.accessToken()).isEqualTo(stored.accessToken());
        assertThat(now.version()).isEqualTo(stored.version() + 1);
        assertLeaseIsFree();
    }

    @Test
    void aConnectionFailureLeavesItAsItWasToo() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        OAuth2Provider nowhere = OAuth2Provider.create(settings("http://127.0.0.1:" + closedPort + "/token"));
        IdentityRefresher refresher = IdentityRefresher.builder(store).provider(nowhere)
                .retryPolicy(RetryPolicy.none()).build();

        assertThrows(TransientRefreshException.class, () -> refresher.refresh(stored));

        assertThat(store.find("user-1")).contains(stored);
    }

    @Test
    void noRefreshTokenIsNotValidWithoutARequestAndLeavesItAsItWas() {
        Identity noRefresh = store.save(stored.toBuilder().refreshToken(null).build());

        assertThrows(IdentityNotValid.class, () -> httpRefresher().refresh(noRefresh));

        assertThat(server.getRequestCount()).isZero();
        assertThat(store.find("user-1")).contains(noRefresh);
    }

    // ---- another writer got there first ---------------------------------------------------------------

    @Test
    void invalidGrantIsAdoptedWhenAnotherWriterRotatedMeanwhile() throws Exception {
        Identity[] rotatedElsewhere = new Identity[1];
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                // Another process (not using our lease) used the same refresh token a moment earlier and won.
                rotatedElsewhere[0] = memory.save(stored.toBuilder()
                        .accessToken("access-token-elsewhere").refreshToken("refresh-token-elsewhere").build());
                return TokenJson.error("invalid_grant", "Token has been expired or revoked.").response(400);
            }
        });

        Identity result = httpRefresher().refresh(stored);

        assertThat(result).isEqualTo(rotatedElsewhere[0]);
        assertThat(result.refreshToken()).contains("refresh-token-elsewhere");
        assertThat(store.find("user-1")).contains(rotatedElsewhere[0]);
        assertThat(listener.events).containsExactly("started user-1", "adopted user-1");
    }

    @Test
    void invalidGrantStandsWhenTheOtherWriterDidNotRotateTheRefreshToken() {
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                memory.save(stored.toBuilder().accessToken("access-token-elsewhere").build());
                return TokenJson.error("invalid_grant", "Token has been expired or revoked.").response(400);
            }
        });

        assertThrows(IdentityNotValid.class, () -> httpRefresher().refresh(stored));
    }

    @Test
    void aWriterThatSavedFirstWithoutTheLeaseWinsAndItsIdentityIsReturned() throws Exception {
        Identity[] savedElsewhere = new Identity[1];
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                savedElsewhere[0] = memory.save(stored.toBuilder().accessToken("access-token-elsewhere").build());
                return TokenJson.success("access-token-ours").expiresIn(3600).response();
            }
        });

        Identity result = httpRefresher().refresh(stored);

        assertThat(result).isEqualTo(savedElsewhere[0]);
        assertThat(store.find("user-1")).contains(savedElsewhere[0]);
        assertLeaseIsFree();
    }

    // ---- the store fails -----------------------------------------------------------------------------------

    @Test
    void aRotatedRefreshTheStoreCannotSaveIsReportedAsPossiblyLostAndNotUsed() {
        DummyProvider dummy = DummyProvider.create("example", clock).then(Step.ROTATE);
        store.failSaves(true);

        RefreshNotPersistedException e = assertThrows(RefreshNotPersistedException.class,
                () -> dummyRefresher(dummy).refresh(stored));

        assertThat(e.tokensMayBeLost()).isTrue();
        assertThat(e.getMessage()).contains("user-1").contains("rotated");
        assertThat(store.failedSaves()).isEqualTo(1);
        assertThat(memory.find("user-1")).contains(stored);
        assertThat(listener.events).containsExactly("started user-1", "failed user-1");
        assertLeaseIsFree();
    }

    @Test
    void anUnrotatedRefreshTheStoreCannotSaveLosesNothing() throws Exception {
        DummyProvider dummy = DummyProvider.create("example", clock).then(Step.SUCCEED);
        store.failSaves(true);

        RefreshNotPersistedException e = assertThrows(RefreshNotPersistedException.class,
                () -> dummyRefresher(dummy).refresh(stored));

        assertThat(e.tokensMayBeLost()).isFalse();
        assertThat(memory.find("user-1")).contains(stored);

        store.failSaves(false);
        Identity recovered = dummyRefresher(dummy).refresh(stored);
        assertThat(recovered.version()).isEqualTo(stored.version() + 1);
        assertThat(dummy.calls()).isEqualTo(2);
    }

    // ---- listeners ------------------------------------------------------------------------------------------

    @Test
    void aListenerThatThrowsBreaksNeitherASuccessNorAFailure() throws Exception {
        RefreshListener broken = new RefreshListener() {
            @Override
            public void refreshStarted(String identityId) {
                throw new IllegalStateException("listener bug");
            }

            @Override
            public void refreshSucceeded(String identityId, Duration took) {
                throw new IllegalStateException("listener bug");
            }

            @Override
            public void refreshAdopted(String identityId) {
                throw new IllegalStateException("listener bug");
            }

            @Override
            public void refreshFailed(String identityId, RefreshException error) {
                throw new IllegalStateException("listener bug");
            }

            @Override
            public void refreshRetried(String identityId, int failedAttempt, Duration delay, RefreshException cause) {
                throw new IllegalStateException("listener bug");
            }
        };
        DummyProvider dummy = DummyProvider.create("example", clock)
                .then(Step.FAIL_TRANSIENTLY, Step.ROTATE, Step.FAIL_PERMANENTLY);
        IdentityRefresher refresher = IdentityRefresher.builder(store).provider(dummy).listener(broken)
                .retryPolicy(RetryPolicy.of(2, Duration.ZERO, Duration.ZERO).withSleeper(d -> { })).build();

        Identity refreshed = refresher.refresh(stored);
        assertThat(store.find("user-1")).contains(refreshed);
        assertThat(refreshed.version()).isEqualTo(stored.version() + 1);

        assertThat(refresher.refresh(stored)).as("adopted").isEqualTo(refreshed);

        assertThrows(IdentityNotValid.class, () -> refresher.refresh(refreshed));
        assertThat(store.find("user-1")).contains(refreshed);
        assertThat(dummy.calls()).isEqualTo(3);
        assertLeaseIsFree();
    }

    @Test
    void aProviderThatThrowsUncheckedIsAFailedRefreshNotACrash() {
        org.oauthidentity.Provider buggy = new org.oauthidentity.Provider() {
            @Override
            public String key() {
                return "example";
            }

            @Override
            public Identity refresh(Identity identity) {
                throw new IllegalStateException("bug in a vendor hook");
            }
        };
        IdentityRefresher refresher = IdentityRefresher.builder(store).provider(buggy).listener(listener)
                .retryPolicy(RetryPolicy.none()).build();

        TransientRefreshException e = assertThrows(TransientRefreshException.class, () -> refresher.refresh(stored));

        assertThat(e).hasCauseInstanceOf(IllegalStateException.class).hasMessageContaining("IllegalStateException");
        assertThat(listener.failures).containsExactly(e);
        assertThat(store.find("user-1")).contains(stored);
        assertLeaseIsFree();
    }

    @Test
    void anIdentityDeletedWhileItIsRefreshedIsNotValidAndNotRecreated() {
        org.oauthidentity.Provider deleting = new org.oauthidentity.Provider() {
            private final DummyProvider dummy = DummyProvider.create("example", clock);

            @Override
            public String key() {
                return "example";
            }

            @Override
            public Identity refresh(Identity identity) throws RefreshException {
                memory.delete(identity.id()); // the owner unlinks the account mid-refresh
                return dummy.refresh(identity);
            }
        };
        IdentityRefresher refresher = IdentityRefresher.builder(store).provider(deleting).listener(listener)
                .retryPolicy(RetryPolicy.none()).build();

        IdentityNotValid e = assertThrows(IdentityNotValid.class, () -> refresher.refresh(stored));

        assertThat(e).hasMessageContaining("deleted");
        assertThat(memory.find("user-1")).isEmpty();
        assertThat(listener.failures).containsExactly(e);
    }

    private IdentityRefresher httpRefresher() {
        return IdentityRefresher.builder(store).provider(OAuth2Provider.create(settings(server.url("/token").toString())))
                .listener(listener).retryPolicy(RetryPolicy.none()).build();
    }

    private IdentityRefresher dummyRefresher(DummyProvider dummy) {
        return IdentityRefresher.builder(store).provider(dummy).listener(listener)
                .retryPolicy(RetryPolicy.none()).build();
    }

    private OAuth2Settings settings(String tokenUrl) {
        return OAuth2Settings.builder().providerKey("example").tokenUrl(tokenUrl)
                .clientId("client-1").clientSecret("client-secret-1").clock(clock).build();
    }

    private void assertLeaseIsFree() {
        try (IdentityStore.RefreshLease lease = memory.acquireRefreshLease("user-1", Duration.ZERO)) {
            assertThat(lease.identity().id()).isEqualTo("user-1");
        }
    }
}
