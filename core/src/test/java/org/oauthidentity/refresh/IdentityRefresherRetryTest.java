package org.oauthidentity.refresh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.RefreshRejectedException;
import org.oauthidentity.RefreshOutcomeUnknownException;
import org.oauthidentity.TokenResponseException;
import org.oauthidentity.TransientRefreshException;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.oauth2.OAuth2Settings;
import org.oauthidentity.store.InMemoryIdentityStore;
import org.oauthidentity.support.TokenJson;
import org.oauthidentity.testing.DummyProvider;
import org.oauthidentity.testing.DummyProvider.Step;
import org.oauthidentity.testing.ManualClock;

/** Transient failures are retried per the {@link RetryPolicy}; nothing else is. No test here sleeps. */
class IdentityRefresherRetryTest {
    private static final Instant T0 = Instant.parse("2025-04-01T09:00:00Z");

    private final ManualClock clock = ManualClock.at(T0);
    private final InMemoryIdentityStore store = new InMemoryIdentityStore();
    private final RecordingSleeper sleeper = new RecordingSleeper();
    private final RecordingListener listener = new RecordingListener();
    private final DummyProvider dummy = DummyProvider.create("example", clock);
    private MockWebServer server;
    private Identity stored;

    @BeforeEach
    void setUp() throws Exception {
        server = new MockWebServer();
        server.start();
        stored = store.create(Identity.builder().id("user-1").providerKey("example")
                .accessToken("access-0").refreshToken("refresh-0").build());
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void transientFailuresAreRetriedWithGrowingJitteredDelaysUntilOneSucceeds() throws Exception {
        dummy.then(Step.FAIL_TRANSIENTLY, Step.FAIL_TRANSIENTLY, Step.SUCCEED);
        IdentityRefresher refresher = dummyRefresher(RetryPolicy.of(3, Duration.ofMillis(200), Duration.ofSeconds(5)));

        Identity result = refresher.refresh(stored);

        assertThat(dummy.calls()).isEqualTo(3);
        assertThat(sleeper.delays).hasSize(2);
        assertThat(sleeper.delays.get(0)).isBetween(Duration.ZERO, Duration.ofMillis(200));
        assertThat(sleeper.delays.get(1)).isBetween(Duration.ZERO, Duration.ofMillis(400));
        assertThat(result.version()).isEqualTo(2);
        assertThat(store.find("user-1")).contains(result);
        assertThat(listener.events).containsExactly("started user-1",
                "retried user-1 after attempt 1", "retried user-1 after attempt 2", "succeeded user-1");
        assertThat(listener.retryDelays).isEqualTo(sleeper.delays);
    }

    @Test
    void afterTheLastAttemptTheTransientErrorReachesTheCallerAndTheStoreIsUnchanged() {
        dummy.otherwise(Step.FAIL_TRANSIENTLY);
        IdentityRefresher refresher = dummyRefresher(RetryPolicy.of(4, Duration.ofMillis(100), Duration.ofSeconds(1)));

        assertThrows(TransientRefreshException.class, () -> refresher.refresh(stored));

        assertThat(dummy.calls()).isEqualTo(4);
        assertThat(sleeper.delays).hasSize(3);
        assertThat(store.find("user-1")).contains(stored);
        assertThat(listener.events).endsWith("failed user-1");
    }

    @Test
    void retryAfterFromTheVendorIsTheDelay() throws Exception {
        server.enqueue(new MockResponse.Builder().code(503).addHeader("Retry-After", "2").build());
        server.enqueue(TokenJson.success("access-1").expiresIn(3600).response());
        IdentityRefresher refresher = httpRefresher(RetryPolicy.of(3, Duration.ofMillis(200), Duration.ofSeconds(5)));

        Identity result = refresher.refresh(stored);

        assertThat(sleeper.delays).containsExactly(Duration.ofSeconds(2));
        assertThat(server.getRequestCount()).isEqualTo(2);
        assertThat(result.accessToken()).isEqualTo("access-1");
    }

    @Test
    void aRetryAfterBeyondMaxDelayEndsTheRetriesAtOnce() {
        server.enqueue(new MockResponse.Builder().code(429).addHeader("Retry-After", "3600").build());
        IdentityRefresher refresher = httpRefresher(RetryPolicy.of(5, Duration.ofMillis(200), Duration.ofSeconds(5)));

        TransientRefreshException e = assertThrows(TransientRefreshException.class, () -> refresher.refresh(stored));

        assertThat(e.retryAfter()).as("the caller still learns when to come back").contains(Duration.ofHours(1));
        assertThat(sleeper.delays).isEmpty();
        assertThat(server.getRequestCount()).isEqualTo(1);
        assertThat(store.find("user-1")).contains(stored);
    }

    @Test
    void aTwoHundredThatIsNotATokenResponseIsTransientButNotRetried() throws Exception {
        // The endpoint said 200: it may have rotated the refresh token, so it is not presented again at once.
        server.enqueue(TokenJson.html(200));
        server.enqueue(TokenJson.success("access-1").response());
        IdentityRefresher refresher = httpRefresher(RetryPolicy.of(2, Duration.ofMillis(10), Duration.ofSeconds(1)));

        assertThrows(TokenResponseException.class, () -> refresher.refresh(stored));
        assertThat(server.getRequestCount()).isEqualTo(1);
        assertThat(sleeper.delays).isEmpty();
        assertThat(refresher.refresh(stored).accessToken()).as("the next refresh tries again").isEqualTo("access-1");
    }

    @Test
    void identityNotValidIsNeverRetried() {
        dummy.otherwise(Step.FAIL_PERMANENTLY);

        assertThrows(IdentityNotValid.class, () -> dummyRefresher(generous()).refresh(stored));

        assertThat(dummy.calls()).isEqualTo(1);
        assertThat(sleeper.delays).isEmpty();
    }

    @Test
    void aConfigurationErrorIsNeverRetried() {
        dummy.otherwise(Step.FAIL_CONFIGURATION);

        assertThrows(ProviderConfigurationException.class, () -> dummyRefresher(generous()).refresh(stored));

        assertThat(dummy.calls()).isEqualTo(1);
        assertThat(sleeper.delays).isEmpty();
    }

    @Test
    void aStructuredRefusalIsNeverRetried() {
        server.enqueue(TokenJson.error("invalid_scope", "nope").response(400));

        assertThrows(RefreshRejectedException.class, () -> httpRefresher(generous()).refresh(stored));

        assertThat(server.getRequestCount()).isEqualTo(1);
        assertThat(sleeper.delays).isEmpty();
    }

    @Test
    void noRetriesMeansOneAttempt() {
        dummy.otherwise(Step.FAIL_TRANSIENTLY);

        assertThrows(TransientRefreshException.class, () -> dummyRefresher(RetryPolicy.none()).refresh(stored));

        assertThat(dummy.calls()).isEqualTo(1);
    }

    @Test
    void anInterruptedRetryWaitEndsTheRetriesOnTheRefreshThreadOnly() throws Exception {
        dummy.otherwise(Step.FAIL_TRANSIENTLY);
        IdentityRefresher refresher = IdentityRefresher.builder(store).provider(dummy)
                .retryPolicy(generous().withSleeper(d -> {
                    throw new InterruptedException();
                })).build();

        assertThrows(TransientRefreshException.class, () -> refresher.refresh(stored));
        // the refresh runs on the refresher's thread: its interrupt is not the caller's
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
        assertThat(dummy.calls()).isEqualTo(1);
        assertThat(store.acquireRefreshLease("user-1", Duration.ZERO).identity()).as("lease released").isEqualTo(stored);
    }

    @Test
    void aReadTimeoutAfterSendingIsAnUnknownOutcomeAndNeverRetried() throws Exception {
        // The vendor got the request and may have rotated the refresh token: sending it again could earn an
        // invalid_grant for a healthy identity.
        server.enqueue(TokenJson.success("slow").response().newBuilder().headersDelay(5, TimeUnit.SECONDS).build());
        server.enqueue(TokenJson.success("access-1").response());
        OAuth2Provider impatient = OAuth2Provider.create(settings().httpClient(new okhttp3.OkHttpClient.Builder()
                .readTimeout(Duration.ofMillis(300)).build()).build());
        IdentityRefresher refresher = IdentityRefresher.builder(store).provider(impatient)
                .retryPolicy(generous().withSleeper(sleeper)).build();

        assertThrows(RefreshOutcomeUnknownException.class, () -> refresher.refresh(stored));
        assertThat(server.getRequestCount()).isEqualTo(1);
        assertThat(sleeper.delays).isEmpty();
    }

    private static RetryPolicy generous() {
        return RetryPolicy.of(5, Duration.ofMillis(100), Duration.ofSeconds(5));
    }

    private IdentityRefresher dummyRefresher(RetryPolicy policy) {
        return IdentityRefresher.builder(store).provider(dummy).listener(listener)
                .retryPolicy(policy.withSleeper(sleeper)).build();
    }

    private IdentityRefresher httpRefresher(RetryPolicy policy) {
        return IdentityRefresher.builder(store).provider(OAuth2Provider.create(settings().build())).listener(listener)
                .retryPolicy(policy.withSleeper(sleeper)).build();
    }

    private OAuth2Settings.Builder settings() {
        return OAuth2Settings.builder().providerKey("example").tokenUrl(server.url("/token").toString())
                .clientId("client-1").clientSecret("client-secret-1").clock(clock);
    }
}
