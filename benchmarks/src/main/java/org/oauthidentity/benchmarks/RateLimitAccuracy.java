package org.oauthidentity.benchmarks;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import okhttp3.OkHttpClient;
import org.oauthidentity.Identity;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.refresh.RateLimits;
import org.oauthidentity.store.InMemoryIdentityStore;
import org.oauthidentity.sweep.PassSummary;
import org.oauthidentity.sweep.ValidationSweep;

/**
 * Benchmark: a sweep pass under a per-provider rate limit, against a loopback token endpoint that enforces a
 * stricter-than-nominal vendor budget of its own (a sliding one-second window; a request beyond it gets 429 with
 * {@code Retry-After: 1}) and answers after a fixed latency. Meanwhile a few "users" refresh other identities on
 * demand. Measures the rate the endpoint saw (requests over the time from the first to the last), the most
 * requests it saw in any one-second window, the 429s it sent (the limit is only useful if there are none), and the
 * users' refresh latency: the limit lets users go first, so their wait stays about one slot.
 */
final class RateLimitAccuracy {

    /** What one run measured. */
    record Result(double limit, int vendorWindow, int identities, int concurrency, long latencyMillis,
            long requests, double measuredPerSecond, int maxInOneSecond, long tooManyRequests, PassSummary summary,
            long userRefreshes, double userMedianMillis, double userP99Millis) {

        /** Measured rate over the configured one: 1.00 is exact. */
        double ratio() {
            return measuredPerSecond / limit;
        }
    }

    private RateLimitAccuracy() {
    }

    /**
     * One pass over {@code identities} (all due) at {@code concurrency}, the limit at {@code perSecond}, the vendor
     * refusing beyond {@code vendorWindow} requests in any second, 4 users refreshing every 100 ms.
     */
    static Result run(double perSecond, int vendorWindow, int identities, int concurrency, Duration latency)
            throws Exception {
        try (WindowedEndpoint endpoint = new WindowedEndpoint(concurrency + 16, latency, vendorWindow)) {
            OkHttpClient http = Fixtures.client(concurrency + 8);
            try {
                OAuth2Provider provider = Fixtures.provider(endpoint.url(), http, java.time.Clock.systemUTC());
                InMemoryIdentityStore store = new InMemoryIdentityStore();
                Instant due = Instant.now().minus(Duration.ofHours(2));
                for (int i = 0; i < identities; i++) {
                    store.create(Identity.builder().id("rate-" + i).providerKey(Fixtures.PROVIDER_KEY)
                            .accessToken("bench-access-" + i).refreshToken("bench-refresh-" + i)
                            .lastVerifiedAt(due).build());
                }
                int users = 4;
                for (int i = 0; i < users; i++) {
                    // Users' identities were verified just now: the sweep leaves them alone.
                    store.create(Identity.builder().id("user-" + i).providerKey(Fixtures.PROVIDER_KEY)
                            .accessToken("bench-access-user-" + i).refreshToken("bench-refresh-user-" + i)
                            .lastVerifiedAt(Instant.now()).build());
                }
                RateLimits limits = RateLimits.builder().perSecond(Fixtures.PROVIDER_KEY, perSecond).build();
                IdentityRefresher refresher = IdentityRefresher.builder(store).provider(provider).rateLimits(limits)
                        .build();
                ValidationSweep sweep = ValidationSweep.builder(refresher).concurrency(concurrency).build();

                AtomicBoolean passRunning = new AtomicBoolean(true);
                List<Long> userNanos = Collections.synchronizedList(new ArrayList<>());
                ExecutorService userThreads = Executors.newFixedThreadPool(users);
                for (int u = 0; u < users; u++) {
                    String id = "user-" + u;
                    userThreads.submit(() -> {
                        while (passRunning.get()) {
                            long start = System.nanoTime();
                            try {
                                refresher.refresh(store.find(id).orElseThrow());
                                userNanos.add(System.nanoTime() - start);
                            } catch (Exception e) {
                                // counted at the endpoint (a 429 would show there); keep going
                            }
                            Thread.sleep(100); // a user's pace, not a wait for something to happen
                        }
                        return null;
                    });
                }
                PassSummary summary;
                try {
                    summary = sweep.runOnce();
                } finally {
                    passRunning.set(false);
                    userThreads.shutdown();
                    userThreads.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
                    sweep.close();
                }
                List<Long> sorted = new ArrayList<>(userNanos);
                Collections.sort(sorted);
                return new Result(perSecond, vendorWindow, identities, concurrency, latency.toMillis(),
                        endpoint.arrivals.size(), endpoint.rate(), endpoint.maxInOneSecond(),
                        endpoint.tooManyRequests.get(), summary, sorted.size(), percentile(sorted, 0.5),
                        percentile(sorted, 0.99));
            } finally {
                Fixtures.shutdown(http);
            }
        }
    }

    private static double percentile(List<Long> sorted, double p) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.floor(p * sorted.size()))) / 1e6;
    }

    /**
     * A token endpoint that enforces {@code window} requests in any one-second window: the request that would be
     * one too many is answered 429 with {@code Retry-After: 1} (and counted), the others with new tokens after the
     * latency. Records each arrival's time (a few thousand longs).
     */
    private static final class WindowedEndpoint implements AutoCloseable {
        private final HttpServer server;
        private final ExecutorService executor;
        private final long latencyMillis;
        private final int window;
        private final ArrayDeque<Long> lastSecond = new ArrayDeque<>();
        final List<Long> arrivals = Collections.synchronizedList(new ArrayList<>());
        final AtomicLong tooManyRequests = new AtomicLong();
        private final AtomicLong issued = new AtomicLong();

        WindowedEndpoint(int threads, Duration latency, int window) throws IOException {
            this.latencyMillis = latency.toMillis();
            this.window = window;
            server = HttpServers.create(1024);
            executor = Executors.newFixedThreadPool(threads, runnable -> {
                Thread t = new Thread(runnable, "windowed-endpoint");
                t.setDaemon(true);
                return t;
            });
            server.setExecutor(executor);
            server.createContext("/token", this::answer);
            server.start();
        }

        String url() {
            return HttpServers.url(server, "/token");
        }

        private void answer(HttpExchange exchange) throws IOException {
            long now = System.nanoTime();
            exchange.getRequestBody().readAllBytes();
            boolean refused;
            synchronized (lastSecond) {
                while (!lastSecond.isEmpty() && now - lastSecond.peekFirst() >= 1_000_000_000L) {
                    lastSecond.pollFirst();
                }
                refused = lastSecond.size() >= window;
                if (!refused) {
                    lastSecond.addLast(now);
                }
            }
            arrivals.add(now);
            byte[] body;
            int status;
            if (refused) {
                tooManyRequests.incrementAndGet();
                status = 429;
                body = "{\"error\":\"rate_limited\"}".getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Retry-After", "1");
            } else {
                try {
                    Thread.sleep(latencyMillis); // the simulated vendor latency
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                status = 200;
                body = ("{\"access_token\":\"bench-access-x" + issued.incrementAndGet()
                        + "\",\"token_type\":\"Bearer\",\"expires_in\":3600}").getBytes(StandardCharsets.UTF_8);
            }
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }

        /** Requests per second between the first arrival and the last. */
        double rate() {
            List<Long> sorted = sortedArrivals();
            if (sorted.size() < 2) {
                return Double.NaN;
            }
            return (sorted.size() - 1) / ((sorted.get(sorted.size() - 1) - sorted.get(0)) / 1e9);
        }

        int maxInOneSecond() {
            List<Long> sorted = sortedArrivals();
            int max = 0;
            int from = 0;
            for (int to = 0; to < sorted.size(); to++) {
                while (sorted.get(to) - sorted.get(from) >= 1_000_000_000L) {
                    from++;
                }
                max = Math.max(max, to - from + 1);
            }
            return max;
        }

        private List<Long> sortedArrivals() {
            List<Long> sorted;
            synchronized (arrivals) {
                sorted = new ArrayList<>(arrivals);
            }
            Collections.sort(sorted);
            return sorted;
        }

        @Override
        public void close() {
            server.stop(0);
            executor.shutdownNow();
        }
    }

    /** Runs it alone: {@code java -cp ... RateLimitAccuracy [identities]}. */
    public static void main(String[] args) throws Exception {
        int identities = args.length > 0 ? Integer.parseInt(args[0]) : 4_000;
        run(200, 220, 300, 32, Duration.ofMillis(20)); // warm-up, not reported
        Result r = run(200, 220, identities, 32, Duration.ofMillis(20));
        System.out.printf("limit %.0f/s, vendor window %d/s: %d requests, measured %.1f/s (ratio %.3f), max %d in one "
                + "second, %d x 429; pass %s; users: %d refreshes, median %.1f ms, p99 %.1f ms%n", r.limit(),
                r.vendorWindow(), r.requests(), r.measuredPerSecond(), r.ratio(), r.maxInOneSecond(),
                r.tooManyRequests(), r.summary(), r.userRefreshes(), r.userMedianMillis(), r.userP99Millis());
    }
}
