package org.oauthidentity.store.jdbc;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityStore.RefreshLease;
import org.oauthidentity.oauth2.ClientAuthentication;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.oauth2.OAuth2Settings;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.refresh.RetryPolicy;
import org.oauthidentity.sweep.PassSummary;
import org.oauthidentity.sweep.ValidationSweep;
import org.oauthidentity.testing.ManualClock;

/**
 * One instance of a service, in its own JVM, for the multi-process tests: its own connection pool, store and
 * refresher, driven by the test one line at a time on stdin and answering on stdout. It never prints a token
 * (only short hashes of them); logs go to stderr.
 *
 * <pre>
 * refresh &lt;dialect&gt; &lt;url&gt; &lt;user&gt; &lt;password&gt; &lt;tokenUrl&gt; &lt;identityId&gt; &lt;threads&gt;
 *     READY; then "ARM n" -&gt; reads the identity, "ARMED n &lt;version&gt;"; "GO n" -&gt; every thread refreshes
 *     that copy at once, "DONE n errors=&lt;count&gt; &lt;error types&gt; versions=&lt;distinct&gt; tokens=&lt;distinct&gt;"; QUIT
 * claim &lt;dialect&gt; &lt;url&gt; &lt;user&gt; &lt;password&gt; &lt;cutoff&gt; &lt;now&gt; &lt;pageSize&gt; &lt;threads&gt;
 *     READY; then "GO" -&gt; threads claim pages until one comes back empty: "CLAIMED id,id,..." per page, "DONE &lt;n&gt;"
 * hold &lt;dialect&gt; &lt;url&gt; &lt;user&gt; &lt;password&gt; &lt;identityId&gt; &lt;leaseTtlMillis&gt;
 *     takes the identity's refresh lease, "HELD", and keeps it until the process dies
 * migrate &lt;dialect&gt; &lt;url&gt; &lt;user&gt; &lt;password&gt; &lt;identityId&gt;
 *     READY; then "GO" -&gt; builds a store that migrates the schema, creates the identity, "MIGRATED", or
 *     "FAILED &lt;exception&gt;"
 * sweep &lt;dialect&gt; &lt;url&gt; &lt;user&gt; &lt;password&gt; &lt;tokenUrl&gt; &lt;clientId&gt; &lt;interval&gt; &lt;concurrency&gt;
 *     a {@link ValidationSweep} over the store, checking identities of provider "fleet" at the token endpoint as
 *     client {@code clientId}; READY; then "PASS &lt;instant&gt;" -&gt; one pass with every clock of the process
 *     (sweep, store, provider) fixed at that instant, "PASSED &lt;state&gt; claimed=&lt;n&gt; valid=&lt;n&gt;
 *     notValid=&lt;n&gt; errors=&lt;n&gt; skipped=&lt;n&gt; unchecked=&lt;n&gt;"; QUIT
 * chaos &lt;dialect&gt; &lt;url&gt; &lt;user&gt; &lt;password&gt; ...
 *     one instance of a service under a faulty token endpoint: see {@link ChaosWorker}
 * </pre>
 */
public final class FleetWorker {
    private static final PrintStream OUT = System.out;

    private FleetWorker() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Dialect dialect = Dialect.valueOf(args[1]);
        try (TestPool pool = new TestPool(args[2], args[3], args[4], 5)) {
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            switch (mode) {
                case "refresh":
                    refresh(JdbcIdentityStore.builder(pool).dialect(dialect).leaseTtl(Duration.ofSeconds(30)).build(),
                            args[5], args[6], Integer.parseInt(args[7]), in);
                    break;
                case "claim":
                    claim(JdbcIdentityStore.builder(pool).dialect(dialect).build(), Instant.parse(args[5]),
                            Instant.parse(args[6]), Integer.parseInt(args[7]), Integer.parseInt(args[8]), in);
                    break;
                case "hold":
                    hold(JdbcIdentityStore.builder(pool).dialect(dialect)
                            .leaseTtl(Duration.ofMillis(Long.parseLong(args[6]))).build(), args[5], in);
                    break;
                case "migrate":
                    migrate(pool, dialect, args[5], in);
                    break;
                case "sweep":
                    sweep(pool, dialect, args[5], args[6], Duration.parse(args[7]), Integer.parseInt(args[8]), in);
                    break;
                case "chaos":
                    ChaosWorker.run(pool, dialect, Arrays.copyOfRange(args, 5, args.length), in);
                    break;
                default:
                    throw new IllegalArgumentException(mode);
            }
        }
        System.exit(0);
    }

    private static void refresh(JdbcIdentityStore store, String tokenUrl, String id, int threads, BufferedReader in)
            throws Exception {
        OAuth2Provider provider = OAuth2Provider.create(OAuth2Settings.builder()
                .providerKey("fleet").tokenUrl(tokenUrl).clientId("fleet-client").clientSecret("fleet-secret")
                .build());
        // No retries: a transient failure must show up as an error, not be papered over.
        IdentityRefresher refresher = IdentityRefresher.builder(store).provider(provider)
                .leaseWait(Duration.ofSeconds(60)).retryPolicy(RetryPolicy.none()).build();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        say("READY");
        Identity armed = null;
        for (String line; (line = in.readLine()) != null; ) {
            String[] command = line.split(" ");
            if (command[0].equals("ARM")) {
                armed = store.find(id).orElseThrow();
                say("ARMED " + command[1] + " " + armed.version() + (armed.expiresBefore(Instant.now()) ? "" : " not-expired"));
            } else if (command[0].equals("GO")) {
                Identity seen = armed;
                CyclicBarrier start = new CyclicBarrier(threads);
                List<Future<Identity>> calls = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    calls.add(pool.submit(() -> {
                        start.await();
                        return refresher.refresh(seen);
                    }));
                }
                TreeSet<Long> versions = new TreeSet<>();
                TreeSet<String> tokens = new TreeSet<>();
                Map<String, Integer> errors = new TreeMap<>();
                AtomicInteger failed = new AtomicInteger();
                for (Future<Identity> call : calls) {
                    try {
                        Identity got = call.get(120, TimeUnit.SECONDS);
                        versions.add(got.version());
                        tokens.add(hash(got.accessToken()));
                    } catch (Exception e) {
                        failed.incrementAndGet();
                        Throwable cause = e.getCause() == null ? e : e.getCause();
                        errors.merge(cause.getClass().getSimpleName(), 1, Integer::sum);
                        cause.printStackTrace();
                    }
                }
                say("DONE " + command[1] + " errors=" + failed + " " + errors.keySet().toString().replace(" ", "")
                        + " versions=" + join(versions) + " tokens=" + join(tokens));
            } else if (command[0].equals("QUIT")) {
                break;
            }
        }
        pool.shutdownNow();
    }

    private static void claim(JdbcIdentityStore store, Instant cutoff, Instant now, int pageSize, int threads,
            BufferedReader in) throws Exception {
        say("READY");
        if (!"GO".equals(in.readLine())) {
            return;
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicInteger total = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> claimers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            claimers.add(pool.submit(() -> {
                start.await();
                for (List<Identity> page; !(page = store.claimUnverified(cutoff, now, pageSize)).isEmpty(); ) {
                    total.addAndGet(page.size());
                    StringBuilder ids = new StringBuilder("CLAIMED ");
                    page.forEach(i -> ids.append(i.id()).append(','));
                    say(ids.toString());
                }
                return null;
            }));
        }
        start.countDown();
        for (Future<?> claimer : claimers) {
            claimer.get(120, TimeUnit.SECONDS);
        }
        say("DONE " + total);
        pool.shutdownNow();
    }

    private static void sweep(TestPool pool, Dialect dialect, String tokenUrl, String clientId, Duration interval,
            int concurrency, BufferedReader in) throws Exception {
        // The test names the instant of each pass, so passes of several processes agree on time without waiting.
        ManualClock clock = ManualClock.at(Instant.EPOCH);
        JdbcIdentityStore store = JdbcIdentityStore.builder(pool).dialect(dialect).clock(clock).build();
        OAuth2Provider provider = OAuth2Provider.create(OAuth2Settings.builder()
                .providerKey("fleet").tokenUrl(tokenUrl).clientId(clientId).clientSecret("fleet-secret")
                .clientAuthentication(ClientAuthentication.CLIENT_SECRET_POST).clock(clock).build());
        IdentityRefresher refresher = IdentityRefresher.builder(store).provider(provider).build();
        try (ValidationSweep sweep = ValidationSweep.builder(refresher).clock(clock).interval(interval)
                .concurrency(concurrency).build()) {
            say("READY");
            for (String line; (line = in.readLine()) != null && line.startsWith("PASS "); ) {
                clock.set(Instant.parse(line.substring("PASS ".length())));
                PassSummary pass = sweep.runOnce();
                say("PASSED " + pass.state() + " claimed=" + pass.claimed() + " valid=" + pass.valid()
                        + " notValid=" + pass.notValid() + " errors=" + pass.errors() + " skipped=" + pass.skipped()
                        + " unchecked=" + pass.unchecked());
            }
        }
    }

    private static void hold(JdbcIdentityStore store, String id, BufferedReader in) throws Exception {
        RefreshLease lease = store.acquireRefreshLease(id, Duration.ZERO);
        say("HELD " + lease.identity().version());
        // Keeps it until killed: never closes it.
        while (in.readLine() != null) {
            // wait for the end of stdin or for the kill
        }
    }

    private static void migrate(TestPool pool, Dialect dialect, String id, BufferedReader in) throws Exception {
        say("READY");
        if (!"GO".equals(in.readLine())) {
            return;
        }
        try {
            JdbcIdentityStore store = JdbcIdentityStore.builder(pool).dialect(dialect).migrateSchema().build();
            store.create(Identity.builder().id(id).providerKey("gitlab").accessToken("at-" + id).build());
            say("MIGRATED");
        } catch (RuntimeException e) {
            say("FAILED " + e);
        }
    }

    static synchronized void say(String line) {
        OUT.println(line);
        OUT.flush();
    }

    static String hash(String token) throws Exception {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(digest, 0, 6);
    }

    private static String join(TreeSet<?> values) {
        return values.toString().replace(" ", "");
    }
}
