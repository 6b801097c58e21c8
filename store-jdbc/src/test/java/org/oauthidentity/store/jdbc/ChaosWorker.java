package org.oauthidentity.store.jdbc;

import java.io.BufferedReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.Provider;
import org.oauthidentity.RefreshException;
import org.oauthidentity.RefreshOutcomeUnknownException;
import org.oauthidentity.http.RefreshingHttpClient;
import org.oauthidentity.oauth2.ClientAuthentication;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.oauth2.OAuth2Settings;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.refresh.RetryPolicy;

/**
 * The {@code chaos} mode of {@link FleetWorker}: one instance of a service as {@link ChaosTest} runs three of
 * them, configured as a service would be (a short lease, the default refresh threads, a retry policy with short
 * delays) against the test's fake authorization server.
 *
 * <p>On "GO n" its callers start at once: half refresh the copy of the identity read at "ARM n"
 * ({@link IdentityRefresher#refresh(Identity)}), half call the fake's protected API through one
 * {@link RefreshingHttpClient}, whose token the test has just expired. When all are done it answers one line of
 * what they saw; meanwhile "WHO n" answers how many token requests this process has in flight, so the test can
 * tell which process to kill. Never prints a token.
 *
 * <pre>
 * chaos &lt;dialect&gt; &lt;url&gt; &lt;user&gt; &lt;password&gt; &lt;tokenUrl&gt; &lt;apiUrl&gt; &lt;providerKey&gt;
 *       &lt;clientAuthentication&gt; &lt;clientId&gt; &lt;identityId&gt; &lt;callers&gt; &lt;leaseTtlMillis&gt;
 *       &lt;leaseWaitMillis&gt; &lt;readTimeoutMillis&gt;
 *     reads "SECRET &lt;client secret&gt;" (kept off the command line), then READY;
 *     "ARM n" -&gt; "ARMED n &lt;version&gt;";
 *     "GO n" -&gt; later "DONE n sent=&lt;token requests&gt; ok=&lt;refreshed&gt; api200=.. api401=..
 *         unknown=&lt;RefreshOutcomeUnknownException&gt; lost=&lt;IdentityNotValid after a lost answer&gt;
 *         notValid=&lt;plain IdentityNotValid&gt; versions=[..] other=[Type=count,..]";
 *     "WHO n" -&gt; "WHO n &lt;token requests in flight&gt;"; QUIT
 * </pre>
 */
final class ChaosWorker {
    private static final List<String> REPORTED = List.of("ok", "api200", "api401", "unknown", "lost", "notValid");

    private final JdbcIdentityStore store;
    private final IdentityRefresher refresher;
    private final RefreshingHttpClient api;
    private final String apiUrl;
    private final String id;
    private final int callers;
    private final ExecutorService threads;
    /** Token requests this process has sent and not yet had answered (or failed). */
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Token requests sent since the last GO. */
    private final AtomicInteger sent = new AtomicInteger();

    private ChaosWorker(DataSource pool, Dialect dialect, String[] args, String clientSecret) {
        String tokenUrl = args[0];
        this.apiUrl = args[1];
        String providerKey = args[2];
        ClientAuthentication authentication = ClientAuthentication.valueOf(args[3]);
        String clientId = args[4];
        this.id = args[5];
        this.callers = Integer.parseInt(args[6]);
        Duration leaseTtl = Duration.ofMillis(Long.parseLong(args[7]));
        Duration leaseWait = Duration.ofMillis(Long.parseLong(args[8]));
        Duration readTimeout = Duration.ofMillis(Long.parseLong(args[9]));

        this.store = JdbcIdentityStore.builder(pool).dialect(dialect).leaseTtl(leaseTtl).build();
        OAuth2Provider vendor = OAuth2Provider.create(OAuth2Settings.builder()
                .providerKey(providerKey).tokenUrl(tokenUrl).clientId(clientId).clientSecret(clientSecret)
                .clientAuthentication(authentication)
                .httpClient(new OkHttpClient.Builder().readTimeout(readTimeout).build())
                .build());
        this.refresher = IdentityRefresher.builder(store).provider(counting(vendor)).leaseWait(leaseWait)
                .retryPolicy(RetryPolicy.of(3, Duration.ofMillis(20), Duration.ofSeconds(1))).build();
        // No background refresh and no 401 back-off: every API caller either uses a token or waits for a refresh.
        this.api = RefreshingHttpClient.builder(refresher, id).apiOrigin(apiUrl).httpClient(new OkHttpClient())
                .refreshMargin(Duration.ofSeconds(60)).staleWindow(Duration.ofSeconds(60))
                .unauthorizedBackoff(Duration.ZERO).maxRefreshWait(leaseWait.multipliedBy(3)).build();
        this.threads = Executors.newFixedThreadPool(callers);
    }

    static void run(DataSource pool, Dialect dialect, String[] args, BufferedReader in) throws Exception {
        String secret = in.readLine();
        if (secret == null || !secret.startsWith("SECRET ")) {
            throw new IllegalArgumentException("expected the client secret on the first line");
        }
        new ChaosWorker(pool, dialect, args, secret.substring("SECRET ".length())).serve(in);
    }

    private Provider counting(Provider vendor) {
        return new Provider() {
            @Override
            public String key() {
                return vendor.key();
            }

            @Override
            public Identity refresh(Identity identity) throws RefreshException {
                inFlight.incrementAndGet();
                sent.incrementAndGet();
                try {
                    return vendor.refresh(identity);
                } finally {
                    inFlight.decrementAndGet();
                }
            }
        };
    }

    private void serve(BufferedReader in) throws Exception {
        FleetWorker.say("READY");
        Identity armed = null;
        for (String line; (line = in.readLine()) != null; ) {
            String[] command = line.split(" ");
            switch (command[0]) {
                case "ARM":
                    armed = store.find(id).orElseThrow();
                    FleetWorker.say("ARMED " + command[1] + " " + armed.version());
                    break;
                case "GO":
                    go(command[1], armed);
                    break;
                case "WHO":
                    FleetWorker.say("WHO " + command[1] + " " + inFlight.get());
                    break;
                case "QUIT":
                    threads.shutdownNow();
                    return;
                default:
                    throw new IllegalArgumentException(command[0]);
            }
        }
    }

    /** Starts every caller and returns; a reporter thread answers DONE when the last one is done. */
    private void go(String round, Identity seen) {
        System.err.println("---- round " + round); // the log's stack traces, by round
        sent.set(0);
        CyclicBarrier start = new CyclicBarrier(callers);
        List<Future<String>> calls = new ArrayList<>();
        for (int t = 0; t < callers; t++) {
            boolean viaApi = t % 2 == 1;
            calls.add(threads.submit(() -> {
                start.await();
                return viaApi ? callApi() : refresh(seen);
            }));
        }
        Thread reporter = new Thread(() -> report(round, calls), "chaos-report-" + round);
        reporter.setDaemon(true);
        reporter.start();
    }

    private String refresh(Identity seen) {
        try {
            return "ok " + refresher.refresh(seen).version();
        } catch (RefreshException e) {
            return outcome(e);
        }
    }

    private String callApi() {
        try (Response response = api.newCall(new Request.Builder().url(apiUrl).build()).execute()) {
            return "api" + response.code();
        } catch (Exception e) {
            return outcome(e);
        }
    }

    private static String outcome(Exception e) {
        e.printStackTrace();
        if (e instanceof IdentityNotValid) {
            return ((IdentityNotValid) e).afterLostAnswer() ? "lost" : "notValid";
        }
        if (e instanceof RefreshOutcomeUnknownException) {
            return "unknown";
        }
        return "other " + e.getClass().getSimpleName();
    }

    private void report(String round, List<Future<String>> calls) {
        Map<String, Integer> counts = new TreeMap<>();
        TreeSet<Long> versions = new TreeSet<>();
        Map<String, Integer> others = new TreeMap<>();
        for (Future<String> call : calls) {
            String outcome;
            try {
                outcome = call.get(5, TimeUnit.MINUTES);
            } catch (Exception e) {
                outcome = "other " + e.getClass().getSimpleName();
            }
            String[] parts = outcome.split(" ");
            switch (parts[0]) {
                case "ok":
                    versions.add(Long.parseLong(parts[1]));
                    counts.merge("ok", 1, Integer::sum);
                    break;
                case "other":
                    others.merge(parts[1], 1, Integer::sum);
                    break;
                default:
                    (REPORTED.contains(parts[0]) ? counts : others).merge(parts[0], 1, Integer::sum);
            }
        }
        StringBuilder done = new StringBuilder("DONE ").append(round).append(" sent=").append(sent.get());
        for (String key : REPORTED) {
            done.append(' ').append(key).append('=').append(counts.getOrDefault(key, 0));
        }
        done.append(" versions=").append(versions.toString().replace(" ", ""));
        done.append(" other=").append(others.toString().replace(" ", "").replace('{', '[').replace('}', ']'));
        FleetWorker.say(done.toString());
    }
}
