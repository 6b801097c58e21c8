package org.oauthidentity.http;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.oauthidentity.Identity;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.refresh.RefreshListener;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * Benchmark 2: what {@code RefreshingHttpClient} adds to a call whose token is fresh, without the network's
 * noise. It lives in {@code org.oauthidentity.http} (a split package, fine for an unpublished benchmark on the
 * class path) to drive the package-private {@link RefreshInterceptor} exactly as OkHttp does, as the
 * application interceptor, over a {@link BenchChain} whose network side is a no-op interceptor answering a
 * prebuilt 200. The baseline is the same chain with a no-op interceptor in our place, so the difference is the
 * work of ours alone: the origin check, one clock read and comparison, the request copy with the
 * {@code Authorization} header, the status check.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class FreshTokenPathBenchmark {
    private static final Interceptor NO_OP = chain -> chain.proceed(chain.request());

    private DummyProvider provider;
    private RefreshInterceptor refresh;
    private BenchChain freshChain;
    private BenchChain noOpChain;

    @Setup(Level.Trial)
    public void setUp(Blackhole blackhole) throws IOException {
        Clock clock = Clock.systemUTC();
        InMemoryIdentityStore store = new InMemoryIdentityStore();
        store.create(Identity.builder().id("bench-1").providerKey("bench").accessToken("bench-access-0")
                .refreshToken("bench-refresh-0").tokenType("Bearer")
                .expiresAt(clock.instant().plus(Duration.ofDays(365))).build());
        provider = DummyProvider.create("bench", clock);
        IdentityRefresher refresher = IdentityRefresher.builder(store).provider(provider).build();

        HttpUrl api = HttpUrl.get("http://127.0.0.1:8080/api/v4/user");
        ApiOrigins origins = new ApiOrigins(List.of(api));
        // The defaults of RefreshingHttpClient.Builder, and the identity chosen per request as a client of many
        // identities does: the request's AsIdentity tag, then one map read.
        TokenCache.Settings settings = new TokenCache.Settings(refresher, clock, Duration.ofSeconds(60),
                Duration.ofMinutes(5), Duration.ofSeconds(30), Runnable::run, Duration.ofMinutes(1));
        TokenCaches caches = new TokenCaches(settings, 10_000, Duration.ofMinutes(30).toMillis());
        caches.get("bench-1").tokenForSending(); // the first call loads the identity; measured calls do not
        refresh = new RefreshInterceptor(origins, r -> caches.get(r.tag(AsIdentity.class).identityId()),
                RefreshListener.NONE);
        // A caller's request with a few headers of its own: copying them is part of the cost of adding one.
        Request request = new Request.Builder().url(api)
                .tag(AsIdentity.class, AsIdentity.of("bench-1"))
                .header("Accept", "application/json")
                .header("User-Agent", "example-service/1.0")
                .header("X-Request-Id", "3f6c1a7e-5b1d-4c1e-9a51-0d2f1c7b9e42")
                .build();
        Response ok = new Response.Builder().request(request).protocol(Protocol.HTTP_1_1).code(200).message("OK")
                .body(ResponseBody.create("{\"id\":42}", null)).build();
        freshChain = BenchChain.of(request, NO_OP, ok, blackhole);
        noOpChain = BenchChain.of(request, NO_OP, ok, blackhole);
        // Measure the real path or nothing: the token goes out, and nothing else does.
        freshTokenPath();
        noOpInterceptors();
        if (!"Bearer bench-access-0".equals(freshChain.sent().header("Authorization"))
                || noOpChain.sent().header("Authorization") != null) {
            throw new IllegalStateException("the fresh-token path did not send the token as expected");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (provider.calls() != 0) {
            throw new IllegalStateException("the fresh token was refreshed " + provider.calls() + " times");
        }
    }

    @Benchmark
    public Response noOpInterceptors() throws IOException {
        return NO_OP.intercept(noOpChain);
    }

    @Benchmark
    public Response freshTokenPath() throws IOException {
        return refresh.intercept(freshChain);
    }
}
