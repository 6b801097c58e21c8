package org.oauthidentity.benchmarks;

import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.ref.Reference;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.oauthidentity.http.AsIdentity;
import org.oauthidentity.http.RefreshingHttpClient;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.testing.DummyProvider;

/**
 * Benchmarks 7 and 8, over the database of {@link ManyIdentitiesDatabase}: what one cached identity costs in
 * heap, and what a miss and a hit cost in store statements.
 */
final class ManyIdentities {
    private ManyIdentities() {
    }

    // ---- 7. heap per cached identity ----------------------------------------------------------------------

    /**
     * @param perIdentity bytes per identity of each measured round
     * @param tokenStrings bytes of the token string a cached identity holds (the ready-made {@code Bearer} header
     *     value; the client keeps nothing else of the tokens), as a compact-strings JVM lays it out: the part no
     *     cache design avoids
     */
    record Heap(int identities, long[] perIdentity, long tokenStrings) {
        long median() {
            long[] sorted = perIdentity.clone();
            Arrays.sort(sorted);
            return sorted[sorted.length / 2];
        }
    }

    /**
     * Per round: a new client (and refresher) over the same pool, the live heap after collections, then the hot
     * identities loaded through {@link RefreshingHttpClient#accessToken} (the same cache calls fill), the live
     * heap again; the difference over the number of identities. A first round is not counted: it loads classes
     * and warms the pool's connections and the driver's caches, which a long-running service has already paid.
     */
    static Heap heap(String jdbcUrl, int rounds) throws IOException, InterruptedException {
        List<String> hot = ManyIdentitiesDatabase.hotIds();
        long[] perIdentity = new long[rounds];
        OkHttpClient http = Fixtures.client(1);
        try (HikariDataSource pool = ManyIdentitiesDatabase.pool(jdbcUrl, 4)) {
            for (int round = -1; round < rounds; round++) {
                IdentityRefresher refresher = IdentityRefresher.builder(ManyIdentitiesDatabase.store(pool))
                        .provider(DummyProvider.create(Fixtures.PROVIDER_KEY, Clock.systemUTC())).build();
                RefreshingHttpClient client = RefreshingHttpClient.builder(refresher)
                        .httpClient(http).apiOrigin("http://127.0.0.1:9/").build();
                long empty = liveHeap();
                for (String id : hot) {
                    client.accessToken(id);
                }
                if (client.cachedIdentities() != hot.size()) {
                    throw new IllegalStateException(client.cachedIdentities() + " identities cached, not "
                            + hot.size());
                }
                long full = liveHeap();
                Reference.reachabilityFence(client);
                if (round >= 0) {
                    perIdentity[round] = (full - empty) / hot.size();
                }
            }
        } finally {
            Fixtures.shutdown(http);
        }
        long tokens = 0;
        for (int k = 0; k < hot.size(); k++) {
            int n = ManyIdentitiesDatabase.hotNumber(k);
            String access = ManyIdentitiesDatabase.accessToken(n);
            tokens += stringBytes("Bearer ".length() + access.length());
        }
        return new Heap(hot.size(), perIdentity, tokens / hot.size());
    }

    /** A Latin-1 String of {@code length} characters with compressed oops: 24 B of String, 16 B + bytes of array. */
    private static long stringBytes(int length) {
        return 24 + ((16 + length + 7) / 8) * 8;
    }

    /** Used heap after collections, once it stops shrinking (at most 10 collections). */
    private static long liveHeap() throws InterruptedException {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long previous = Long.MAX_VALUE;
        for (int i = 0; i < 10; i++) {
            System.gc();
            Thread.sleep(50);
            long used = memory.getHeapMemoryUsage().getUsed();
            if (Math.abs(previous - used) < 16 * 1024) {
                return used;
            }
            previous = used;
        }
        return previous;
    }

    // ---- 8. store statements per miss and per hit -------------------------------------------------------

    /** One phase: its calls, and the store statements (by verb) and connections they cost. */
    record Phase(String name, int calls, Map<String, Long> statements, long connections) {
        long statementCount() {
            return statements.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /**
     * Through one client (default bounds) against a loopback API, on one thread, the store behind a
     * {@link CountingDataSource}: {@code misses} identities called once each (never cached: one read each), then
     * {@code hits} calls spread over them (cached: no read), then a tenth of them invalidated and called again
     * (one read each).
     */
    static List<Phase> statements(String jdbcUrl, int misses, int hits) throws IOException {
        List<String> ids = ManyIdentitiesDatabase.hotIds().subList(0, misses);
        OkHttpClient http = Fixtures.client(4);
        try (HikariDataSource pool = ManyIdentitiesDatabase.pool(jdbcUrl, 4);
                LoopbackServer api = new LoopbackServer(4)) {
            CountingDataSource database = new CountingDataSource(pool);
            DummyProvider provider = DummyProvider.create(Fixtures.PROVIDER_KEY, Clock.systemUTC());
            RefreshingHttpClient client = RefreshingHttpClient.builder(
                    IdentityRefresher.builder(ManyIdentitiesDatabase.store(database)).provider(provider).build())
                    .httpClient(http).apiOrigin(api.url("/")).build();
            Request request = new Request.Builder().url(api.url("/api/v4/user")).build();
            List<Phase> phases = new ArrayList<>();

            phases.add(phase("miss (first call of an identity)", database, ids.size(), () -> {
                for (String id : ids) {
                    call(client, request, id);
                }
            }));
            phases.add(phase("hit (cached identity)", database, hits, () -> {
                for (int i = 0; i < hits; i++) {
                    call(client, request, ids.get(i % ids.size()));
                }
            }));
            List<String> invalidated = ids.subList(0, ids.size() / 10);
            phases.add(phase("call after invalidate(id)", database, invalidated.size(), () -> {
                for (String id : invalidated) {
                    client.invalidate(id);
                    call(client, request, id);
                }
            }));
            if (provider.calls() != 0 || api.requests.get() != ids.size() + hits + invalidated.size()) {
                throw new IllegalStateException(provider.calls() + " refreshes, " + api.requests.get() + " API calls");
            }
            return phases;
        } finally {
            Fixtures.shutdown(http);
        }
    }

    private interface Calls {
        void run() throws IOException;
    }

    private static Phase phase(String name, CountingDataSource database, int calls, Calls work) throws IOException {
        Map<String, Long> before = database.statements();
        long connections = database.connections();
        work.run();
        Map<String, Long> delta = new TreeMap<>();
        database.statements().forEach((verb, n) -> {
            long d = n - before.getOrDefault(verb, 0L);
            if (d != 0) {
                delta.put(verb, d);
            }
        });
        return new Phase(name, calls, delta, database.connections() - connections);
    }

    private static void call(RefreshingHttpClient client, Request request, String id) throws IOException {
        Fixtures.get(client, request.newBuilder().tag(AsIdentity.class, AsIdentity.of(id)).build());
    }

    /** Runs both on a database of their own and prints the figures. */
    public static void main(String[] args) throws Exception {
        try (ManyIdentitiesDatabase db = ManyIdentitiesDatabase.start()) {
            for (Phase p : statements(db.jdbcUrl(), 1_000, 10_000)) {
                System.out.println(p);
            }
            Heap heap = heap(db.jdbcUrl(), 3);
            System.out.println("heap per cached identity (B), per round: " + Arrays.toString(heap.perIdentity())
                    + "; median " + heap.median() + "; of which token strings " + heap.tokenStrings());
        }
        System.exit(0);
    }
}
