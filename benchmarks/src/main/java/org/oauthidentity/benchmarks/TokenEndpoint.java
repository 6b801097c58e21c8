package org.oauthidentity.benchmarks;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A vendor's token endpoint on loopback: answers every {@code grant_type=refresh_token} request with a new
 * access token and a new (rotated) refresh token, after a fixed server-side delay that stands for the
 * vendor's latency. Counts requests and refusals; records nothing else, so a long run does not grow the heap.
 * Each in-flight request holds one server thread for the delay: give it at least as many threads as callers.
 */
final class TokenEndpoint implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor;
    private final long delayMillis;
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong reused = new AtomicLong();
    /** Strict rotation (see {@link #rotateStrictly}): the one refresh token that works now; null: any works. */
    private final java.util.concurrent.atomic.AtomicReference<String> current =
            new java.util.concurrent.atomic.AtomicReference<>();
    /** See {@link #track}: requests per numbered refresh token, or null when not tracking. */
    private volatile java.util.concurrent.atomic.AtomicIntegerArray tracked;
    private volatile String trackedPrefix;
    private final AtomicLong untracked = new AtomicLong();

    TokenEndpoint(int threads, Duration latency) throws IOException {
        this.delayMillis = latency.toMillis();
        server = HttpServers.create(1024);
        executor = Executors.newFixedThreadPool(threads, runnable -> {
            Thread t = new Thread(runnable, "token-endpoint");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/token", this::answer);
        server.start();
    }

    private void answer(HttpExchange exchange) throws IOException {
        long n = requests.incrementAndGet();
        String form = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        if (delayMillis > 0) {
            try {
                Thread.sleep(delayMillis); // the simulated vendor latency, not a wait for something to happen
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        boolean refresh = "POST".equals(exchange.getRequestMethod()) && form.contains("grant_type=refresh_token")
                && form.contains("refresh_token=") && exchange.getRequestHeaders().getFirst("Authorization") != null;
        byte[] body;
        int status;
        String presented = refresh ? formValue(form, "refresh_token") : null;
        count(presented);
        String next = "bench-refresh-" + n;
        if (refresh && !acceptRotating(presented, next)) {
            // Like GitLab: a refresh token is good for one refresh; presenting it again kills the grant.
            reused.incrementAndGet();
            status = 400;
            body = "{\"error\":\"invalid_grant\",\"error_description\":\"reused\"}".getBytes(StandardCharsets.UTF_8);
        } else if (refresh) {
            status = 200;
            body = ("{\"access_token\":\"bench-access-" + n + "\",\"token_type\":\"Bearer\",\"expires_in\":3600,"
                    + "\"refresh_token\":\"" + next + "\"}").getBytes(StandardCharsets.UTF_8);
        } else {
            refused.incrementAndGet();
            status = 400;
            body = "{\"error\":\"invalid_request\"}".getBytes(StandardCharsets.UTF_8);
        }
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.getResponseHeaders().add("Cache-Control", "no-store");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    String url() {
        return HttpServers.url(server, "/token");
    }

    /** Token requests answered or being answered so far. */
    long requests() {
        return requests.get();
    }

    /**
     * From now on only {@code refreshToken}, then each newly issued one, is accepted, once: a refresh token
     * presented twice (two processes refreshing the same identity) is refused with {@code invalid_grant} and
     * counted by {@link #reusedRefreshTokens()}.
     */
    void rotateStrictly(String refreshToken) {
        current.set(refreshToken);
    }

    /** Refresh tokens presented after they had been used (strict rotation only). */
    long reusedRefreshTokens() {
        return reused.get();
    }

    /** The refresh token that works now (strict rotation only). */
    String currentRefreshToken() {
        return current.get();
    }

    /** Without strict rotation: always. With it: only the current refresh token, which {@code next} replaces. */
    private boolean acceptRotating(String presented, String next) {
        synchronized (current) {
            String now = current.get();
            if (now == null) {
                return true;
            }
            if (!now.equals(presented)) {
                return false;
            }
            current.set(next);
            return true;
        }
    }

    private static String formValue(String form, String name) {
        for (String pair : form.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).equals(name)) {
                return java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    /**
     * From now on counts the refresh requests per presented refresh token of the form {@code prefix} + an
     * 8-digit number from 1 to {@code count} + anything (as {@link SweepDatabase} stores them): one counter per
     * number, so a fleet's pass can be checked to present each stored identity exactly once. Other refresh
     * tokens are counted together ({@link #untracked()}). Holds {@code count} ints; nothing else per request.
     */
    void track(String prefix, int count) {
        trackedPrefix = prefix;
        untracked.set(0);
        tracked = new java.util.concurrent.atomic.AtomicIntegerArray(count);
    }

    private void count(String presented) {
        java.util.concurrent.atomic.AtomicIntegerArray counts = tracked;
        if (counts == null || presented == null) {
            return;
        }
        String prefix = trackedPrefix;
        int n = -1;
        if (presented.startsWith(prefix) && presented.length() >= prefix.length() + 8) {
            try {
                n = Integer.parseInt(presented.substring(prefix.length(), prefix.length() + 8));
            } catch (NumberFormatException e) {
                n = -1;
            }
        }
        if (n >= 1 && n <= counts.length()) {
            counts.incrementAndGet(n - 1);
        } else {
            untracked.incrementAndGet();
        }
    }

    /** Tracked refresh tokens by how often each was presented: [never, exactly once, more than once]. */
    long[] trackedCounts() {
        java.util.concurrent.atomic.AtomicIntegerArray counts = tracked;
        long[] byCount = new long[3];
        for (int i = 0; counts != null && i < counts.length(); i++) {
            byCount[Math.min(counts.get(i), 2)]++;
        }
        return byCount;
    }

    /** Refresh requests since {@link #track} whose token was not one of the tracked ones. */
    long untracked() {
        return untracked.get();
    }

    /** Requests that were not a well-formed refresh (answered 400): a benchmark that sees any is broken. */
    long refused() {
        return refused.get();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
