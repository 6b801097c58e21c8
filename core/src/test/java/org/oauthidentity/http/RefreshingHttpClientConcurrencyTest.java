package org.oauthidentity.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.oauthidentity.http.Fixture.ID;
import static org.oauthidentity.http.Fixture.START;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Many callers released together on one client: every round must cost exactly one token request and no
 * failed call. Servers, clients and threads are shared across rounds; each round makes the token need a
 * refresh again (by moving the clock past its expiry, or by the vendor revoking it) and resets the counters.
 * One refresh lease per round shows the callers shared one refresh in this JVM, rather than lining up at the
 * store's lease and adopting each other's result (which would also cost one token request, but 200 leases).
 */
class RefreshingHttpClientConcurrencyTest {
    private static final int THREADS = 200;
    private static final int ROUNDS = 50;

    private static ExecutorService callers;
    private Fixture f;

    @BeforeAll
    static void startCallers() {
        callers = Executors.newFixedThreadPool(THREADS);
    }

    @AfterAll
    static void stopCallers() {
        callers.shutdownNow();
    }

    @AfterEach
    void closeFixture() {
        if (f != null) {
            f.close();
        }
    }

    @Test
    void expiredIdentityIsRefreshedOncePerRound() throws Exception {
        f = new Fixture("expired-at-vendor");
        f.vendor.expiresIn(3600L);
        f.link(START.minusSeconds(1));
        RefreshingHttpClient client = f.clientBuilder().build();

        for (int round = 1; round <= ROUNDS; round++) {
            f.vendor.resetCounters();
            f.store.leasesTaken.set(0);
            if (round > 1) {
                f.clock.advance(Duration.ofHours(2)); // the token refreshed last round has expired
            }
            List<Integer> codes = callTogether(client, round);
            assertThat(f.vendor.tokenRequests).as("token requests in round %d", round).hasValue(1);
            assertThat(f.store.leasesTaken).as("refresh leases in round %d", round).hasValue(1);
            assertThat(codes).as("round %d", round).hasSize(THREADS).containsOnly(200);
            assertThat(f.vendor.apiRequests).as("API requests in round %d", round).hasValue(THREADS);
            assertThat(f.store.stored(ID).version()).isEqualTo(1 + round);
        }
    }

    @Test
    void rotatingVendorSeesEachRefreshTokenOnce() throws Exception {
        // The vendor answers invalid_grant to a reused refresh token: a second refresh of the same version
        // would fail some callers with IdentityNotValid.
        f = new Fixture("expired-at-vendor");
        f.vendor.rotating(true).expiresIn(3600L);
        f.link(START.minusSeconds(1));
        RefreshingHttpClient client = f.clientBuilder().build();

        for (int round = 1; round <= ROUNDS; round++) {
            f.vendor.resetCounters();
            f.store.leasesTaken.set(0);
            if (round > 1) {
                f.clock.advance(Duration.ofHours(2));
            }
            List<Integer> codes = callTogether(client, round);
            assertThat(f.vendor.tokenRequests).as("token requests in round %d", round).hasValue(1);
            assertThat(f.store.leasesTaken).as("refresh leases in round %d", round).hasValue(1);
            assertThat(codes).as("round %d", round).hasSize(THREADS).containsOnly(200);
            assertThat(f.store.stored(ID).refreshToken()).contains(f.vendor.refreshToken());
        }
        assertThat(f.listener.count("failed")).isZero();
    }

    @Test
    void revokedTokenOfUnknownExpiryIsRefreshedOncePerRoundAfterTheFirst401s() throws Exception {
        // Reactive single flight: every caller gets a 401 to the same version, one refresh serves all retries.
        f = new Fixture(Fixture.OLD_ACCESS);
        f.vendor.rotating(true).expiresIn(null);
        f.link(null);
        RefreshingHttpClient client = f.clientBuilder().build();

        for (int round = 1; round <= ROUNDS / 2; round++) {
            f.vendor.resetCounters();
            f.store.leasesTaken.set(0);
            f.vendor.revokeAccessToken();
            f.listener.clear();
            List<Integer> codes = callTogether(client, round);
            assertThat(f.vendor.tokenRequests).as("token requests in round %d", round).hasValue(1);
            assertThat(f.store.leasesTaken).as("refresh leases in round %d", round).hasValue(1);
            assertThat(codes).as("round %d", round).hasSize(THREADS).containsOnly(200);
            assertThat(f.vendor.apiRequests.get()).isEqualTo(THREADS + f.listener.count("requestRetried"));
        }
    }

    /** Releases {@link #THREADS} calls at once; returns their status codes, failing on any exception. */
    private List<Integer> callTogether(RefreshingHttpClient client, int round) throws Exception {
        Request request = f.get(FakeVendor.API_USER);
        CyclicBarrier start = new CyclicBarrier(THREADS);
        Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Future<Integer>> results = new ArrayList<>(THREADS);
        for (int i = 0; i < THREADS; i++) {
            results.add(callers.submit(() -> {
                start.await(30, TimeUnit.SECONDS);
                try (Response response = client.newCall(request).execute()) {
                    return response.code();
                } catch (Exception e) {
                    failures.add(e);
                    return -1;
                }
            }));
        }
        List<Integer> codes = new ArrayList<>(THREADS);
        for (Future<Integer> result : results) {
            codes.add(result.get(60, TimeUnit.SECONDS));
        }
        assertThat(failures).as("failed calls in round %d", round).isEmpty();
        return codes;
    }
}
