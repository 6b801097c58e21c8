package org.oauthidentity.benchmarks;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.oauthidentity.http.RefreshingHttpClient;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.store.InMemoryIdentityStore;
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
 * Benchmark 1: calls per second through {@link RefreshingHttpClient} (fresh token) against the very same
 * {@link OkHttpClient} without it, both calling the same loopback API and reading the body. The ratio
 * {@code refreshingClient / plainOkHttp} of one run is the figure. The API server runs in a process of its
 * own, so the gc profiler's bytes per call ({@code gc.alloc.rate.norm}) and {@link CpuProfiler}'s CPU per
 * call are the client's alone. Two more methods, for diagnosis only, split the difference into its parts.
 *
 * <p>The token never needs a refresh (it expires in a year), so what is measured is the cost every call
 * pays: the two interceptors, one clock read, one extra request header on the wire.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(4)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
public class ThroughputBenchmark {
    private LoopbackServerProcess api;
    private OkHttpClient plain;
    private RefreshingHttpClient refreshing;
    private DummyProvider provider;
    private Request request;
    private Request requestWithHeader;
    private OkHttpClient withNoOps;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        api = new LoopbackServerProcess(8);
        plain = Fixtures.client(16);
        Clock clock = Clock.systemUTC();
        InMemoryIdentityStore store = new InMemoryIdentityStore();
        Fixtures.storeIdentity(store, "bench-1", clock.instant().plus(Duration.ofDays(365)));
        provider = DummyProvider.create(Fixtures.PROVIDER_KEY, clock);
        IdentityRefresher refresher = IdentityRefresher.builder(store).provider(provider).build();
        refreshing = RefreshingHttpClient.builder(refresher, "bench-1")
                .httpClient(plain)
                .apiOrigin(api.url("/"))
                .clock(clock)
                .build();
        request = new Request.Builder().url(api.url("/api/v4/user")).build();
        requestWithHeader = request.newBuilder().header("Authorization", "Bearer bench-access-0").build();
        Interceptor noOp = chain -> chain.proceed(chain.request());
        withNoOps = plain.newBuilder().addInterceptor(noOp).addNetworkInterceptor(noOp).build();
        // Fails the trial at once if either path is broken, rather than measuring exceptions.
        Fixtures.get(plain, request);
        Fixtures.get(refreshing, request);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        try {
            if (provider.calls() != 0) {
                throw new IllegalStateException("the fresh token was refreshed " + provider.calls() + " times");
            }
        } finally {
            api.close();
            Fixtures.shutdown(plain);
        }
    }

    @Benchmark
    public String plainOkHttp() throws IOException {
        return Fixtures.get(plain, request);
    }

    @Benchmark
    public String refreshingClient() throws IOException {
        return Fixtures.get(refreshing, request);
    }

    // ---- diagnostics, not run by RunAll: where the difference between the two comes from --------------

    /** Plain OkHttp, the caller setting the same Authorization header: the cost of the header itself. */
    @Benchmark
    public String plainWithCallerHeader() throws IOException {
        return Fixtures.get(plain, requestWithHeader);
    }

    /** Plain OkHttp with a no-op application and a no-op network interceptor: OkHttp's cost of two more. */
    @Benchmark
    public String plainWithNoOpInterceptors() throws IOException {
        return Fixtures.get(withNoOps, request);
    }
}
