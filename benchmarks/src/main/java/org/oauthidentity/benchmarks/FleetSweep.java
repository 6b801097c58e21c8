package org.oauthidentity.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Benchmark 9: the validation sweep at fleet scale. One embedded PostgreSQL ({@link SweepDatabase}) holds N
 * identities, all due; {@code processes} JVMs ({@link FleetSweepWorker}), each with its own pool, store and
 * {@code ValidationSweep} of the given concurrency, run one pass each at the same time against one loopback token
 * endpoint (in this JVM, as in benchmark 5) that answers each refresh after a fixed delay. The physical limit is
 * processes x concurrency / latency (3 x 32 / 20 ms = 4,800 identities/s).
 *
 * <p>Before the measured passes each worker runs a warm-up pass over a few hundred identities of their own (the JIT,
 * the pools' connections, the driver's statement cache), which then are verified and not due. Measured: the fleet's
 * rate (claims summed over the processes, over the wall time from the first pass's start to the last one's end, both
 * read from the wall clock, which the processes share), each process's rate, and correctness: token requests
 * (must be N), each stored refresh token presented exactly once (counted per identity at the endpoint), and every
 * row VALID, verified since the passes started and holding a rotated refresh token afterwards. Where the time went:
 * CPU of each worker JVM, of this JVM (the token endpoint) and of the PostgreSQL server (postmaster and backends)
 * from {@code /proc}, against what the machine's cores could give over the same wall time, and context switches of
 * the workers' threads and of the server's processes; statements per check,
 * waits for a pooled connection and time in {@code claimUnverified} as each worker counted them; one {@code top}
 * frame taken a quarter of the way through.
 */
final class FleetSweep {
    static final String KIND = "sweep";
    static final String WARM_KIND = "warm";
    /**
     * Extra JVM options for the workers, space-separated, {@code {n}} replaced by the worker's number (1, 2...), for
     * a diagnosis: e.g. {@code -Dbench.fleet.workerJvmArgs=-XX:StartFlightRecording=filename=/tmp/worker-{n}.jfr,settings=profile}.
     */
    static final String WORKER_JVM_ARGS = "bench.fleet.workerJvmArgs";

    /** One worker's measured pass, as it reported it ({@code DONE key=value...}). */
    record Pass(Map<String, String> values) {
        long get(String key) {
            String v = values.get(key);
            return v == null ? 0 : Long.parseLong(v);
        }

        double seconds() {
            return (get("end") - get("start")) / 1e6;
        }

        double perSecond() {
            return get("claimed") / seconds();
        }

        Map<String, Long> statements() {
            Map<String, Long> s = new LinkedHashMap<>();
            values.forEach((k, v) -> {
                if (k.startsWith("stmt.")) {
                    s.put(k.substring("stmt.".length()), Long.parseLong(v));
                }
            });
            return s;
        }
    }

    /** CPU seconds over the measured passes, by who used them, and the machine's. */
    record Cpu(double wallSeconds, int cores, List<Double> workers, double endpoint, double postgres,
            double machineBusy, double machineTotal, long workerSwitches, long postgresSwitches) {
        double others() {
            return Math.max(0, machineBusy - workers.stream().mapToDouble(Double::doubleValue).sum() - endpoint
                    - postgres);
        }
    }

    record Result(int processes, int concurrency, double ratePerProcess, long latencyMillis, int identities,
            Duration fill,
            List<Pass> passes, double wallSeconds, long tokenRequests, long[] perToken, long untracked,
            long refused, long rowsValid, long rowsVerifiedSinceStart, long rowsNotRotated, long rows, Cpu cpu,
            String top, String statements, long[] updates) {

        long claimed() {
            return passes.stream().mapToLong(p -> p.get("claimed")).sum();
        }

        long checked() {
            return passes.stream().mapToLong(p -> p.get("valid") + p.get("notValid") + p.get("errors")).sum();
        }

        double perSecond() {
            return claimed() / wallSeconds;
        }

        double physicalLimit() {
            return processes * concurrency * 1000.0 / latencyMillis;
        }

        /** The lower of the physical limit and the fleet's configured rate limit (0: none). */
        double limit() {
            double physical = physicalLimit();
            return ratePerProcess > 0 ? Math.min(physical, processes * ratePerProcess) : physical;
        }

        boolean clean() {
            return passes.stream().allMatch(p -> "COMPLETED".equals(p.values().get("state")))
                    && claimed() == identities && tokenRequests == identities && perToken[1] == identities
                    && untracked == 0 && refused == 0 && rows == identities && rowsValid == identities
                    && rowsVerifiedSinceStart == identities && rowsNotRotated == 0;
        }
    }

    private FleetSweep() {
    }

    /** @param ratePerProcess each worker's rate limit on token requests per second; 0 for none */
    static Result run(int processes, int identities, int concurrency, double ratePerProcess, Duration latency,
            int warmupPerProcess) throws Exception {
        // Each worker's pool, plus the unpooled connections of this JVM, plus PostgreSQL's reserve.
        int maxConnections = processes * (concurrency + 1) + 20;
        try (SweepDatabase db = SweepDatabase.start(maxConnections, true);
                TokenEndpoint endpoint = new TokenEndpoint(processes * concurrency + 32, latency)) {
            db.fill(WARM_KIND, warmupPerProcess * processes);
            List<WorkerJvm> workers = new ArrayList<>();
            try {
                for (int i = 0; i < processes; i++) {
                    workers.add(worker(i + 1, db.jdbcUrl(), endpoint.url(), concurrency, ratePerProcess));
                }
                for (WorkerJvm w : workers) {
                    w.expect("READY");
                }
                List<Pass> warmup = passes(workers);
                long warmClaimed = warmup.stream().mapToLong(p -> p.get("claimed")).sum();
                if (warmClaimed != (long) warmupPerProcess * processes) {
                    throw new IllegalStateException("the warm-up passes claimed " + warmClaimed + " identities");
                }

                Duration fill = db.fill(KIND, identities);
                endpoint.track(SweepDatabase.refreshPrefix(KIND), identities);
                long requestsBefore = endpoint.requests();
                long refusedBefore = endpoint.refused();

                db.resetStatementStatistics();
                long[] updatesBefore = db.updates();
                long postmaster = db.postmasterPid();
                List<Long> postgresPids = postmaster < 0 ? List.of() : ProcCpu.withChildren(postmaster);
                long self = ProcessHandle.current().pid();
                long[] workerTicks = workers.stream().mapToLong(w -> ProcCpu.ticks(w.pid())).toArray();
                long selfTicks = ProcCpu.ticks(self);
                long pgTicks = ProcCpu.ticks(postgresPids);
                long workerSwitches = workers.stream().mapToLong(w -> ProcCpu.contextSwitches(w.pid())).sum();
                long pgSwitches = ProcCpu.contextSwitches(postgresPids);
                long[] machine = ProcCpu.machine();
                long startNanos = System.nanoTime();

                double idealSeconds = identities / (processes * concurrency * 1000.0 / latency.toMillis());
                TopFrame top = new TopFrame(Duration.ofMillis((long) (idealSeconds * 1000 / 4)));
                List<Pass> passes = passes(workers);
                double coordinatorWall = (System.nanoTime() - startNanos) / 1e9;

                List<Double> workerCpu = new ArrayList<>();
                for (int i = 0; i < workers.size(); i++) {
                    workerCpu.add((ProcCpu.ticks(workers.get(i).pid()) - workerTicks[i]) * ProcCpu.TICK_SECONDS);
                }
                double endpointCpu = (ProcCpu.ticks(self) - selfTicks) * ProcCpu.TICK_SECONDS;
                double pgCpu = (ProcCpu.ticks(postgresPids) - pgTicks) * ProcCpu.TICK_SECONDS;
                long[] machineAfter = ProcCpu.machine();
                workerSwitches = workers.stream().mapToLong(w -> ProcCpu.contextSwitches(w.pid())).sum()
                        - workerSwitches;
                pgSwitches = ProcCpu.contextSwitches(postgresPids) - pgSwitches;
                Cpu cpu = new Cpu(coordinatorWall, Runtime.getRuntime().availableProcessors(), workerCpu, endpointCpu,
                        pgCpu, machine == null ? -1 : (machineAfter[0] - machine[0]) * ProcCpu.TICK_SECONDS,
                        machine == null ? -1 : (machineAfter[1] - machine[1]) * ProcCpu.TICK_SECONDS,
                        workerSwitches, pgSwitches);

                String statements = db.statementStatistics(6);
                Thread.sleep(1_000); // PostgreSQL 14 reports table statistics up to half a second late
                long[] updatesAfter = db.updates();
                long[] updates = {updatesAfter[0] - updatesBefore[0], updatesAfter[1] - updatesBefore[1]};
                long firstStart = passes.stream().mapToLong(p -> p.get("start")).min().orElseThrow();
                long lastEnd = passes.stream().mapToLong(p -> p.get("end")).max().orElseThrow();
                String mine = "external_user_id LIKE 'user-" + KIND + "-%'";
                // Recorded check times lie up to the sweep's jitter (a tenth of the 1 h interval) before the checks.
                String since = "last_verified_at >= to_timestamp(" + firstStart + " / 1e6 - 360)";
                return new Result(processes, concurrency, ratePerProcess, latency.toMillis(), identities, fill, passes,
                        (lastEnd - firstStart) / 1e6, endpoint.requests() - requestsBefore, endpoint.trackedCounts(),
                        endpoint.untracked(), endpoint.refused() - refusedBefore,
                        db.count("SELECT count(*) FROM oauth_identity WHERE " + mine + " AND status = 'VALID'"),
                        db.count("SELECT count(*) FROM oauth_identity WHERE " + mine + " AND " + since),
                        db.count("SELECT count(*) FROM oauth_identity WHERE " + mine + " AND refresh_token LIKE '"
                                + SweepDatabase.refreshPrefix(KIND) + "%'"),
                        db.count("SELECT count(*) FROM oauth_identity WHERE " + mine), cpu, top.text(), statements,
                        updates);
            } finally {
                for (WorkerJvm w : workers) {
                    w.close();
                }
            }
        }
    }

    /** Tells every worker to run a pass at once, and collects their reports. */
    private static List<Pass> passes(List<WorkerJvm> workers) throws IOException {
        for (WorkerJvm w : workers) {
            w.send("PASS");
        }
        List<Pass> passes = new ArrayList<>();
        for (WorkerJvm w : workers) {
            Map<String, String> values = new LinkedHashMap<>();
            for (String pair : w.expect("DONE").substring("DONE".length()).trim().split(" ")) {
                int eq = pair.indexOf('=');
                values.put(pair.substring(0, eq), pair.substring(eq + 1));
            }
            passes.add(new Pass(values));
        }
        return passes;
    }

    /** {@code top -b -n 2} started after a delay, in the background; {@link #text()} is its second frame. */
    private static final class TopFrame {
        private final Thread thread;
        private volatile String text = "(top did not run)";

        TopFrame(Duration delay) {
            thread = new Thread(() -> {
                try {
                    Thread.sleep(delay.toMillis()); // to land inside the passes, not waiting for an event
                    Process p = new ProcessBuilder("top", "-b", "-n", "2", "-d", "1", "-w", "160")
                            .redirectErrorStream(true).start();
                    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                    p.waitFor(10, TimeUnit.SECONDS);
                    int second = out.indexOf("top - ", 1);
                    String frame = second < 0 ? out : out.substring(second);
                    List<String> lines = frame.lines().limit(22).toList();
                    text = String.join("\n", lines);
                } catch (IOException e) {
                    text = "(top could not run: " + e.getMessage() + ")";
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "top-frame");
            thread.setDaemon(true);
            thread.start();
        }

        String text() throws InterruptedException {
            thread.join(15_000);
            return text;
        }
    }

    /** A {@link FleetSweepWorker} process; {@link #WORKER_JVM_ARGS} adds options, {@code {n}} its number. */
    private static WorkerJvm worker(int number, String jdbcUrl, String tokenUrl, int concurrency,
            double ratePerProcess) throws IOException {
        List<String> options = new ArrayList<>(List.of("-Xmx256m"));
        String extra = System.getProperty(WORKER_JVM_ARGS, "").trim();
        if (!extra.isEmpty()) {
            options.addAll(List.of(extra.replace("{n}", String.valueOf(number)).split("\\s+")));
        }
        return new WorkerJvm(options, FleetSweepWorker.class, jdbcUrl, tokenUrl, String.valueOf(concurrency),
                String.valueOf(ratePerProcess));
    }

    /** Runs it alone: {@code java ... FleetSweep [identities]}, default 100000. */
    public static void main(String[] args) throws Exception {
        int n = args.length == 0 ? 100_000 : Integer.parseInt(args[0]);
        Result r = run(3, n, 32, args.length > 1 ? Double.parseDouble(args[1]) : 0, Duration.ofMillis(20), 300);
        System.out.printf("%,d identities: %,.0f/s (limit %,.0f), clean %s; %s%n", n, r.perSecond(), r.limit(),
                r.clean(), r.passes());
    }
}
