package org.oauthidentity.benchmarks;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.oauthidentity.http.RefreshingHttpClient;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.store.InMemoryIdentityStore;

/**
 * Benchmark 3: N callers released together on one identity whose token has just expired, through one
 * {@link RefreshingHttpClient}, against a loopback token endpoint (fixed latency, rotating tokens) and the
 * loopback API. Per round: the time from release until every caller has its API response, the token
 * requests the endpoint saw (single flight: must be exactly 1), the callers that failed (must be 0) and the
 * stored version (one refresh persisted: 2).
 *
 * <p>Each round uses a new identity and a new client that has already made one call with the token while
 * it was fresh (a running service), then the client's clock moves two hours on, so every caller finds the
 * token expired. A warm-up round per N, not reported, runs first.
 */
public final class RefreshStorm {

    /** One round of N callers. */
    record Round(int callers, long nanos, long tokenRequests, int errors, long storedVersion) {
        boolean singleFlight() {
            return tokenRequests == 1 && storedVersion == 2;
        }
    }

    /** Every round of one N. */
    record Result(int callers, List<Round> rounds) {
        double medianMillis() {
            double[] ms = rounds.stream().mapToDouble(r -> r.nanos / 1e6).sorted().toArray();
            return ms.length % 2 == 1 ? ms[ms.length / 2] : (ms[ms.length / 2 - 1] + ms[ms.length / 2]) / 2;
        }

        double maxMillis() {
            return rounds.stream().mapToDouble(r -> r.nanos / 1e6).max().orElse(0);
        }

        long minTokenRequests() {
            return rounds.stream().mapToLong(Round::tokenRequests).min().orElse(0);
        }

        long maxTokenRequests() {
            return rounds.stream().mapToLong(Round::tokenRequests).max().orElse(0);
        }

        int errors() {
            return rounds.stream().mapToInt(Round::errors).sum();
        }

        boolean singleFlight() {
            return rounds.stream().allMatch(Round::singleFlight);
        }
    }

    private final LoopbackServer api;
    private final TokenEndpoint endpoint;
    private final OkHttpClient base;
    private final Request request;
    private int identities;

    private RefreshStorm(LoopbackServer api, TokenEndpoint endpoint, OkHttpClient base) {
        this.api = api;
        this.endpoint = endpoint;
        this.base = base;
        this.request = new Request.Builder().url(api.url("/api/v4/user")).build();
    }

    /** Runs {@code rounds} rounds (after one warm-up round) for each number of callers. */
    static List<Result> run(int[] callers, int rounds, Duration tokenLatency) throws Exception {
        int most = Arrays.stream(callers).max().orElse(1);
        try (LoopbackServer api = new LoopbackServer(16); TokenEndpoint endpoint = new TokenEndpoint(8, tokenLatency)) {
            // Enough idle connections that every round but the first reuses them, as a busy service would.
            OkHttpClient base = Fixtures.client(most + 16);
            try {
                RefreshStorm storm = new RefreshStorm(api, endpoint, base);
                List<Result> results = new ArrayList<>();
                for (int n : callers) {
                    storm.round(n);
                    List<Round> measured = new ArrayList<>();
                    for (int r = 0; r < rounds; r++) {
                        measured.add(storm.round(n));
                    }
                    results.add(new Result(n, measured));
                }
                if (endpoint.refused() != 0) {
                    throw new IllegalStateException("the token endpoint refused " + endpoint.refused() + " requests");
                }
                return results;
            } finally {
                Fixtures.shutdown(base);
            }
        }
    }

    private Round round(int callers) throws Exception {
        String id = "storm-" + (++identities);
        ShiftableClock clock = new ShiftableClock();
        InMemoryIdentityStore store = new InMemoryIdentityStore();
        Fixtures.storeIdentity(store, id, clock.instant().plus(Duration.ofHours(1)));
        OAuth2Provider provider = Fixtures.provider(endpoint, base, clock);
        IdentityRefresher refresher = IdentityRefresher.builder(store).provider(provider).build();
        RefreshingHttpClient client = RefreshingHttpClient.builder(refresher, id)
                .httpClient(base)
                .apiOrigin(api.url("/"))
                .clock(clock)
                .build();
        Fixtures.get(client, request); // loads the identity while its token is fresh
        clock.shift(Duration.ofHours(2));

        CountDownLatch ready = new CountDownLatch(callers);
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(callers);
        AtomicInteger errors = new AtomicInteger();
        List<Thread> threads = new ArrayList<>(callers);
        for (int i = 0; i < callers; i++) {
            Thread t = new Thread(() -> {
                ready.countDown();
                try {
                    go.await();
                    Fixtures.get(client, request);
                } catch (IOException | RuntimeException e) {
                    errors.incrementAndGet();
                } catch (InterruptedException e) {
                    errors.incrementAndGet();
                    Thread.currentThread().interrupt();
                } finally {
                    done.countDown();
                }
            }, "storm-caller-" + i);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        ready.await();
        long tokenRequestsBefore = endpoint.requests();
        long start = System.nanoTime();
        go.countDown();
        done.await();
        long nanos = System.nanoTime() - start;
        long tokenRequests = endpoint.requests() - tokenRequestsBefore;
        for (Thread t : threads) {
            t.join();
        }
        long version = store.find(id).orElseThrow().version();
        return new Round(callers, nanos, tokenRequests, errors.get(), version);
    }

    /** Runs the storm alone: {@code java ... RefreshStorm [callers...]}, default 10 100 1000. */
    public static void main(String[] args) throws Exception {
        int[] callers = args.length == 0 ? new int[] {10, 100, 1000} : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
        for (Result result : run(callers, 5, Duration.ofMillis(20))) {
            System.out.printf("%,6d callers: median %.1f ms, max %.1f ms, token requests per round %d..%d, errors %d%n",
                    result.callers(), result.medianMillis(), result.maxMillis(), result.minTokenRequests(),
                    result.maxTokenRequests(), result.errors());
        }
    }
}
