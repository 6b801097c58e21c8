package org.oauthidentity.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import okhttp3.OkHttpClient;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityStore;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.store.InMemoryIdentityStore;
import org.oauthidentity.sweep.PassSummary;
import org.oauthidentity.sweep.SweepListener;
import org.oauthidentity.sweep.ValidationSweep;

/**
 * Benchmark 4: one validation pass over N stored identities ({@link InMemoryIdentityStore}) against a
 * loopback token endpoint that answers each refresh after a fixed delay (the vendor's latency), through
 * {@link OAuth2Provider} over an OkHttpClient that keeps enough idle connections to reuse them all. The
 * physical limit is {@code concurrency / latency} identities per second (32 / 20 ms = 1,600/s).
 *
 * <p>Heap, each figure the live heap at the end of a {@code System.gc()}: before the store is filled, once it is filled, in the
 * middle of the pass (one collection when half the identities are checked) and after it. The pass's own
 * working set is the middle figure minus the filled-store figure; it should not depend on N, while the store
 * itself (in memory here) does. Every identity starts shaped like a checked one (its own tokens, instants and
 * refresh lease), so a check replaces like with like: the after-pass figure shows the store did not grow. The time spent in
 * {@code claimUnverified} is measured separately: the in-memory store rescans from its start for each page.
 */
public final class SweepThroughput {
    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

    /** One measured pass. */
    record Result(int identities, int concurrency, long latencyMillis, long nanos, PassSummary summary,
            long tokenRequests, long claimNanos, long claimCalls, long heapEmpty, long heapLoaded, long heapMidPass,
            long heapAfter, long heapMaxSampled) {

        double perSecond() {
            return summary.checked() / (nanos / 1e9);
        }

        double physicalLimit() {
            return concurrency * 1000.0 / latencyMillis;
        }

        /** Heap the pass held mid-way beyond the filled store. */
        long passWorkingSet() {
            return heapMidPass - heapLoaded;
        }

        /** How much the store itself grew over the pass: near zero, or the working set is overstated. */
        long storeGrowth() {
            return heapAfter - heapLoaded;
        }

        long storeBytesPerIdentity() {
            return (heapLoaded - heapEmpty) / identities;
        }

        boolean clean() {
            return summary.state() == PassSummary.State.COMPLETED && summary.valid() == identities
                    && tokenRequests == identities;
        }
    }

    private SweepThroughput() {
    }

    /** A warm-up pass over a few identities (not reported), then the measured pass over {@code identities}. */
    static Result run(int identities, int concurrency, Duration latency) throws Exception {
        try (TokenEndpoint endpoint = new TokenEndpoint(concurrency * 2, latency)) {
            OkHttpClient base = Fixtures.client(64);
            try {
                OAuth2Provider provider = Fixtures.provider(endpoint, base);
                pass(endpoint, provider, Math.min(500, identities), concurrency, latency);
                Result result = pass(endpoint, provider, identities, concurrency, latency);
                if (endpoint.refused() != 0) {
                    throw new IllegalStateException("the token endpoint refused " + endpoint.refused() + " requests");
                }
                return result;
            } finally {
                Fixtures.shutdown(base);
            }
        }
    }

    private static Result pass(TokenEndpoint endpoint, OAuth2Provider provider, int identities, int concurrency,
            Duration latency) throws InterruptedException {
        long heapEmpty = liveHeap();
        TimedStore store = new TimedStore(new InMemoryIdentityStore());
        Instant lastChecked = Instant.now().minus(Duration.ofHours(2));
        for (int i = 1; i <= identities; i++) {
            String id = String.format("sweep-%06d", i);
            // Shaped like a checked identity (its own instants, token type and refresh lease), so that the
            // pass replaces like with like and the store's own size stays put while the pass runs.
            store.create(Identity.builder()
                    .id(id)
                    .providerKey(Fixtures.PROVIDER_KEY)
                    .accessToken("bench-access-" + i)
                    .refreshToken("bench-refresh-" + i)
                    .tokenType(new String("Bearer".toCharArray()))
                    .expiresAt(Instant.ofEpochMilli(lastChecked.toEpochMilli() + i))
                    .lastVerifiedAt(Instant.ofEpochMilli(lastChecked.toEpochMilli() + i))
                    .build());
            store.acquireRefreshLease(id, Duration.ZERO).close();
        }
        IdentityRefresher refresher = IdentityRefresher.builder(store).provider(provider).build();
        long heapLoaded = liveHeap();

        AtomicLong checked = new AtomicLong();
        AtomicLong heapMidPass = new AtomicLong();
        SweepListener listener = check -> {
            if (checked.incrementAndGet() == identities / 2) {
                heapMidPass.set(liveHeap());
            }
            return SweepListener.Action.KEEP;
        };
        HeapSampler sampler = new HeapSampler();
        long tokenRequestsBefore = endpoint.requests();
        long nanos;
        PassSummary summary;
        try (ValidationSweep sweep = ValidationSweep.builder(refresher)
                .clock(Clock.systemUTC())
                .interval(Duration.ofHours(1))
                .concurrency(concurrency)
                .listener(listener)
                .build()) {
            sampler.start();
            long start = System.nanoTime();
            summary = sweep.runOnce();
            nanos = System.nanoTime() - start;
            sampler.stop();
        }
        long tokenRequests = endpoint.requests() - tokenRequestsBefore;
        long heapAfter = liveHeap();
        keep(store);
        return new Result(identities, concurrency, latency.toMillis(), nanos, summary, tokenRequests,
                store.claimNanos(), store.claimCalls(), heapEmpty, heapLoaded, heapMidPass.get(), heapAfter,
                sampler.max());
    }

    /**
     * Heap in use at the end of a full collection: what is reachable. Read from the pools' usage as the
     * collector left it, not their usage now, which grows by whole allocation buffers as soon as the pass's
     * other threads allocate again.
     */
    static long liveHeap() {
        System.gc();
        long used = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            MemoryUsage afterGc = pool.getType() == MemoryType.HEAP ? pool.getCollectionUsage() : null;
            if (afterGc != null) {
                used += afterGc.getUsed();
            }
        }
        return used;
    }

    /** Keeps the store reachable up to here, so the "after" heap figure still holds it. */
    private static void keep(IdentityStore store) {
        if (store.find("sweep-000001").isEmpty()) {
            throw new IllegalStateException("the store lost an identity");
        }
    }

    /** The largest heap use seen, garbage included, sampled every 10 ms. */
    private static final class HeapSampler {
        private final AtomicBoolean running = new AtomicBoolean();
        private final AtomicLong max = new AtomicLong();
        private Thread thread;

        void start() {
            running.set(true);
            thread = new Thread(() -> {
                while (running.get()) {
                    max.accumulateAndGet(MEMORY.getHeapMemoryUsage().getUsed(), Math::max);
                    try {
                        Thread.sleep(10); // a sampling period, not a wait for an event
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "heap-sampler");
            thread.setDaemon(true);
            thread.start();
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join();
        }

        long max() {
            return max.get();
        }
    }

    /** Runs the sweep alone: {@code java ... SweepThroughput [identities...]}, default 10000 2000. */
    public static void main(String[] args) throws Exception {
        int[] sizes = args.length == 0 ? new int[] {10_000, 2_000} : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
        for (int n : sizes) {
            Result r = run(n, 32, Duration.ofMillis(20));
            System.out.printf("%,d identities: %,.0f identities/s (limit %,.0f), %s; claimUnverified %d calls, %.1f ms; "
                    + "heap: store %,d B/identity, pass working set %,d KB, store growth %,d KB, max sampled %,d KB%n",
                    n, r.perSecond(), r.physicalLimit(), r.summary(), r.claimCalls(), r.claimNanos() / 1e6,
                    r.storeBytesPerIdentity(), r.passWorkingSet() / 1024, r.storeGrowth() / 1024,
                    r.heapMaxSampled() / 1024);
        }
    }
}
