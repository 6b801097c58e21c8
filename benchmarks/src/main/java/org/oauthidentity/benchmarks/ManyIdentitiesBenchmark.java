package org.oauthidentity.benchmarks;

import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.oauthidentity.http.AsIdentity;
import org.oauthidentity.http.RefreshingHttpClient;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.testing.DummyProvider;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Benchmark 6: one {@link RefreshingHttpClient} serving {@value ManyIdentitiesDatabase#HOT} hot identities of the
 * {@value ManyIdentitiesDatabase#STORED} in store-jdbc on PostgreSQL ({@link ManyIdentitiesDatabase}), against the
 * very same {@link OkHttpClient} with the caller setting the {@code Authorization} header itself from a
 * {@code HashMap} of ready-made header values. Each call takes the next identity of a shuffled array of the hot
 * ids (each thread from its own random start) and builds its request from one template: the plain side adds the
 * header, the client's side an {@link AsIdentity} tag. The loopback API runs in a process of its own, as in
 * {@link ThroughputBenchmark}.
 *
 * <p>Setup makes one call per hot identity through each side, so the client's cache is warm (its
 * {@value ManyIdentitiesDatabase#HOT} misses, one store read each) and both paths are compiled alike; both
 * sides' forks hold the same warm client, so their heaps are alike too. Tokens expire in a year: the measured
 * phase is hits only, which the tear-down checks (no statement reached the store, nothing was refreshed, every
 * hot identity still cached). The database is the one the parent JVM filled ({@value
 * ManyIdentitiesDatabase#URL_PROPERTY}), or one this fork starts and fills itself when run alone.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(4)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 3, time = 2)
public class ManyIdentitiesBenchmark {
    private ManyIdentitiesDatabase ownDatabase;
    private HikariDataSource pool;
    private CountingDataSource database;
    private LoopbackServerProcess api;
    private OkHttpClient plain;
    private DummyProvider provider;
    private RefreshingHttpClient refreshing;
    private Request request;
    /** The hot ids, shuffled once (the same order in every fork). */
    private String[] ids;
    /** What a caller without the library keeps: id to {@code Bearer <token>}. */
    private Map<String, String> authorizations;
    private long statementsAfterWarmUp;

    /** Each thread's position in {@link #ids}. */
    @State(Scope.Thread)
    public static class Cursor {
        private int next = ThreadLocalRandom.current().nextInt(ManyIdentitiesDatabase.HOT);

        int next() {
            int i = next;
            next = i + 1 == ManyIdentitiesDatabase.HOT ? 0 : i + 1;
            return i;
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException, SQLException, InterruptedException {
        String jdbcUrl = System.getProperty(ManyIdentitiesDatabase.URL_PROPERTY);
        if (jdbcUrl == null) {
            ownDatabase = ManyIdentitiesDatabase.start();
            jdbcUrl = ownDatabase.jdbcUrl();
        }
        pool = ManyIdentitiesDatabase.pool(jdbcUrl, 4);
        database = new CountingDataSource(pool);
        api = new LoopbackServerProcess(8);
        plain = Fixtures.client(16);
        Clock clock = Clock.systemUTC();
        provider = DummyProvider.create(Fixtures.PROVIDER_KEY, clock);
        IdentityRefresher refresher = IdentityRefresher.builder(ManyIdentitiesDatabase.store(database))
                .provider(provider).build();
        refreshing = RefreshingHttpClient.builder(refresher) // default bounds: 20,000 identities, 30 min idle
                .httpClient(plain)
                .apiOrigin(api.url("/"))
                .clock(clock)
                .build();
        request = new Request.Builder().url(api.url("/api/v4/user")).build();

        List<String> hot = ManyIdentitiesDatabase.hotIds();
        authorizations = new HashMap<>();
        for (int k = 0; k < hot.size(); k++) {
            authorizations.put(hot.get(k), "Bearer " + ManyIdentitiesDatabase.accessToken(ManyIdentitiesDatabase.hotNumber(k)));
        }
        List<String> shuffled = new ArrayList<>(hot);
        Collections.shuffle(shuffled, new Random(7));
        ids = shuffled.toArray(new String[0]);

        // Building the store checked the schema: count from here.
        long selectsBefore = database.statements().getOrDefault("SELECT", 0L);
        long statementsBefore = database.statementCount();
        warmUp();
        int cached = refreshing.cachedIdentities();
        long selects = database.statements().getOrDefault("SELECT", 0L) - selectsBefore;
        if (cached != ids.length || selects != ids.length || database.statementCount() - statementsBefore != selects) {
            throw new IllegalStateException("warm-up: " + cached + " identities cached, statements "
                    + database.statements() + "; expected " + ids.length + " of each, SELECT only");
        }
        for (String id : ids) {
            if (!authorizations.get(id).equals("Bearer " + refreshing.accessToken(id))) {
                throw new IllegalStateException("the stored token of " + id + " is not the one the plain side sends");
            }
        }
        statementsAfterWarmUp = database.statementCount();
    }

    /** One call per hot identity through each side, on 4 threads. */
    private void warmUp() throws InterruptedException {
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int first = t;
                done.add(threads.submit(() -> {
                    for (int i = first; i < ids.length; i += 4) {
                        try {
                            Fixtures.get(plain, withHeader(ids[i]));
                            Fixtures.get(refreshing, tagged(ids[i]));
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("warm-up failed", e.getCause());
        } finally {
            threads.shutdown();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        try {
            long statements = database.statementCount() - statementsAfterWarmUp;
            int cached = refreshing.cachedIdentities();
            if (statements != 0 || provider.calls() != 0 || cached != ids.length) {
                throw new IllegalStateException("the measured phase was not hits only: " + statements
                        + " statements, " + provider.calls() + " refreshes, " + cached + " identities cached");
            }
        } finally {
            api.close();
            Fixtures.shutdown(plain);
            pool.close();
            if (ownDatabase != null) {
                ownDatabase.close();
            }
        }
    }

    private Request withHeader(String id) {
        return request.newBuilder().header("Authorization", authorizations.get(id)).build();
    }

    private Request tagged(String id) {
        return request.newBuilder().tag(AsIdentity.class, AsIdentity.of(id)).build();
    }

    /** The caller looks the token up in its own map and sets the header. */
    @Benchmark
    public String plainOkHttp(Cursor cursor) throws IOException {
        return Fixtures.get(plain, withHeader(ids[cursor.next()]));
    }

    /** The caller tags the request with its identity; the client adds the token. */
    @Benchmark
    public String refreshingClient(Cursor cursor) throws IOException {
        return Fixtures.get(refreshing, tagged(ids[cursor.next()]));
    }

    /** Diagnostic, not run by RunAll: the same through a {@code forIdentity} view made per call. */
    @Benchmark
    public String forIdentityView(Cursor cursor) throws IOException {
        return Fixtures.get(refreshing.forIdentity(ids[cursor.next()]), request);
    }
}
