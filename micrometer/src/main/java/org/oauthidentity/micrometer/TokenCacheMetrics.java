package org.oauthidentity.micrometer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.oauthidentity.http.RefreshingHttpClient;

/**
 * The token cache meters of one {@link RefreshingHttpClient}: {@value #SIZE}, {@value #GETS} and
 * {@value #HIT_RATIO}, read from the client when the registry polls (the client counts; nothing is added to a
 * call). The registry holds the client weakly: a client that is dropped reads NaN. Stateless.
 */
final class TokenCacheMetrics {
    static final String SIZE = "oauth.identity.token.cache.size";
    static final String GETS = "oauth.identity.token.cache.gets";
    static final String HIT_RATIO = "oauth.identity.token.cache.hit.ratio";

    private TokenCacheMetrics() {
    }

    static void bind(MeterRegistry registry, RefreshingHttpClient client, String clientName) {
        Gauge.builder(SIZE, client, RefreshingHttpClient::cachedIdentities)
                .description("Identities the client holds in memory")
                .tag("client", clientName)
                .register(registry);
        FunctionCounter.builder(GETS, client, RefreshingHttpClient::cacheHits)
                .description("Calls that found their identity in memory (hit) or read it from the store (miss)")
                .tags("client", clientName, "result", "hit")
                .register(registry);
        FunctionCounter.builder(GETS, client, RefreshingHttpClient::cacheMisses)
                .description("Calls that found their identity in memory (hit) or read it from the store (miss)")
                .tags("client", clientName, "result", "miss")
                .register(registry);
        Gauge.builder(HIT_RATIO, client, TokenCacheMetrics::hitRatio)
                .description("Hits over all look-ups since the client was built; NaN before the first")
                .tag("client", clientName)
                .register(registry);
    }

    private static double hitRatio(RefreshingHttpClient client) {
        double hits = client.cacheHits();
        double misses = client.cacheMisses();
        return hits + misses == 0 ? Double.NaN : hits / (hits + misses);
    }
}
