package org.oauthidentity.benchmarks;

import com.sun.management.OperatingSystemMXBean;
import com.zaxxer.hikari.HikariDataSource;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import okhttp3.OkHttpClient;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.refresh.RateLimits;
import org.oauthidentity.store.jdbc.JdbcIdentityStore;
import org.oauthidentity.sweep.PassSummary;
import org.oauthidentity.sweep.ValidationSweep;

/**
 * One instance of a service in benchmark 9 ({@link FleetSweep}), in its own JVM: its own HikariCP pool of
 * concurrency + 1 connections (the checks and the claiming thread), its own {@link JdbcIdentityStore} over it and
 * one {@code ValidationSweep} with the given concurrency, against the shared token endpoint. Talks to
 * {@link FleetSweep} over stdin/stdout: prints {@code READY}; on {@code PASS} runs one {@code runOnce()} and
 * prints {@code DONE} and {@code key=value} pairs (the pass's wall-clock start and end in epoch microseconds, its
 * summary, and what it cost here: statements by verb, connections borrowed and the time spent waiting for them,
 * time in {@code claimUnverified}, this JVM's CPU and GC time); on {@code EXIT} ends. Logs go to stderr.
 */
public final class FleetSweepWorker {
    private FleetSweepWorker() {
    }

    public static void main(String[] args) throws Exception {
        String jdbcUrl = args[0];
        String tokenUrl = args[1];
        int concurrency = Integer.parseInt(args[2]);
        double ratePerSecond = args.length > 3 ? Double.parseDouble(args[3]) : 0;

        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try (HikariDataSource pool = ManyIdentitiesDatabase.pool(jdbcUrl, concurrency + 1)) {
            CountingDataSource counting = new CountingDataSource(pool);
            TimedStore store = new TimedStore(JdbcIdentityStore.builder(counting).build());
            OkHttpClient http = Fixtures.client(concurrency * 2);
            IdentityRefresher.Builder refresherBuilder = IdentityRefresher.builder(store)
                    .provider(Fixtures.provider(tokenUrl, http, Clock.systemUTC()));
            if (ratePerSecond > 0) {
                refresherBuilder.rateLimits(RateLimits.builder().perSecond(Fixtures.PROVIDER_KEY, ratePerSecond).build());
            }
            IdentityRefresher refresher = refresherBuilder.build();
            try (ValidationSweep sweep = ValidationSweep.builder(refresher)
                    .concurrency(concurrency)
                    .interval(Duration.ofHours(1))
                    .build()) {
                System.out.println("READY");
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                for (String line; (line = in.readLine()) != null && !line.equals("EXIT"); ) {
                    if (!line.equals("PASS")) {
                        throw new IllegalArgumentException("unknown command " + line);
                    }
                    Map<String, Long> statementsBefore = counting.statements();
                    long connections = counting.connections();
                    long borrowNanos = counting.borrowNanos();
                    long claimNanos = store.claimNanos();
                    long claimCalls = store.claimCalls();
                    long cpu = os.getProcessCpuTime();
                    long gc = gcMillis();
                    Instant start = Instant.now();
                    PassSummary s = sweep.runOnce();
                    Instant end = Instant.now();
                    StringBuilder done = new StringBuilder("DONE");
                    done.append(" start=").append(micros(start)).append(" end=").append(micros(end))
                            .append(" state=").append(s.state()).append(" claimed=").append(s.claimed())
                            .append(" valid=").append(s.valid()).append(" notValid=").append(s.notValid())
                            .append(" errors=").append(s.errors()).append(" skipped=").append(s.skipped())
                            .append(" unchecked=").append(s.unchecked())
                            .append(" connections=").append(counting.connections() - connections)
                            .append(" borrowNanos=").append(counting.borrowNanos() - borrowNanos)
                            .append(" claimCalls=").append(store.claimCalls() - claimCalls)
                            .append(" claimNanos=").append(store.claimNanos() - claimNanos)
                            .append(" cpuNanos=").append(os.getProcessCpuTime() - cpu)
                            .append(" gcMillis=").append(gcMillis() - gc);
                    counting.statements().forEach((verb, n) -> done.append(" stmt.").append(verb).append('=')
                            .append(n - statementsBefore.getOrDefault(verb, 0L)));
                    System.out.println(done);
                }
            } finally {
                Fixtures.shutdown(http);
            }
        }
        System.exit(0);
    }

    private static long micros(Instant t) {
        return ChronoUnit.MICROS.between(Instant.EPOCH, t);
    }

    private static long gcMillis() {
        long sum = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            sum += Math.max(0, gc.getCollectionTime());
        }
        return sum;
    }
}
