package org.oauthidentity.refresh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotFoundException;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.IdentityStore;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.TransientRefreshException;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.oauth2.OAuth2Settings;
import org.oauthidentity.store.InMemoryIdentityStore;
import org.oauthidentity.support.Concurrently;
import org.oauthidentity.support.FormBodies;
import org.oauthidentity.support.TokenJson;
import org.oauthidentity.testing.DummyProvider;
import org.oauthidentity.testing.ManualClock;

/** One refresh per identity at a time, and callers who come late adopt its result instead of refreshing again. */
class IdentityRefresherSingleFlightTest {
    private static final Instant T0 = Instant.parse("2025-04-01T09:00:00Z");

    private final ManualClock clock = ManualClock.at(T0);
    private final InMemoryIdentityStore store = new InMemoryIdentityStore();
    private final DummyProvider dummy = DummyProvider.create("example", clock);
    private final RecordingListener listener = new RecordingListener();
    private final IdentityRefresher refresher = IdentityRefresher.builder(store).provider(dummy)
            .retryPolicy(RetryPolicy.none()).listener(listener).build();
    private Concurrently threads;

    @AfterEach
    void stopThreads() throws InterruptedException {
        if (threads != null) {
            threads.close();
        }
    }

    @Test
    void aNewerStoredVersionIsAdoptedWithoutAskingTheVendor() throws Exception {
        Identity seen = store.create(expired("user-1"));
        Identity newer = store.save(seen.toBuilder().accessToken("access-from-elsewhere").build());

        Identity result = refresher.refresh(seen);

        assertThat(result).isEqualTo(newer);
        assertThat(dummy.calls()).isZero();
        assertThat(store.find("user-1")).contains(newer);
        assertThat(listener.events).containsExactly("adopted user-1");
    }

    @Test
    void aRefreshIsSavedBeforeItIsReturned() throws Exception {
        Identity seen = store.create(expired("user-1"));

        Identity result = refresher.refresh(seen);

        assertThat(result.version()).isEqualTo(2);
        assertThat(result.accessToken()).isNotEqualTo(seen.accessToken());
        assertThat(store.find("user-1")).contains(result);
        assertThat(dummy.calls()).isEqualTo(1);
        assertThat(listener.events).containsExactly("started user-1", "succeeded user-1");
    }

    @Test
    void aHundredCallersOnOneIdentityCauseExactlyOneRefreshPerRound() throws Exception {
        threads = Concurrently.threads(100);
        store.create(expired("user-1"));

        for (int round = 1; round <= 50; round++) {
            Identity seen = store.find("user-1").orElseThrow();
            int callsBefore = dummy.calls();

            List<Identity> results = threads.call(n -> refresher.refresh("user-1", seen.version()));

            assertThat(dummy.calls() - callsBefore).as("provider calls in round %d", round).isEqualTo(1);
            Identity stored = store.find("user-1").orElseThrow();
            assertThat(stored.version()).isEqualTo(seen.version() + 1);
            assertThat(results).as("every caller got the stored identity").allSatisfy(r -> assertThat(r).isEqualTo(stored));
        }
        assertThat(listener.count("started")).isEqualTo(50);
        assertThat(listener.count("adopted")).isEqualTo(50 * 99);
        assertThat(listener.count("failed")).isZero();
    }

    @Test
    void concurrentCallersNeverMakeTheVendorSeeARotatedRefreshTokenTwice() throws Exception {
        // The same property end to end: a real token endpoint that rotates, and a real HTTP provider.
        threads = Concurrently.threads(32);
        Map<String, AtomicInteger> uses = new ConcurrentHashMap<>();
        AtomicInteger issued = new AtomicInteger();
        try (MockWebServer server = new MockWebServer()) {
            server.setDispatcher(new Dispatcher() {
                @Override
                public MockResponse dispatch(RecordedRequest request) {
                    String used = FormBodies.parse(request.getBody().utf8()).get("refresh_token");
                    if (uses.computeIfAbsent(used, k -> new AtomicInteger()).incrementAndGet() > 1) {
                        return TokenJson.error("invalid_grant", "refresh token reused").response(400);
                    }
                    int n = issued.incrementAndGet();
                    return TokenJson.success("access-" + n).refreshToken("refresh-" + n).expiresIn(3600).response();
                }
            });
            server.start();
            OAuth2Provider http = OAuth2Provider.create(OAuth2Settings.builder().providerKey("vendor")
                    .tokenUrl(server.url("/token").toString()).clientId("client-1").clientSecret("client-secret-1")
                    .clock(clock).build());
            IdentityRefresher httpRefresher = IdentityRefresher.builder(store).provider(http)
                    .retryPolicy(RetryPolicy.none()).build();
            store.create(Identity.builder().id("user-2").providerKey("vendor")
                    .accessToken("access-0").refreshToken("refresh-0").build());

            for (int round = 1; round <= 10; round++) {
                long version = store.find("user-2").orElseThrow().version();

                List<Identity> results = threads.call(n -> httpRefresher.refresh("user-2", version));

                assertThat(results).extracting(Identity::refreshToken).containsOnly(Optional.of("refresh-" + round));
            }
            assertThat(server.getRequestCount()).isEqualTo(10);
            assertThat(uses.values()).allSatisfy(count -> assertThat(count.get()).isEqualTo(1));
        }
    }

    @Test
    void differentIdentitiesRefreshIndependently() throws Exception {
        threads = Concurrently.threads(20);
        for (int i = 0; i < 10; i++) {
            store.create(expired("user-" + i));
        }

        List<Identity> results = threads.call(n -> refresher.refresh("user-" + (n % 10), 1));

        assertThat(dummy.calls()).isEqualTo(10);
        for (int i = 0; i < 10; i++) {
            assertThat(dummy.calls("user-" + i)).isEqualTo(1);
            assertThat(store.find("user-" + i).orElseThrow().version()).isEqualTo(2);
        }
        assertThat(results).extracting(Identity::accessToken).hasSize(20);
        assertThat(Set.copyOf(results.stream().map(Identity::accessToken).toList())).hasSize(10);
    }

    @Test
    void aCallerThatCannotGetTheLeaseInTimeFailsTransiently() throws Exception {
        store.create(expired("user-1"));
        IdentityRefresher impatient = IdentityRefresher.builder(store).provider(dummy)
                .leaseWait(Duration.ZERO).build();

        try (IdentityStore.RefreshLease held = store.acquireRefreshLease("user-1", Duration.ZERO)) {
            TransientRefreshException e = assertThrows(TransientRefreshException.class,
                    () -> impatient.refresh("user-1", 1));
            assertThat(e.getMessage()).contains("user-1");
        }
        assertThat(dummy.calls()).isZero();
        assertThat(impatient.refresh("user-1", 1).version()).as("free again once released").isEqualTo(2);
    }

    @Test
    void anIdentityThatIsNoLongerStoredIsNotValid() {
        IdentityNotValid e = assertThrows(IdentityNotValid.class, () -> refresher.refresh("deleted", 1));

        assertThat(e.getCause()).isInstanceOf(IdentityNotFoundException.class);
        assertThat(dummy.calls()).isZero();
    }

    @Test
    void anIdentityOfAnUnknownProviderIsAConfigurationError() {
        Identity stranger = store.create(expired("user-1").toBuilder().providerKey("elsewhere").build());

        ProviderConfigurationException e = assertThrows(ProviderConfigurationException.class,
                () -> refresher.refresh(stranger));

        assertThat(e.getMessage()).contains("elsewhere").contains("user-1");
        assertThat(store.find("user-1")).contains(stranger);
        assertThat(listener.events).containsExactly("failed user-1");
    }

    private static Identity expired(String id) {
        return Identity.builder().id(id).providerKey("example")
                .accessToken("access-" + id).refreshToken("refresh-" + id)
                .expiresAt(T0.minusSeconds(1)).build();
    }
}
