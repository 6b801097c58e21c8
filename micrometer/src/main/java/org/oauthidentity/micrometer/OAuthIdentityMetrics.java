package org.oauthidentity.micrometer;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.Objects;
import java.util.function.Function;
import org.oauthidentity.http.RefreshingHttpClient;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.refresh.RefreshListener;
import org.oauthidentity.sweep.SweepListener;
import org.oauthidentity.sweep.ValidationSweep;

/**
 * Micrometer meters for oauth-identity, from core's listeners: refreshes, validation passes and the token cache.
 *
 * <pre>{@code
 * OAuthIdentityMetrics metrics = OAuthIdentityMetrics.create(meterRegistry);
 * RefreshListener refreshMetrics = metrics.refreshListener(id -> "gitlab", myRefreshListener);
 * IdentityRefresher refresher = IdentityRefresher.builder(store).provider(gitlab)
 *         .listener(refreshMetrics).build();
 * RefreshingHttpClient client = RefreshingHttpClient.builder(refresher).apiOrigin(apiUrl)
 *         .listener(refreshMetrics).build();                   // the 401-driven retries
 * metrics.bindTokenCache(client, "gitlab");
 * ValidationSweep sweep = ValidationSweep.builder(refresher)
 *         .listener(metrics.sweepListener(myUnlinkingListener)).build();
 * }</pre>
 *
 * <p>Each listener it makes records its meters, then passes the event on to the listener it wraps (the
 * service's own), so one listener slot serves both. It guarantees:
 * <ul>
 *   <li><b>Bounded tags, nothing secret.</b> Tags are the provider key, an outcome or state from a fixed set, the
 *       vendor's error code when it is one of the standard ones ({@code other} for any other code), and the
 *       client name given here. Never an identity id, an owner, a token or a vendor's description.</li>
 *   <li><b>Never throws.</b> A failing registry is logged once and ignored; a failure of the wrapped listener
 *       is logged and ignored, as core does for a listener (for the sweep, the identity is then kept).</li>
 *   <li><b>Cheap on the hot path.</b> An event costs the registry's meter look-up and one increment; the token
 *       cache meters are read from the client only when the registry polls.</li>
 * </ul>
 * The meters and their tags are listed in the module's README. Thread-safe; holds only the registry.
 */
public final class OAuthIdentityMetrics {
    private final MeterRegistry registry;

    private OAuthIdentityMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Meters registered in {@code registry}. */
    public static OAuthIdentityMetrics create(MeterRegistry registry) {
        return new OAuthIdentityMetrics(Objects.requireNonNull(registry, "registry"));
    }

    /** As {@link #refreshListener(RefreshListener)}, passing events on to no other listener. */
    public RefreshListener refreshListener() {
        return refreshListener(RefreshListener.NONE);
    }

    /**
     * A listener for an {@link IdentityRefresher} (refreshes, retries) and for the {@link RefreshingHttpClient}s
     * on it (401-driven retries): give the same one to both. One instance may serve several refreshers. The
     * {@code provider} tag is the provider key the refresher's events carry ({@code unknown} for the rare event
     * without one: a lease that could not be had).
     *
     * @param next the service's own listener, told of every event after the meters are recorded
     */
    public RefreshListener refreshListener(RefreshListener next) {
        return new RefreshMetrics(registry, id -> null, next);
    }

    /**
     * As {@link #refreshListener(RefreshListener)}, with {@code providerKeyOf} naming the provider of the events
     * that carry none (a lease that could not be had): it must answer from memory, never from the store, and
     * return one of the configured keys, never the id itself; null or a failure tags {@code unknown}.
     */
    public RefreshListener refreshListener(Function<String, String> providerKeyOf, RefreshListener next) {
        return new RefreshMetrics(registry, providerKeyOf, next);
    }

    /** As {@link #sweepListener(SweepListener)}, keeping every identity. */
    public SweepListener sweepListener() {
        return sweepListener(SweepListener.NONE);
    }

    /**
     * A listener for one {@link ValidationSweep}: counts every check and pass, shows the last pass in gauges,
     * and leaves the decision to delete an identity to {@code next}. Registers the last-pass gauges in the
     * registry: make one per registry (a second one's gauges would not be registered).
     */
    public SweepListener sweepListener(SweepListener next) {
        return new SweepMetrics(registry, next);
    }

    /**
     * Registers the token cache meters of {@code client}, tagged {@code client=clientName}. The registry holds
     * the client weakly. Bind each client once, each under its own name (a fixed word such as the vendor's
     * name, never an identity id).
     */
    public void bindTokenCache(RefreshingHttpClient client, String clientName) {
        Objects.requireNonNull(client, "client");
        if (clientName == null || clientName.isBlank()) {
            throw new IllegalArgumentException("clientName is required");
        }
        TokenCacheMetrics.bind(registry, client, clientName);
    }
}
