package org.oauthidentity.benchmarks;

import static org.oauthidentity.benchmarks.Report.fmt;
import static org.oauthidentity.benchmarks.Report.met;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.oauthidentity.http.FreshTokenPathBenchmark;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs every benchmark with short settings (about twelve minutes on two cores) and writes
 * {@code <out>/latest.md}: the machine, each measure next to its target, ratios against plain OkHttp of the
 * same run. Run it with {@code java -cp <runtime class path>} ({@code benchmarks/run.sh} does), so the JMH
 * forks inherit the right class path.
 *
 * <p>Arguments: {@code --out=DIR} (default {@code benchmarks/results}); {@code --only=a,b} to run some of
 * {@value #NAMES}; {@code --smoke} for one-second iterations and small sizes, to check the wiring. A partial
 * or smoke run prints its table and writes no file.
 */
public final class RunAll {
    static final String NAMES =
            "throughput, fresh-path, storm, sweep, jdbc-storm, many-throughput, many-heap, many-statements, "
                    + "fleet-sweep, claim-cost, sweep-heap, rate-limit";

    /** Iterations of 2 s. Loopback HTTP on 4 threads needs ~10 s of warm-up on 2 cores (the JIT competes). */
    private static final int WARMUP = 3;
    private static final int MEASUREMENT = 5;
    private static final int THROUGHPUT_WARMUP = 5;
    private static final int THROUGHPUT_MEASUREMENT = 3;
    /** Benchmark 6 warms each side with one call per hot identity first, so it needs less JMH warm-up. */
    private static final int MANY_WARMUP = 4;
    private static final int MANY_MEASUREMENT = 3;
    private static final int HEAP_ROUNDS = 3;

    private final boolean smoke;
    private final Path out;
    private final Report report;
    /** The database of benchmarks 6 to 8, started by the first of them. */
    private ManyIdentitiesDatabase manyIdentities;

    private RunAll(boolean smoke, Path out) {
        this.smoke = smoke;
        this.out = out;
        this.report = new Report(smoke
                ? "SMOKE (wiring check only): JMH 1 fork, 1 x 1 s warm-up, 2 x 1 s measurement; storm 1 round; sweep 2,000 and 500; "
                        + "heap 1 round"
                : "JMH with the gc and CPU profilers; throughput: 8 forks (4 per side), each 5 x 2 s warm-up and "
                        + "3 x 2 s measurement; fresh path: 1 fork per side, 3 x 2 s warm-up, 5 x 2 s measurement; "
                        + "storm: 5 rounds per N after 1 warm-up round; sweep: 1 pass per N after a 500-identity "
                        + "warm-up pass; many identities: 8 forks (4 per side), each 4 x 2 s warm-up and 3 x 2 s "
                        + "measurement after one call per hot identity; heap: 3 rounds after 1 warm-up round");
    }

    public static void main(String[] args) throws Exception {
        boolean smoke = false;
        Path out = Path.of("benchmarks", "results");
        Set<String> only = new LinkedHashSet<>(Arrays.asList(NAMES.split(", ")));
        boolean partial = false;
        for (String arg : args) {
            if (arg.equals("--smoke")) {
                smoke = true;
            } else if (arg.startsWith("--out=")) {
                out = Path.of(arg.substring("--out=".length()));
            } else if (arg.startsWith("--only=")) {
                only = new LinkedHashSet<>(Arrays.asList(arg.substring("--only=".length()).split(",")));
                partial = true;
            } else {
                throw new IllegalArgumentException("unknown argument " + arg + "; see the Javadoc of RunAll");
            }
        }
        RunAll run = new RunAll(smoke, out);
        if (only.contains("throughput")) {
            run.throughput();
        }
        if (only.contains("fresh-path")) {
            run.freshPath();
        }
        if (only.contains("storm")) {
            run.storm();
        }
        if (only.contains("sweep")) {
            run.sweep();
        }
        if (only.contains("jdbc-storm")) {
            run.jdbcStorm();
        }
        try {
            if (only.contains("many-throughput")) {
                run.manyThroughput();
            }
            if (only.contains("many-heap")) {
                run.manyHeap();
            }
            if (only.contains("many-statements")) {
                run.manyStatements();
            }
        } finally {
            if (run.manyIdentities != null) {
                run.manyIdentities.close();
            }
        }
        if (only.contains("fleet-sweep")) {
            run.fleetSweep();
        }
        if (only.contains("claim-cost")) {
            run.claimCost();
        }
        if (only.contains("sweep-heap")) {
            run.sweepHeap();
        }
        if (only.contains("rate-limit")) {
            run.rateLimit();
        }
        String markdown = run.report.markdown();
        System.out.println();
        System.out.println(markdown);
        if (smoke || partial) {
            System.out.println("(smoke or partial run: no results file written)");
        } else {
            Path file = out.resolve("latest.md");
            run.report.write(file);
            System.out.println("written to " + file.toAbsolutePath());
        }
        // The JMH runner and the loopback servers leave no non-daemon thread, but be sure the JVM ends.
        System.exit(0);
    }

    // ---- 1. throughput --------------------------------------------------------------------------------------

    private void throughput() throws Exception {
        Comparison c = compare(ThroughputBenchmark.class, "throughput", "plainOkHttp", "refreshingClient",
                THROUGHPUT_WARMUP, THROUGHPUT_MEASUREMENT);
        c.report(report, "1.", "plain OkHttp (loopback GET + body, 4 threads)",
                "RefreshingHttpClient (fresh token), same OkHttpClient and server");
    }

    /** The two sides of a throughput comparison, each the mean of its forks, and the ratio of each pair. */
    private record Comparison(String a, String b, List<RunResult> plain, List<RunResult> refreshing,
            List<Double> pairRatios, List<String> runs) {

        void report(Report report, String number, String plainLabel, String refreshingLabel) {
            double plainScore = mean(plain, r -> r.getPrimaryResult().getScore());
            double refreshingScore = mean(refreshing, r -> r.getPrimaryResult().getScore());
            double ratio = refreshingScore / plainScore;
            double[] interval = interval95(pairRatios);
            report.row(number + " Throughput, " + plainLabel, fmt("%,.0f calls/s (mean of %d fork%s)", plainScore,
                    plain.size(), plain.size() == 1 ? "" : "s"), "—", "1.00 (reference)", "—");
            report.row(number + " Throughput, " + refreshingLabel, fmt("%,.0f calls/s (mean of %d fork%s)",
                    refreshingScore, refreshing.size(), refreshing.size() == 1 ? "" : "s"), ">= 0.97 x plain",
                    Double.isNaN(interval[0]) ? fmt("%.3f", ratio)
                            : fmt("%.3f (95%% interval of the pairs: %.3f to %.3f)", ratio, interval[0], interval[1]),
                    ratioVerdict(ratio, interval));
            report.detail(number + " Throughput forks in the order run (" + order(runs.size()) + "; the table has "
                    + "the mean of each side): " + String.join("; ", runs) + ". Errors are JMH's 99.9% intervals "
                    + "within one fork.");
            report.detail(number + " Throughput ratio of each adjacent pair of forks: "
                    + pairRatios.stream().map(x -> fmt("%.3f", x)).collect(Collectors.joining(", ")));

            double plainAlloc = mean(plain, RunAll::allocNorm);
            double refreshingAlloc = mean(refreshing, RunAll::allocNorm);
            double plainCpu = mean(plain, r -> secondary(r, "cpu.per.op"));
            double refreshingCpu = mean(refreshing, r -> secondary(r, "cpu.per.op"));
            report.row(number + " Client CPU per call, " + a + " (benchmark JVM only: the API server runs in its "
                    + "own process)", fmt("%.1f µs/call", plainCpu), "—", "1.00 (reference)", "—");
            report.row(number + " Client CPU per call, " + b, fmt("%.1f µs/call (%+.1f µs)", refreshingCpu,
                    refreshingCpu - plainCpu), "—", fmt("%.3f (calls per CPU-second)", plainCpu / refreshingCpu), "—");
            report.row(number + " Client allocation per call, " + a, fmt("%,.0f B/call", plainAlloc), "—",
                    "1.00 (reference)", "—");
            report.row(number + " Client allocation per call, " + b, fmt("%,.0f B/call (%+,.0f)",
                    refreshingAlloc, refreshingAlloc - plainAlloc), "—", fmt("%.3f", refreshingAlloc / plainAlloc),
                    "—");
        }

        private static String order(int forks) {
            return "A B B A B A A B".substring(0, forks * 2 - 1);
        }
    }

    /**
     * One JMH fork per run, alternating plain (A) and refreshing (B) as A B B A B A A B: a load that drifts
     * during the run weighs on both sides alike, and runs of one side in different JVMs show how much a
     * figure moves from fork to fork (the JIT does not compile the same way twice), which is most of the
     * noise. The ratio is that of the means; its interval comes from the four adjacent pairs.
     */
    private Comparison compare(Class<?> benchmark, String name, String a, String b, int warmups, int iterations,
            String... jvmArgs) throws Exception {
        String[] order = smoke ? new String[] {a, b} : new String[] {a, b, b, a, b, a, a, b};
        List<RunResult> plain = new ArrayList<>();
        List<RunResult> refreshing = new ArrayList<>();
        List<Double> pairRatios = new ArrayList<>();
        List<String> runs = new ArrayList<>();
        for (int i = 0; i < order.length; i++) {
            RunResult r = jmh(benchmark, order[i], name + "-" + (i + 1) + "-" + order[i], warmups, iterations,
                    jvmArgs);
            (order[i].equals(a) ? plain : refreshing).add(r);
            runs.add(fmt("%s %s calls/s, %.1f µs CPU/call, %s B/call", order[i], scoreWithError(r.getPrimaryResult()),
                    secondary(r, "cpu.per.op"), alloc(r)));
            if (i % 2 == 1) {
                List<RunResult> pair = List.of(plain.get(plain.size() - 1), refreshing.get(refreshing.size() - 1));
                pairRatios.add(pair.get(1).getPrimaryResult().getScore() / pair.get(0).getPrimaryResult().getScore());
            }
        }
        return new Comparison(a, b, plain, refreshing, pairRatios, runs);
    }

    /** Mean ± t(0.975, n-1) standard errors; NaN with fewer than two values. */
    private static double[] interval95(List<Double> values) {
        int n = values.size();
        if (n < 2) {
            return new double[] {Double.NaN, Double.NaN};
        }
        double mean = values.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        double var = values.stream().mapToDouble(v -> (v - mean) * (v - mean)).sum() / (n - 1);
        double[] t = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306};
        double half = t[Math.min(n - 2, t.length - 1)] * Math.sqrt(var / n);
        return new double[] {mean - half, mean + half};
    }

    private static String ratioVerdict(double ratio, double[] interval) {
        if (Double.isNaN(interval[0])) {
            return met(ratio >= 0.97);
        }
        if (ratio >= 0.97) {
            return interval[0] >= 0.97 ? "yes" : "yes (within noise: the interval reaches below 0.97)";
        }
        return interval[1] >= 0.97 ? "**NO** (within noise: the interval reaches 0.97)" : "**NO**";
    }

    // ---- 2. fresh-token path ----------------------------------------------------------------------------

    private void freshPath() throws Exception {
        RunResult noOp = jmh(FreshTokenPathBenchmark.class, "noOpInterceptors", "fresh-path-noOpInterceptors",
                WARMUP, MEASUREMENT);
        RunResult fresh = jmh(FreshTokenPathBenchmark.class, "freshTokenPath", "fresh-path-freshTokenPath",
                WARMUP, MEASUREMENT);
        double added = fresh.getPrimaryResult().getScore() - noOp.getPrimaryResult().getScore();
        report.row("2. Fresh-token path, a no-op interceptor on an in-memory chain (baseline)",
                fmt("%s ns/call, %s B/call", scoreWithError(noOp.getPrimaryResult()), alloc(noOp)), "—", "—", "—");
        report.row("2. Fresh-token path, RefreshingHttpClient's interceptor on the same chain",
                fmt("%s ns/call, %s B/call", scoreWithError(fresh.getPrimaryResult()), alloc(fresh)), "—", "—", "—");
        report.row("2. Added latency on the fresh-token path (difference of the two)",
                fmt("%,.0f ns (%.3f µs), %+,.0f B/call", added, added / 1000, allocNorm(fresh) - allocNorm(noOp)),
                "< 1 µs", "—", met(added < 1000));
    }

    // ---- 3. refresh storm -------------------------------------------------------------------------------

    private void storm() throws Exception {
        int[] callers = smoke ? new int[] {10, 100} : new int[] {10, 100, 1000};
        int rounds = smoke ? 1 : 5;
        System.out.println("# Refresh storm: " + Arrays.toString(callers) + " callers, " + rounds + " rounds each");
        for (RefreshStorm.Result r : RefreshStorm.run(callers, rounds, Duration.ofMillis(20))) {
            String tokenRequests = r.minTokenRequests() == r.maxTokenRequests()
                    ? String.valueOf(r.minTokenRequests())
                    : r.minTokenRequests() + " to " + r.maxTokenRequests();
            report.row(fmt("3. Refresh storm, %,d concurrent callers on one expired identity", r.callers()),
                    fmt("%s token request(s) per round in %d rounds, %d errors; all served in %.0f ms median "
                            + "(max %.0f ms)", tokenRequests, r.rounds().size(), r.errors(), r.medianMillis(),
                            r.maxMillis()),
                    "exactly 1 token request, 0 errors", "—", met(r.singleFlight() && r.errors() == 0));
            report.detail(fmt("Storm, %,d callers, per round (ms, release to last response): %s", r.callers(),
                    r.rounds().stream().map(x -> fmt("%.1f", x.nanos() / 1e6)).collect(Collectors.joining(", "))));
        }
        report.detail("Storm setup: one new identity and one new RefreshingHttpClient per round, which first makes "
                + "one call while the token is fresh, then its clock moves 2 h on; the token endpoint answers in "
                + "20 ms; 'served' = every caller has read its API response body.");
    }

    // ---- 4. sweep -----------------------------------------------------------------------------------------

    private void sweep() throws Exception {
        int large = smoke ? 2_000 : 10_000;
        int small = smoke ? 500 : 2_000;
        System.out.println("# Sweep throughput: " + large + " then " + small + " identities");
        SweepThroughput.Result big = SweepThroughput.run(large, 32, Duration.ofMillis(20));
        SweepThroughput.Result little = SweepThroughput.run(small, 32, Duration.ofMillis(20));
        for (SweepThroughput.Result r : List.of(big, little)) {
            double rate = r.perSecond();
            boolean target = r.identities() >= 10_000;
            report.row(fmt("4. Sweep throughput, %,d identities, concurrency 32, token endpoint 20 ms", r.identities()),
                    fmt("%,.0f identities/s (%.0f%% of the %,.0f/s limit)%s", rate, 100 * rate / r.physicalLimit(),
                            r.physicalLimit(), r.clean() ? "" : "; NOT CLEAN: " + r.summary()),
                    target ? ">= 1,280 identities/s" : "— (short pass: start-up weighs more)", "—",
                    target ? met(rate >= 1280 && r.clean()) : r.clean() ? "—" : "**NO**");
        }
        // The pass's working set should be flat in N; the store (in memory here) is not, and is not the sweep's.
        long growth = big.passWorkingSet() - little.passWorkingSet();
        long storeGrowth = big.storeBytesPerIdentity() * (big.identities() - little.identities());
        report.row("4. Sweep heap: the pass's working set mid-pass (live heap minus the filled store)",
                fmt("%,d KB at %,d identities, %,d KB at %,d (the store itself: %,d KB vs %,d KB)",
                        big.passWorkingSet() / 1024, big.identities(), little.passWorkingSet() / 1024,
                        little.identities(), big.storeBytesPerIdentity() * big.identities() / 1024,
                        little.storeBytesPerIdentity() * little.identities() / 1024),
                "does not grow with the number of identities", "—", met(growth < storeGrowth / 10));
        for (SweepThroughput.Result r : List.of(big, little)) {
            double share = r.claimNanos() / (double) r.nanos();
            report.row(fmt("4. Sweep: time in InMemoryIdentityStore.claimUnverified, %,d identities", r.identities()),
                    fmt("%d calls, %,.0f ms = %.1f%% of the pass", r.claimCalls(), r.claimNanos() / 1e6, 100 * share),
                    "does not dominate", "—", met(share < 0.2));
            report.detail(fmt("Sweep, %,d identities: %s; %,d token requests; live heap (after System.gc()) %,d KB "
                    + "empty, %,d KB with the store, %,d KB mid-pass, %,d KB after (store growth over the pass %,d KB); "
                    + "largest heap sampled during the pass, garbage included: %,d KB", r.identities(), r.summary(),
                    r.tokenRequests(), r.heapEmpty() / 1024, r.heapLoaded() / 1024, r.heapMidPass() / 1024,
                    r.heapAfter() / 1024, r.storeGrowth() / 1024, r.heapMaxSampled() / 1024));
        }
        report.detail("Sweep heap criterion: from the small to the large N, the working set grows by less than a tenth "
                + "of what the store grows. The mid-pass figure costs one full collection during the pass.");
        report.detail("claimUnverified of InMemoryIdentityStore walks the map from its start for every page (256 "
                + "identities), so its total cost grows as N^2 / page size; the share above is what it costs at these N.");
    }

    // ---- 5. refresh storm across processes over store-jdbc ------------------------------------------------

    /** Benchmark 5: see {@link FleetStorm}. */
    private void jdbcStorm() throws Exception {
        int processes = 3;
        int callers = smoke ? 10 : 50;
        int rounds = smoke ? 2 : 10;
        System.out.println("# Refresh storm across " + processes + " processes x " + callers + " callers, " + rounds
                + " rounds, embedded PostgreSQL");
        FleetStorm.Result r = FleetStorm.run(processes, callers, rounds);
        long[] ms = r.rounds().stream().mapToLong(round -> round.nanos() / 1_000_000).sorted().toArray();
        long maxRequests = r.rounds().stream().mapToLong(FleetStorm.Round::tokenRequests).max().orElse(-1);
        long minRequests = r.rounds().stream().mapToLong(FleetStorm.Round::tokenRequests).min().orElse(-1);
        long reused = r.rounds().stream().mapToLong(FleetStorm.Round::reused).sum();
        int errors = r.rounds().stream().mapToInt(FleetStorm.Round::errors).sum();
        String requests = minRequests == maxRequests ? String.valueOf(minRequests) : minRequests + " to " + maxRequests;
        report.row(fmt("5. Refresh storm across %d processes x %d callers, store-jdbc on embedded PostgreSQL",
                        processes, callers),
                fmt("%s token request(s) per expiry in %d rounds, %d refresh tokens reused, %d errors; all %d callers "
                        + "served in %d ms median (max %d ms); last issued refresh token stored: %s", requests,
                        ms.length, reused, errors, processes * callers, ms[ms.length / 2], ms[ms.length - 1],
                        r.lastTokenStored() ? "yes" : "NO"),
                "exactly 1 token request", "—", met(r.clean()));
        report.detail("Fleet storm rounds (ms, release to the last caller of the last process served): "
                + r.rounds().stream().map(round -> fmt("%.1f", round.nanos() / 1e6))
                        .collect(java.util.stream.Collectors.joining(", "))
                + ". Each process: its own JdbcIdentityStore over its own PostgreSQL connections, one "
                + "RefreshingHttpClient, a clock moved 2 h per round; the token endpoint answers in 20 ms and "
                + "refuses (and counts) a refresh token presented twice.");
    }

    // ---- 6 to 8. many identities, one client, store-jdbc on PostgreSQL --------------------------------------

    private ManyIdentitiesDatabase manyIdentities() throws Exception {
        if (manyIdentities == null) {
            System.out.println("# Many identities: filling PostgreSQL with " + ManyIdentitiesDatabase.STORED
                    + " identities");
            long start = System.nanoTime();
            manyIdentities = ManyIdentitiesDatabase.start();
            report.detail(fmt("Many identities: embedded PostgreSQL started and filled with %,d identities in %.1f s "
                    + "(once, shared by benchmarks 6 to 8; the JMH forks connect to it).", ManyIdentitiesDatabase.STORED,
                    (System.nanoTime() - start) / 1e9));
        }
        return manyIdentities;
    }

    /** Benchmark 6: see {@link ManyIdentitiesBenchmark}. */
    private void manyThroughput() throws Exception {
        String url = manyIdentities().jdbcUrl();
        Comparison c = compare(ManyIdentitiesBenchmark.class, "many-throughput", "plainOkHttp", "refreshingClient",
                MANY_WARMUP, MANY_MEASUREMENT, "-Xms1g", "-Xmx1g",
                "-D" + ManyIdentitiesDatabase.URL_PROPERTY + "=" + url);
        c.report(report, "6.", fmt("plain OkHttp, the caller sets Authorization from a HashMap; %,d hot of %,d "
                        + "stored identities (4 threads)", ManyIdentitiesDatabase.HOT, ManyIdentitiesDatabase.STORED),
                "one RefreshingHttpClient for all, an AsIdentity tag per request (cache warm), same OkHttpClient "
                        + "and server");
        report.detail("6. Each call takes the next id of a shuffled array of the hot ids (each thread from a random "
                + "start); both sides build the request from one template (plain: + header, client: + tag). Every "
                + "fork first makes one call per hot identity through each side (the client's 10,000 misses, one "
                + "SELECT each) and checks the tokens match; its tear-down checks that the measured phase read "
                + "nothing from the store and refreshed nothing.");
    }

    /** Benchmark 7: see {@link ManyIdentities#heap}. */
    private void manyHeap() throws Exception {
        int rounds = smoke ? 1 : HEAP_ROUNDS;
        System.out.println("# Heap per cached identity: " + rounds + " round(s) of " + ManyIdentitiesDatabase.HOT);
        ManyIdentities.Heap heap = ManyIdentities.heap(manyIdentities().jdbcUrl(), rounds);
        report.row(fmt("7. Heap per cached identity (%,d identities loaded from PostgreSQL into one client; tokens "
                        + "of 64 to 165 characters)", heap.identities()),
                fmt("%,d B (median of %d round%s; %,d B of it the token string)", heap.median(),
                        heap.perIdentity().length, heap.perIdentity().length == 1 ? "" : "s", heap.tokenStrings()),
                "< 1 KB", "—", met(heap.median() < 1024));
        report.detail("7. Heap per cached identity, each round (live heap after collections, warmed client minus "
                + "empty client, over the identities): " + Arrays.stream(heap.perIdentity())
                        .mapToObj(b -> fmt("%,d B", b)).collect(Collectors.joining(", "))
                + ". Token string: the ready-made 'Bearer' header value, the only copy of a token the client keeps, as Latin-1 "
                + "Strings with compressed oops.");
    }

    /** Benchmark 8: see {@link ManyIdentities#statements}. */
    private void manyStatements() throws Exception {
        System.out.println("# Store statements per miss and per hit");
        for (ManyIdentities.Phase p : ManyIdentities.statements(manyIdentities().jdbcUrl(), 1_000, 10_000)) {
            boolean hit = p.name().startsWith("hit");
            long expected = hit ? 0 : p.calls();
            String verbs = p.statements().isEmpty() ? "no statement" : p.statements().entrySet().stream()
                    .map(e -> fmt("%,d %s", e.getValue(), e.getKey())).collect(Collectors.joining(", "));
            report.row(fmt("8. Store statements, %s", p.name()),
                    fmt("%,d calls: %s (%.2f per call), %,d connections borrowed", p.calls(), verbs,
                            p.statementCount() / (double) p.calls(), p.connections()),
                    hit ? "none" : "exactly 1 read per call", "—",
                    met(p.statementCount() == expected && p.statements().keySet().stream()
                            .allMatch("SELECT"::equals)));
        }
        report.detail("8. One client, default bounds, one thread, loopback API in this JVM; statements counted by a "
                + "DataSource in front of the HikariCP pool: 1,000 identities called once each, then 10,000 calls "
                + "spread over them, then 100 of them invalidated and called again.");
    }

    // ---- 9 to 11. the validation sweep at fleet scale, store-jdbc on PostgreSQL ------------------------------

    /** Benchmark 9: see {@link FleetSweep}. */
    private void fleetSweep() throws Exception {
        fleetSweep(smoke ? 6_000 : 100_000, 0);
        // The same fleet with each process limited to 250 token requests/s: the target is 80 % of the lower limit.
        fleetSweep(smoke ? 3_000 : 30_000, 250);
    }

    /** One fleet pass; {@code ratePerProcess} 0 for no rate limit. */
    private void fleetSweep(int identities, double ratePerProcess) throws Exception {
        int processes = 3;
        int concurrency = 32;
        System.out.println("# Fleet sweep: " + processes + " processes x concurrency " + concurrency + " over "
                + identities + " identities in embedded PostgreSQL"
                + (ratePerProcess > 0 ? ", rate limit " + ratePerProcess + "/s per process" : ""));
        long began = System.nanoTime();
        FleetSweep.Result r = FleetSweep.run(processes, identities, concurrency, ratePerProcess, Duration.ofMillis(20),
                smoke ? 100 : 300);
        double took = (System.nanoTime() - began) / 1e9;
        double rate = r.perSecond();
        FleetSweep.Cpu cpu = r.cpu();
        double capacity = cpu.wallSeconds() * cpu.cores();
        String cores = fmt("%d cores shared by the %d JVMs, PostgreSQL and the token endpoint", cpu.cores(), processes);
        String limited = ratePerProcess > 0 ? fmt(", rate limit %,.0f/s per process", ratePerProcess) : "";
        String limitName = ratePerProcess > 0 && r.limit() < r.physicalLimit() ? "configured rate limit" : "limit";
        report.row(fmt("9. Fleet sweep, %d processes x concurrency %d over %,d identities in one PostgreSQL, token "
                        + "endpoint 20 ms%s", processes, concurrency, identities, limited),
                fmt("%,.0f identities/s (%.0f%% of the %,.0f/s %s) on %s; per process %s%s", rate,
                        100 * rate / r.limit(), r.limit(), limitName, cores,
                        r.passes().stream().map(p -> fmt("%,.0f/s", p.perSecond())).collect(Collectors.joining(", ")),
                        r.clean() ? "" : "; NOT CLEAN"),
                fmt(">= 80%% of the %s (%,.0f/s)", limitName, 0.8 * r.limit()), "—",
                met(rate >= 0.8 * r.limit() && r.clean()));
        if (ratePerProcess > 0) {
            report.row(fmt("9. Fleet sweep correctness%s", limited), fmt("%,d token requests; each identity once: %,d; "
                            + "rows VALID: %,d of %,d", r.tokenRequests(), r.perToken()[1], r.rowsValid(), r.rows()),
                    fmt("%,d requests, each identity exactly once, all VALID", identities), "—", met(r.clean()));
            report.detail(fmt("Fleet sweep with a rate limit of %,.0f/s per process: %,d claimed in %.2f s; took %.0f s",
                    ratePerProcess, r.claimed(), r.wallSeconds(), took));
            return;
        }
        report.row("9. Fleet sweep correctness",
                fmt("%,d token requests; stored refresh tokens presented once: %,d, never: %,d, more than once: %,d "
                        + "(other tokens: %,d); rows VALID: %,d of %,d, verified during the passes: %,d, "
                        + "refresh token not rotated: %,d", r.tokenRequests(), r.perToken()[1], r.perToken()[0],
                        r.perToken()[2], r.untracked(), r.rowsValid(), r.rows(), r.rowsVerifiedSinceStart(),
                        r.rowsNotRotated()),
                fmt("%,d requests, each identity exactly once, all VALID", identities), "—", met(r.clean()));
        double perIdentityMs = (cpu.workers().stream().mapToDouble(Double::doubleValue).sum() + cpu.endpoint()
                + cpu.postgres()) * 1000 / r.claimed();
        report.row("9. Fleet sweep: where the cores went during the passes",
                fmt("of %.1f core-seconds (%.1f s x %d cores): worker JVMs %s, token endpoint %.1f, PostgreSQL %.1f, "
                        + "other processes %.1f, idle %.1f; %.2f ms of CPU per identity, so the cores alone cap the "
                        + "fleet at about %,.0f identities/s; context switches per identity: %.1f in the workers, "
                        + "%.1f in PostgreSQL", capacity, cpu.wallSeconds(), cpu.cores(),
                        cpu.workers().stream().map(c -> fmt("%.1f", c)).collect(Collectors.joining(" + ")),
                        cpu.endpoint(), cpu.postgres(), cpu.others(),
                        Math.max(0, cpu.machineTotal() - cpu.machineBusy()), perIdentityMs,
                        cpu.cores() * 1000 / perIdentityMs, cpu.workerSwitches() / (double) r.claimed(),
                        cpu.postgresSwitches() / (double) r.claimed()),
                "—", "—", "—");
        for (int i = 0; i < r.passes().size(); i++) {
            FleetSweep.Pass p = r.passes().get(i);
            long claimed = Math.max(1, p.get("claimed"));
            long statements = p.statements().values().stream().mapToLong(Long::longValue).sum();
            report.detail(fmt("Fleet sweep, process %d: %s, %,d claimed in %.1f s (%,.0f/s): %,d valid, %,d not valid, "
                            + "%,d errors, %,d skipped, %,d unchecked; statements %s = %.2f per identity; %,d "
                            + "connections borrowed, waiting %.1f s in all for the pool (%.2f ms per borrow); "
                            + "claimUnverified %,d calls, %.1f s (%.1f ms per page); CPU %.1f s, GC %.1f s",
                    i + 1, p.values().get("state"), p.get("claimed"), p.seconds(), p.perSecond(), p.get("valid"),
                    p.get("notValid"), p.get("errors"), p.get("skipped"), p.get("unchecked"), p.statements(),
                    statements / (double) claimed, p.get("connections"), p.get("borrowNanos") / 1e9,
                    p.get("borrowNanos") / 1e6 / Math.max(1, p.get("connections")), p.get("claimCalls"),
                    p.get("claimNanos") / 1e9, p.get("claimNanos") / 1e6 / Math.max(1, p.get("claimCalls")),
                    p.get("cpuNanos") / 1e9, p.get("gcMillis") / 1e3));
        }
        report.detail(fmt("Fleet sweep, PostgreSQL: %,d rows of oauth_identity updated during the passes (%.2f per "
                + "identity), %,d of them HOT (no index entry written: %.0f%%)", r.updates()[0],
                r.updates()[0] / (double) r.claimed(), r.updates()[1], 100.0 * r.updates()[1] / Math.max(1, r.updates()[0])));
        report.detail(fmt("Fleet sweep setup: one embedded PostgreSQL (fsync off) filled with %,d identities in %.1f s "
                + "(INSERT ... SELECT generate_series, every row last verified 2 h ago: all due for the 1 h interval); "
                + "%d worker JVMs (-Xmx256m), each a HikariCP pool of %d connections, a JdbcIdentityStore, "
                + "ValidationSweep.builder(refresher).concurrency(%d), one runOnce() each, released together after a "
                + "warm-up pass each; the token endpoint (in the coordinating JVM) answers each refresh after 20 ms. "
                + "Rate = claims of all processes / (last pass end - first pass start) = %,d / %.2f s. CPU from "
                + "/proc over the passes (%.2f s as the coordinator saw them). The whole benchmark took %.0f s.",
                identities, r.fill().toMillis() / 1e3, processes, concurrency + 1, concurrency, r.claimed(),
                r.wallSeconds(), cpu.wallSeconds(), took));
        report.appendix("9. Fleet sweep: one top frame a quarter of the way through the passes", r.top());
        report.appendix("9. Fleet sweep: the statements PostgreSQL spent most time on during the passes "
                + "(pg_stat_statements)", r.statements());
    }

    /** Benchmark 10: see {@link ClaimCost}. */
    private void claimCost() throws Exception {
        int[] sizes = smoke ? new int[] {2_000, 20_000} : new int[] {10_000, 1_000_000};
        Duration budget = Duration.ofSeconds(smoke ? 5 : 150);
        System.out.println("# Claim cost: a pass of claimUnverified(cutoff, now, 256) pages over " + Arrays.toString(sizes)
                + " rows");
        long began = System.nanoTime();
        List<ClaimCost.Size> sizesRun = ClaimCost.run(sizes, budget);
        double took = (System.nanoTime() - began) / 1e9;
        for (ClaimCost.Size s : sizesRun) {
            report.row(fmt("10. Claim cost, claimUnverified(cutoff, now, 256) on PostgreSQL, %,d rows all due",
                            s.rows()),
                    fmt("%.2f ms per page at the start, %.2f in the middle, %.2f at the end (medians of %d pages; %,d "
                            + "pages%s)", s.median(0), s.median(1), s.median(2), ClaimCost.WINDOW, s.pages(),
                            s.sampled() ? fmt(", sampled: %,d claimed through the store, the rest marked by bulk "
                                    + "UPDATEs", s.pageMillis().stream().filter(x -> !x.isNaN()).count())
                                    : ", every one claimed"),
                    "—", "—", "—");
            report.detail(fmt("Claim cost, %,d rows: filled in %.1f s; %,d rows claimed or marked, %,d pages timed "
                            + "(%.1f s in claimUnverified); the server planned the store's prepared claim %s; "
                            + "windows start at pages %d, %d and %d; buffers one claim touched (EXPLAIN, custom plan): "
                            + "%s after the first page, %s before the last %d", s.rows(), s.fill().toMillis() / 1e3,
                    s.claimed(), s.pageMillis().stream().filter(x -> !x.isNaN()).count(), s.claimSeconds(),
                    s.planCounts(), s.windowStarts()[0] + 1, s.windowStarts()[1] + 1, s.windowStarts()[2] + 1,
                    ClaimCost.buffers(s.planStart()), ClaimCost.buffers(s.planEnd()), ClaimCost.WINDOW));
        }
        if (sizesRun.size() == 2) {
            ClaimCost.Size a = sizesRun.get(0);
            ClaimCost.Size b = sizesRun.get(1);
            report.row(fmt("10. Claim cost, %,d rows vs %,d (ratio of the page times)", b.rows(), a.rows()),
                    fmt("start %.1f x, middle %.1f x, end %.1f x (rows: %,.0f x)", b.median(0) / a.median(0),
                            b.median(1) / a.median(1), b.median(2) / a.median(2), b.rows() / (double) a.rows()),
                    "about the same at any table size (flagged when a ratio exceeds 3)", "—",
                    met(Math.max(b.median(0) / a.median(0), Math.max(b.median(1) / a.median(1),
                            b.median(2) / a.median(2))) < 3));
        }
        report.detail(fmt("Claim cost setup: per size its own embedded PostgreSQL (fsync off), rows filled by INSERT ... "
                + "SELECT generate_series from a template row written by the store (schema from migrateSchema()), "
                + "every row last verified 2 h ago, VACUUM ANALYZE and CHECKPOINT before the pass; a JdbcIdentityStore "
                + "over a one-connection HikariCP pool; cutoff = pass start - 1 h, each page timed around the public "
                + "claimUnverified call. EXPLAIN (ANALYZE, BUFFERS) replays the store's last claim statement, SQL and "
                + "parameters as executed, in a transaction rolled back (a first execution: a custom plan). Budget "
                + "%d s of claiming per size before sampling. The benchmark took %.0f s.", budget.toSeconds(), took));
        for (ClaimCost.Size s : sizesRun) {
            report.appendix(fmt("10. Claim cost, %,d rows: EXPLAIN (ANALYZE, BUFFERS) of a claim after the first page",
                    s.rows()), s.planStart());
            report.appendix(fmt("10. Claim cost, %,d rows: EXPLAIN (ANALYZE, BUFFERS) of a claim before the last %d pages",
                    s.rows(), ClaimCost.WINDOW), s.planEnd());
        }
    }

    /** Benchmark 11: see {@link SweepHeap}. */
    private void sweepHeap() throws Exception {
        int[] sizes = smoke ? new int[] {1_000, 5_000} : new int[] {10_000, 100_000};
        System.out.println("# Sweep heap over PostgreSQL: passes over " + Arrays.toString(sizes) + " identities");
        long began = System.nanoTime();
        List<SweepHeap.Pass> passes = SweepHeap.run(sizes, 32, Duration.ofMillis(20));
        double took = (System.nanoTime() - began) / 1e9;
        SweepHeap.Pass small = passes.get(0);
        SweepHeap.Pass large = passes.get(passes.size() - 1);
        double ratio = large.workingSet() / (double) small.workingSet();
        boolean clean = passes.stream().allMatch(SweepHeap.Pass::clean);
        // Flat: the large pass holds at most 512 KB (a few in-flight exchanges and buffers) or half as much again
        // more than the small one. A smaller working set at the larger N is noise, not growth.
        boolean flat = large.workingSet() - small.workingSet() < 512 * 1024 || ratio < 1.5;
        report.row("11. Sweep heap over store-jdbc (PostgreSQL): the pass's working set mid-pass, concurrency 32, token "
                        + "endpoint 20 ms",
                fmt("%,d KB at %,d identities, %,d KB at %,d: ratio %.2f%s", large.workingSet() / 1024,
                        large.identities(), small.workingSet() / 1024, small.identities(), ratio,
                        clean ? "" : "; NOT CLEAN"),
                "about 1 (flat in the number of identities)", "—", met(flat && clean));
        for (SweepHeap.Pass p : passes) {
            report.detail(fmt("Sweep heap, %,d identities: %s; %,d token requests; %,.0f identities/s (one process, "
                            + "PostgreSQL); live heap (after System.gc()) %,d KB before the pass, %s KB at a quarter, "
                            + "half and three quarters, %,d KB after", p.identities(), p.summary(), p.tokenRequests(),
                    p.perSecond(), p.heapBefore() / 1024, Arrays.stream(p.midPass())
                            .mapToObj(h -> fmt("%,d", h / 1024)).collect(Collectors.joining(" / ")),
                    p.heapAfter() / 1024));
        }
        report.detail(fmt("Sweep heap setup: one embedded PostgreSQL, a HikariCP pool of 33 connections, a "
                + "JdbcIdentityStore, the token endpoint in this JVM; a warm-up pass over %,d identities, then per size "
                + "the table emptied and filled, a new ValidationSweep, one pass; working set = median of the three "
                + "mid-pass figures - the figure before the pass. Verdict: flat unless the larger pass holds more than "
                + "512 KB and more than 1.5 times what the smaller one holds. The benchmark took %.0f s.",
                SweepHeap.WARMUP, took));
    }

    /** Benchmark 12: see {@link RateLimitAccuracy}. */
    private void rateLimit() throws Exception {
        int identities = smoke ? 600 : 4_000;
        System.out.println("# Rate limit: a sweep pass over " + identities + " identities at 200/s, the vendor refusing "
                + "beyond 220 in any second");
        long began = System.nanoTime();
        RateLimitAccuracy.run(200, 220, 300, 32, Duration.ofMillis(20)); // warm-up, not reported
        RateLimitAccuracy.Result r = RateLimitAccuracy.run(200, 220, identities, 32, Duration.ofMillis(20));
        double took = (System.nanoTime() - began) / 1e9;
        boolean clean = r.summary().state() == org.oauthidentity.sweep.PassSummary.State.COMPLETED
                && r.summary().valid() == identities;
        report.row("12. Rate limit 200/s per provider: a sweep pass (concurrency 32, vendor 20 ms) and 4 users "
                        + "refreshing on demand, against a vendor that answers 429 beyond 220 requests in any second",
                fmt("%.1f requests/s measured (%.3f of the limit) over %,d requests; at most %d in one second; %d x 429; "
                        + "users' refreshes %.1f ms median, %.1f ms p99 (%,d)%s", r.measuredPerSecond(), r.ratio(),
                        r.requests(), r.maxInOneSecond(), r.tooManyRequests(), r.userMedianMillis(), r.userP99Millis(),
                        r.userRefreshes(), clean ? "" : "; NOT CLEAN: " + r.summary()),
                "within 5 % of 200/s, no 429", "—",
                met(Math.abs(r.ratio() - 1) <= 0.05 && r.tooManyRequests() == 0 && clean));
        report.detail(fmt("Rate limit setup: an in-memory store of %,d due identities plus 4 users' identities, one "
                + "IdentityRefresher with RateLimits.perSecond(200) shared by the sweep and the users (each user "
                + "refreshes its identity every 100 ms); the loopback vendor keeps a sliding one-second window and "
                + "answers 429 (Retry-After: 1) to a request beyond 220 in it. Rate = (requests - 1) / (last arrival - "
                + "first arrival). A 300-identity warm-up pass first. The benchmark took %.0f s.", identities, took));
    }

    // ---- JMH --------------------------------------------------------------------------------------------

    /** @param jvmArgs if any, replace the benchmark's own {@code jvmArgsAppend} (repeat its heap settings) */
    private RunResult jmh(Class<?> benchmark, String method, String resultName, int warmups, int iterations,
            String... jvmArgs) throws Exception {
        OptionsBuilder options = new OptionsBuilder();
        if (jvmArgs.length > 0) {
            options.jvmArgsAppend(jvmArgs);
        }
        options.include("^" + Pattern.quote(benchmark.getName() + "." + method) + "$")
                .forks(1)
                .warmupIterations(smoke ? 1 : warmups)
                .warmupTime(TimeValue.seconds(smoke ? 1 : 2))
                .measurementIterations(smoke ? 2 : iterations)
                .measurementTime(TimeValue.seconds(smoke ? 1 : 2))
                .addProfiler(GCProfiler.class)
                .addProfiler(CpuProfiler.class)
                .shouldFailOnError(true)
                .resultFormat(ResultFormatType.JSON)
                .result(out.resolve(resultName + ".json").toString());
        Options built = options.build();
        java.nio.file.Files.createDirectories(out);
        Collection<RunResult> results = new Runner(built).run();
        if (results.size() != 1) {
            throw new IllegalStateException("expected one JMH result for " + method + ", got " + results.size());
        }
        return results.iterator().next();
    }

    private static double allocNorm(RunResult r) {
        return secondary(r, "gc.alloc.rate.norm");
    }

    private static double secondary(RunResult r, String label) {
        Result<?> result = r.getSecondaryResults().get(label);
        return result == null ? Double.NaN : result.getScore();
    }

    private static String alloc(RunResult r) {
        return fmt("%,.0f", allocNorm(r));
    }

    private static String scoreWithError(Result<?> result) {
        double error = result.getScoreError();
        return Double.isNaN(error) ? fmt("%,.1f", result.getScore()) : fmt("%,.1f ± %,.1f", result.getScore(), error);
    }

    private static double mean(List<RunResult> results, java.util.function.ToDoubleFunction<RunResult> f) {
        return results.stream().mapToDouble(f).average().orElse(Double.NaN);
    }
}
