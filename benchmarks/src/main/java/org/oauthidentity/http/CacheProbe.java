package org.oauthidentity.http;

/**
 * What the benchmarks read of a {@link RefreshingHttpClient} that its public surface does not show: how many
 * identities it holds in memory. It sits in the library's package (on the class path, as
 * {@link FreshTokenPathBenchmark} does) to reach the package-private count.
 */
public final class CacheProbe {
    private CacheProbe() {
    }

    public static int cachedIdentities(RefreshingHttpClient client) {
        return client.cachedIdentities();
    }
}
