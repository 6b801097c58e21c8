package org.oauthidentity.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.MockWebServer;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.oauth2.ClientAuthentication;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.oauth2.OAuth2Settings;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.refresh.RetryPolicy;
import org.oauthidentity.store.InMemoryIdentityStore;
import org.oauthidentity.store.ForwardingIdentityStore;
import org.oauthidentity.testing.ManualClock;

/**
 * One client for a whole service: each request names the identity it is sent as, all identities share one
 * bounded cache, and other HTTP clients get valid tokens from it. Against a loopback vendor with many rotating
 * accounts; store reads and token requests are counted.
 */
class ManyIdentitiesTest {
    private static final Instant START = Instant.parse("2025-03-01T09:00:00Z");

    private final ManualClock clock = ManualClock.at(START);
    private final ManyAccountsVendor vendor = new ManyAccountsVendor();
    private final CountingStore store = new CountingStore();
    private final MockWebServer server = new MockWebServer();
    private final OkHttpClient http = new OkHttpClient.Builder()
            .connectionPool(new ConnectionPool(64, 5, TimeUnit.MINUTES)).build();
    private IdentityRefresher refresher;

    /** The in-memory store, counting reads by id. */
    static final class CountingStore extends ForwardingIdentityStore {
        final AtomicInteger finds = new AtomicInteger();

        CountingStore() {
            super(new InMemoryIdentityStore());
        }

        @Override
        public Optional<Identity> find(String id) {
            finds.incrementAndGet();
            return super.find(id);
        }
    }

    @BeforeEach
    void start() throws IOException {
        server.setDispatcher(vendor);
        server.start();
        OAuth2Provider provider = OAuth2Provider.create(OAuth2Settings.builder().providerKey("gitlab")
                .tokenUrl(server.url(ManyAccountsVendor.TOKEN_PATH).toString())
                .clientId("client-id").clientSecret("client-secret-value")
                .clientAuthentication(ClientAuthentication.CLIENT_SECRET_POST)
                .httpClient(http).clock(clock).build());
        refresher = IdentityRefresher.builder(store).provider(provider).retryPolicy(RetryPolicy.none()).build();
    }

    @AfterEach
    void stop() {
        server.close();
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
    }

    private void link(String account, Instant expiresAt) {
        vendor.open(account);
        store.create(Identity.builder().id(account).providerKey("gitlab").accessToken("access-" + account + "-0")
                .refreshToken("refresh-" + account + "-0").expiresAt(expiresAt).build());
    }

    private RefreshingHttpClient.Builder many() {
        return RefreshingHttpClient.builder(refresher).httpClient(http).apiOrigin(server.url("/")).clock(clock);
    }

    private Request api() {
        return new Request.Builder().url(server.url(ManyAccountsVendor.API_USER)).build();
    }

    private static int status(okhttp3.Call.Factory client, Request request) throws IOException {
        try (Response response = client.newCall(request).execute()) {
            return response.code();
        }
    }

    @Test
    void eachRequestIsSentAsTheIdentityItNames() throws Exception {
        link("alice", START.plusSeconds(3600));
        link("bob", START.plusSeconds(3600));
        RefreshingHttpClient client = many().build();

        try (Response response = client.forIdentity("alice").newCall(api()).execute()) {
            assertThat(response.body().string()).contains("alice");
        }
        try (Response response = client.newCall(api().newBuilder()
                .tag(AsIdentity.class, AsIdentity.of("bob")).build()).execute()) {
            assertThat(response.body().string()).contains("bob");
        }
        assertThat(vendor.tokenRequests).hasValue(0);
        assertThat(client.cachedIdentities()).isEqualTo(2);
    }

    @Test
    void aRequestThatNamesNoIdentityOrAnUnknownOneFailsBeforeAnythingIsSent() throws Exception {
        link("alice", START.plusSeconds(3600));
        RefreshingHttpClient client = many().build();

        assertThatThrownBy(() -> status(client, api())).isInstanceOf(NoIdentityException.class)
                .hasMessageContaining("names no identity");
        assertThatThrownBy(() -> status(client.forIdentity("nobody"), api())).isInstanceOf(IdentityNotValid.class);
        assertThat(server.getRequestCount()).isZero();

        // a request to another origin needs no identity and carries no token
        try (MockWebServer elsewhere = new MockWebServer()) {
            elsewhere.enqueue(new mockwebserver3.MockResponse.Builder().code(200).build());
            elsewhere.start();
            assertThat(status(client, new Request.Builder().url(elsewhere.url("/")).build())).isEqualTo(200);
            assertThat(elsewhere.takeRequest().getHeaders().get("Authorization")).isNull();
        }
    }

    @Test
    void aClientOfOneIdentityRefusesRequestsNamingAnother() throws Exception {
        link("alice", START.plusSeconds(3600));
        link("bob", START.plusSeconds(3600));
        RefreshingHttpClient alice = RefreshingHttpClient.builder(refresher, "alice").httpClient(http)
                .apiOrigin(server.url("/")).clock(clock).build();

        assertThat(status(alice, api())).isEqualTo(200);
        assertThatThrownBy(() -> status(alice.forIdentity("bob"), api())).isInstanceOf(NoIdentityException.class);
        assertThatThrownBy(() -> alice.accessToken("bob")).isInstanceOf(NoIdentityException.class);
        assertThat(vendor.apiRequests).hasValue(1);
    }

    @Test
    void twoHundredThreadsOverAThousandExpiredIdentitiesCauseOneTokenRequestEach() throws Exception {
        int identities = 1000;
        for (int i = 0; i < identities; i++) {
            link("acct-" + i, START.plusSeconds(3600));
        }
        RefreshingHttpClient client = many().build();
        ExecutorService threads = Executors.newFixedThreadPool(200);
        try {
            for (int round = 1; round <= 3; round++) {
                // every identity's token runs out
                clock.advance(Duration.ofHours(2));
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Integer>> calls = new ArrayList<>();
                for (int t = 0; t < 200; t++) {
                    int first = t;
                    calls.add(threads.submit(() -> {
                        go.await();
                        int ok = 0;
                        // each thread calls 25 identities, each identity is called by 5 threads at once
                        for (int k = 0; k < 25; k++) {
                            String id = "acct-" + ((first * 5 + k * 40 + first % 5) % identities);
                            ok += status(client.forIdentity(id), api()) == 200 ? 1 : 0;
                        }
                        return ok;
                    }));
                }
                go.countDown();
                int ok = 0;
                for (Future<Integer> call : calls) {
                    ok += call.get(120, TimeUnit.SECONDS);
                }

                assertThat(ok).as("calls answered 200 in round %d", round).isEqualTo(200 * 25);
                assertThat(vendor.reuses).hasValue(0);
                for (int i = 0; i < identities; i++) {
                    assertThat(vendor.refreshesOf("acct-" + i)).as("refreshes of acct-%d after round %d", i, round)
                            .isEqualTo(round);
                }
            }
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void evictionUnderLoadKeepsTheBoundAndLosesNothing() throws Exception {
        int identities = 500;
        for (int i = 0; i < identities; i++) {
            link("acct-" + i, START.plusSeconds(3600));
        }
        RefreshingHttpClient client = many().maxIdentities(50).build();
        ExecutorService threads = Executors.newFixedThreadPool(20);
        try {
            List<Future<Integer>> calls = new ArrayList<>();
            for (int t = 0; t < 20; t++) {
                int first = t;
                calls.add(threads.submit(() -> {
                    int ok = 0;
                    for (int k = 0; k < 100; k++) {
                        ok += status(client.forIdentity("acct-" + ((first * 100 + k * 7) % identities)), api()) == 200
                                ? 1 : 0;
                        assertThat(client.cachedIdentities()).isLessThanOrEqualTo(50 + 20);
                    }
                    return ok;
                }));
            }
            int ok = 0;
            for (Future<Integer> call : calls) {
                ok += call.get(120, TimeUnit.SECONDS);
            }
            assertThat(ok).isEqualTo(2000);
        } finally {
            threads.shutdownNow();
        }
        assertThat(client.cachedIdentities()).isLessThanOrEqualTo(50);
        assertThat(vendor.tokenRequests).as("eviction refreshes nothing").hasValue(0);
        assertThat(vendor.apiRefusals).hasValue(0);
        assertThat(store.finds.get()).as("a miss is one store read").isGreaterThan(50).isLessThanOrEqualTo(2000);
    }

    @Test
    void theBoundEvictsTheLeastRecentlyUsedAndOnlyAboutWhatIsOver() throws Exception {
        for (int i = 0; i <= 100; i++) {
            link("acct-" + i, START.plusSeconds(7200));
        }
        RefreshingHttpClient client = many().maxIdentities(100).build();
        // a hundred identities, each last used a second after the one before
        for (int i = 0; i < 100; i++) {
            assertThat(status(client.forIdentity("acct-" + i), api())).isEqualTo(200);
            clock.advance(Duration.ofSeconds(1));
        }
        int reads = store.finds.get();

        // one more: the excess and 1 % of the bound go, the least recently used first
        assertThat(status(client.forIdentity("acct-100"), api())).isEqualTo(200);
        for (int i = 2; i <= 100; i++) {
            assertThat(status(client.forIdentity("acct-" + i), api())).isEqualTo(200);
        }
        assertThat(store.finds.get() - reads).as("only acct-100 was read").isEqualTo(1);
        assertThat(status(client.forIdentity("acct-0"), api())).isEqualTo(200);
        assertThat(store.finds.get() - reads).as("acct-0 had gone").isEqualTo(2);
    }

    @Test
    void aHitReadsNothingAndAMissReadsTheStoreOnce() throws Exception {
        link("alice", START.plusSeconds(3600));
        RefreshingHttpClient client = many().build();

        for (int i = 0; i < 10; i++) {
            assertThat(status(client.forIdentity("alice"), api())).isEqualTo(200);
        }
        assertThat(store.finds).hasValue(1);
        assertThat(client.cacheMisses()).isEqualTo(1);
        assertThat(client.cacheHits()).isEqualTo(9);

        client.invalidate("alice");
        assertThat(status(client.forIdentity("alice"), api())).isEqualTo(200);
        assertThat(store.finds).hasValue(2);
    }

    @Test
    void idleIdentitiesLeaveMemory() throws Exception {
        link("alice", START.plusSeconds(7200));
        link("bob", START.plusSeconds(7200));
        RefreshingHttpClient client = many().idleExpiry(Duration.ofMinutes(30)).build();
        assertThat(status(client.forIdentity("alice"), api())).isEqualTo(200);

        clock.advance(Duration.ofMinutes(31));
        assertThat(status(client.forIdentity("bob"), api())).isEqualTo(200);

        assertThat(client.cachedIdentities()).isEqualTo(1);
    }

    @Test
    void invalidateAfterARelinkElsewhereSendsTheNewAccountsTokenWithoutA401() throws Exception {
        link("alice", START.plusSeconds(3600));
        RefreshingHttpClient client = many().build();
        assertThat(status(client.forIdentity("alice"), api())).isEqualTo(200);

        // another instance unlinks and links another account under the same id
        store.delete("alice");
        link("alice-2", START.plusSeconds(3600));
        store.delete("alice-2");
        store.create(Identity.builder().id("alice").providerKey("gitlab").accessToken("access-alice-2-0")
                .refreshToken("refresh-alice-2-0").expiresAt(START.plusSeconds(3600)).build());
        client.invalidate("alice");

        try (Response response = client.forIdentity("alice").newCall(api()).execute()) {
            assertThat(response.body().string()).contains("alice-2");
        }
        assertThat(vendor.apiRefusals).hasValue(0);
    }

    @Test
    void aForeignClientGetsAValidTokenAndOneRefreshAfterA401() throws Exception {
        link("alice", START.plusSeconds(3600));
        RefreshingHttpClient client = many().build();

        // fresh: the stored token, one store read the first time, none after
        assertThat(client.accessToken("alice")).isEqualTo("access-alice-0");
        assertThat(client.accessToken("alice")).isEqualTo("access-alice-0");
        assertThat(store.finds).hasValue(1);

        // expired: fifty async callers share one refresh
        clock.advance(Duration.ofHours(2));
        List<CompletableFuture<String>> tokens = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            tokens.add(client.accessTokenAsync("alice"));
        }
        for (CompletableFuture<String> token : tokens) {
            assertThat(token.get(30, TimeUnit.SECONDS)).isEqualTo(vendor.accessToken("alice"));
        }
        assertThat(vendor.refreshesOf("alice")).isEqualTo(1);

        // the API refused the current token: one refresh; refused an older one: the current, no refresh
        String current = client.accessToken("alice");
        String next = client.accessTokenAfterUnauthorized("alice", current);
        assertThat(next).isNotEqualTo(current).isEqualTo(vendor.accessToken("alice"));
        assertThat(vendor.refreshesOf("alice")).isEqualTo(2);
        assertThat(client.accessTokenAfterUnauthorized("alice", current)).isEqualTo(next);
        assertThat(vendor.refreshesOf("alice")).isEqualTo(2);
        assertThat(vendor.reuses).hasValue(0);
    }

    @Test
    void anUnknownIdentityFailsTheAsyncTokenWithIdentityNotValid() {
        RefreshingHttpClient client = many().build();

        CompletableFuture<String> token = client.accessTokenAsync("nobody");

        assertThatThrownBy(() -> token.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(IdentityNotValid.class);
    }
}
