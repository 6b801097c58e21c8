package org.oauthidentity.benchmarks;

import com.zaxxer.hikari.HikariDataSource;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import okhttp3.OkHttpClient;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.store.jdbc.JdbcIdentityStore;
import org.oauthidentity.sweep.PassSummary;
import org.oauthidentity.sweep.SweepListener;
import org.oauthidentity.sweep.ValidationSweep;

/**
 * Benchmark 11: the heap a validation pass holds, against the number of identities, with the identities in
 * PostgreSQL (store-jdbc keeps none of them in the JVM, so unlike benchmark 4's in-memory store nothing else in the
 * heap grows with N). One process: an embedded PostgreSQL ({@link SweepDatabase}), a HikariCP pool of
 * concurrency + 1 connections, a {@link JdbcIdentityStore}, a token endpoint in this JVM answering each refresh
 * after a fixed delay (it counts requests, nothing per request). After a warm-up pass over 500 identities, for each
 * size: the table is emptied and filled with N due identities, a new {@code ValidationSweep} is built, the live heap
 * (after {@code System.gc()}) is read, and one pass runs, during which the live heap is read again when a quarter,
 * half and three quarters of the identities are checked (one full collection each, on the check's thread). The
 * pass's working set is the median of the three minus the figure before the pass.
 */
final class SweepHeap {
    static final int WARMUP = 3_000;

    record Pass(int identities, PassSummary summary, double seconds, long tokenRequests, long heapBefore,
            long[] midPass, long heapAfter) {

        long workingSet() {
            long[] sorted = midPass.clone();
            Arrays.sort(sorted);
            return sorted[sorted.length / 2] - heapBefore;
        }

        double perSecond() {
            return summary.checked() / seconds;
        }

        boolean clean() {
            return summary.state() == PassSummary.State.COMPLETED && summary.valid() == identities
                    && tokenRequests == identities && Arrays.stream(midPass).allMatch(h -> h > 0);
        }
    }

    private SweepHeap() {
    }

    static List<Pass> run(int[] sizes, int concurrency, Duration latency) throws Exception {
        try (SweepDatabase db = SweepDatabase.start(concurrency + 20);
                HikariDataSource pool = ManyIdentitiesDatabase.pool(db.jdbcUrl(), concurrency + 1);
                TokenEndpoint endpoint = new TokenEndpoint(concurrency * 2, latency)) {
            JdbcIdentityStore store = JdbcIdentityStore.builder(pool).build();
            OkHttpClient http = Fixtures.client(concurrency * 2);
            try {
                IdentityRefresher refresher = IdentityRefresher.builder(store)
                        .provider(Fixtures.provider(endpoint, http))
                        .build();
                // Enough identities that every pooled connection has prepared the store's statements and every
                // thread and HTTP connection exists before the first measured pass (500 left ~0.7 MB to the first).
                db.fill("warm", WARMUP);
                pass(refresher, endpoint, WARMUP, concurrency);
                List<Pass> passes = new ArrayList<>();
                for (int i = 0; i < sizes.length; i++) {
                    db.clear();
                    db.fill("heap" + i, sizes[i]);
                    passes.add(pass(refresher, endpoint, sizes[i], concurrency));
                }
                if (endpoint.refused() != 0) {
                    throw new IllegalStateException("the token endpoint refused " + endpoint.refused() + " requests");
                }
                return passes;
            } finally {
                Fixtures.shutdown(http);
            }
        }
    }

    private static Pass pass(IdentityRefresher refresher, TokenEndpoint endpoint, int identities, int concurrency) {
        AtomicLong checked = new AtomicLong();
        AtomicLongArray midPass = new AtomicLongArray(3);
        SweepListener listener = check -> {
            long n = checked.incrementAndGet();
            for (int q = 1; q <= 3; q++) {
                if (n == (long) identities * q / 4) {
                    midPass.set(q - 1, SweepThroughput.liveHeap());
                }
            }
            return SweepListener.Action.KEEP;
        };
        try (ValidationSweep sweep = ValidationSweep.builder(refresher)
                .clock(Clock.systemUTC())
                .interval(Duration.ofHours(1))
                .concurrency(concurrency)
                .listener(listener)
                .build()) {
            long requests = endpoint.requests();
            long heapBefore = SweepThroughput.liveHeap();
            long start = System.nanoTime();
            PassSummary summary = sweep.runOnce();
            double seconds = (System.nanoTime() - start) / 1e9;
            long heapAfter = SweepThroughput.liveHeap();
            long[] mid = new long[3];
            for (int q = 0; q < 3; q++) {
                mid[q] = midPass.get(q);
            }
            return new Pass(identities, summary, seconds, endpoint.requests() - requests, heapBefore, mid, heapAfter);
        }
    }

    /** Runs it alone: {@code java ... SweepHeap [identities...]}, default 10000 100000. */
    public static void main(String[] args) throws Exception {
        int[] sizes = args.length == 0 ? new int[] {10_000, 100_000}
                : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
        for (Pass p : run(sizes, 32, Duration.ofMillis(20))) {
            System.out.printf("%,d identities: working set %,d KB (before %,d KB, mid-pass %s KB, after %,d KB); "
                    + "%,.0f/s; %s%n", p.identities(), p.workingSet() / 1024, p.heapBefore() / 1024,
                    Arrays.toString(Arrays.stream(p.midPass()).map(h -> h / 1024).toArray()), p.heapAfter() / 1024,
                    p.perSecond(), p.summary());
        }
    }
}
