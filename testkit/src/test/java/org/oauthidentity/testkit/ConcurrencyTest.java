package org.oauthidentity.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.TransientRefreshException;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.testing.ManualClock;
import org.oauthidentity.testkit.FakeAuthorizationServer.Fault;

/**
 * Many clients at once: the server resolves races like one transaction per request, and counts exactly.
 * Threads are released together by a latch; every round is checked by counting.
 */
class ConcurrencyTest {
    private static final int THREADS = 12;
    private static final int ROUNDS = 15;

    private static ExecutorService pool;
    private static final OkHttpClient HTTP = new OkHttpClient.Builder()
            .connectionPool(new ConnectionPool(THREADS, 1, TimeUnit.MINUTES))
            .retryOnConnectionFailure(false)
            .build();
    private final ManualClock clock = ManualClock.at("2025-03-01T10:00:00Z");

    @BeforeAll
    static void threads() {
        pool = Executors.newFixedThreadPool(THREADS);
    }

    @AfterAll
    static void stopThreads() {
        pool.shutdownNow();
    }

    @Test
    void ofManyConcurrentRefreshesWithOneRotatingTokenExactlyOneWins() throws Exception {
        try (FakeAuthorizationServer server = FakeAuthorizationServer.builder().clock(clock).start()) {
            OAuth2Provider provider = OAuth2Provider.create(server.oauth2Settings().httpClient(HTTP).build());
            for (int round = 1; round <= ROUNDS; round++) {
                Identity identity = server.issueIdentity("user-" + round, "read");

                List<Object> outcomes = together(() -> provider.refresh(identity));

                long wins = outcomes.stream().filter(o -> o instanceof Identity).count();
                long refused = outcomes.stream().filter(o -> o instanceof IdentityNotValid).count();
                assertThat(wins).as("round %d", round).isEqualTo(1);
                assertThat(refused).as("round %d", round).isEqualTo(THREADS - 1);
                assertThat(server.reusedRefreshTokens()).isEqualTo((long) round * (THREADS - 1));
            }
            assertThat(server.tokenRequests("refresh_token")).isEqualTo((long) ROUNDS * THREADS);
            server.verifyNoInternalFailures();
        }
    }

    @Test
    void concurrentClientsOfDifferentUsersAllSucceedAndAreCountedExactly() throws Exception {
        try (FakeAuthorizationServer server = FakeAuthorizationServer.builder().clock(clock).start()) {
            OAuth2Provider provider = OAuth2Provider.create(server.oauth2Settings().httpClient(HTTP).build());
            for (int round = 1; round <= ROUNDS; round++) {
                int r = round;
                List<Object> outcomes = together(i -> {
                    Identity identity = server.issueIdentity("user-" + r + "-" + i, "read");
                    Identity refreshed = provider.refresh(identity);
                    return Wire.get(server.apiUrl("/user"), refreshed.accessToken()).status();
                });

                assertThat(outcomes).as("round %d", round).containsOnly(200);
            }
            assertThat(server.tokenRequests("refresh_token")).isEqualTo((long) ROUNDS * THREADS);
            assertThat(server.apiCalls(200)).isEqualTo((long) ROUNDS * THREADS);
            assertThat(server.reusedRefreshTokens()).isZero();
            server.verifyNoInternalFailures();
        }
    }

    @Test
    void exactlyNConcurrentRequestsGetTheFault() throws Exception {
        try (FakeAuthorizationServer server = FakeAuthorizationServer.builder().clock(clock).start()) {
            OAuth2Provider provider = OAuth2Provider.create(server.oauth2Settings().httpClient(HTTP).build());
            for (int round = 1; round <= ROUNDS; round++) {
                int r = round;
                List<Identity> identities = new ArrayList<>();
                for (int i = 0; i < THREADS; i++) {
                    identities.add(server.issueIdentity("user-" + r + "-" + i, "read"));
                }
                server.failNextTokenRequests(5, Fault.serviceUnavailable(null));

                List<Object> outcomes = together(i -> provider.refresh(identities.get(i)));

                assertThat(outcomes.stream().filter(o -> o instanceof TransientRefreshException).count())
                        .as("round %d", round).isEqualTo(5);
                assertThat(outcomes.stream().filter(o -> o instanceof Identity).count())
                        .as("round %d", round).isEqualTo(THREADS - 5);
                assertThat(server.pendingFaults()).isZero();
            }
            server.verifyNoInternalFailures();
        }
    }

    interface Task {
        Object run(int thread) throws Exception;
    }

    interface SimpleTask {
        Object run() throws Exception;
    }

    private static List<Object> together(SimpleTask task) throws Exception {
        return together(i -> task.run());
    }

    /** Runs the task on every thread, released at once; returns each result or thrown exception. */
    private static List<Object> together(Task task) throws Exception {
        CountDownLatch ready = new CountDownLatch(THREADS);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Object>> futures = new ArrayList<>();
        for (int i = 0; i < THREADS; i++) {
            int thread = i;
            futures.add(pool.submit(() -> {
                ready.countDown();
                go.await();
                try {
                    return task.run(thread);
                } catch (Exception e) {
                    return e;
                }
            }));
        }
        ready.await();
        go.countDown();
        List<Object> outcomes = new ArrayList<>();
        for (Future<Object> f : futures) {
            outcomes.add(f.get(30, TimeUnit.SECONDS));
        }
        return outcomes;
    }
}
