package org.oauthidentity.micrometer;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter.MeterProvider;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Function;
import org.oauthidentity.RefreshException;
import org.oauthidentity.refresh.KeyedRefreshListener;
import org.oauthidentity.refresh.RefreshListener;

/**
 * The refresh meters ({@value #REFRESH}, {@value #REFRESH_RETRIES}, {@value #REQUEST_RETRIES}), recorded from
 * the refresher's and the client's events, then passed on to the next listener.
 *
 * <p>Each refresh is timed from {@link #refreshStarted} (the token request) to its one ending: succeeded,
 * adopted or failed. The refresher reports all of them on the refreshing thread, so the start is kept in a
 * thread-local keyed by the identity id; an ending that no start on this thread announced (adopted before any
 * request, a configuration error found first, a refresh token known to be used up) made no token request and
 * is recorded as zero.
 *
 * <p>Thread-safe: meters are the registry's, and the only state is that thread-local. Never throws; the next
 * listener's failures are logged and ignored.
 */
final class RefreshMetrics extends KeyedRefreshListener {
    static final String REFRESH = "oauth.identity.refresh";
    static final String REFRESH_RETRIES = "oauth.identity.refresh.retries";
    static final String REQUEST_RETRIES = "oauth.identity.request.retries";
    static final String UNKNOWN_PROVIDER = "unknown";

    /** One token request in flight on this thread. */
    private static final class Started {
        final String identityId;
        final long nanos;

        Started(String identityId, long nanos) {
            this.identityId = identityId;
            this.nanos = nanos;
        }
    }

    private final Function<String, String> providerKeyOf;
    private final RefreshListener next;
    private final Clock clock;
    private final ThreadLocal<Started> started = new ThreadLocal<>();
    private final MeterProvider<Timer> refreshes;
    private final MeterProvider<Counter> refreshRetries;
    private final MeterProvider<Counter> requestRetries;

    RefreshMetrics(MeterRegistry registry, Function<String, String> providerKeyOf, RefreshListener next) {
        this.providerKeyOf = Objects.requireNonNull(providerKeyOf, "providerKeyOf");
        this.next = Objects.requireNonNull(next, "next");
        this.clock = registry.config().clock();
        this.refreshes = Timer.builder(REFRESH)
                .description("Refreshes of stored identities, from the token request to the saved result")
                .withRegistry(registry);
        this.refreshRetries = Counter.builder(REFRESH_RETRIES)
                .description("Token requests sent again after a transient failure")
                .withRegistry(registry);
        this.requestRetries = Counter.builder(REQUEST_RETRIES)
                .description("API calls sent again with a refreshed token after a 401")
                .withRegistry(registry);
    }

    @Override
    public void refreshStarted(String identityId, String providerKey) {
        Quietly.record(() -> started.set(new Started(identityId, clock.monotonicTime())));
        Quietly.tell("refresh", () -> next.refreshStarted(identityId, providerKey));
    }

    @Override
    public void refreshSucceeded(String identityId, String providerKey, Duration took) {
        Quietly.record(() -> {
            started.remove();
            refreshes.withTags(tags(identityId, providerKey, RefreshOutcome.SUCCEEDED, RefreshOutcome.NO_ERROR))
                    .record(took);
        });
        Quietly.tell("refresh", () -> next.refreshSucceeded(identityId, providerKey, took));
    }

    @Override
    public void refreshAdopted(String identityId, String providerKey) {
        Quietly.record(() -> refreshes.withTags(tags(identityId, providerKey, RefreshOutcome.ADOPTED,
                RefreshOutcome.NO_ERROR)).record(sinceStart(identityId)));
        Quietly.tell("refresh", () -> next.refreshAdopted(identityId, providerKey));
    }

    /** Every failure, the lost answers included: {@link #refreshOutcomeUnknown} is reported here as well. */
    @Override
    public void refreshFailed(String identityId, String providerKey, RefreshException error) {
        Quietly.record(() -> refreshes.withTags(tags(identityId, providerKey, RefreshOutcome.of(error),
                RefreshOutcome.errorTag(error))).record(sinceStart(identityId)));
        Quietly.tell("refresh", () -> next.refreshFailed(identityId, providerKey, error));
    }

    /** Counted by {@link #refreshFailed}, which follows; only passed on. */
    @Override
    public void refreshOutcomeUnknown(String identityId, String providerKey, RefreshException error) {
        Quietly.tell("refresh", () -> next.refreshOutcomeUnknown(identityId, providerKey, error));
    }

    @Override
    public void refreshRetried(String identityId, String providerKey, int failedAttempt, Duration delay,
            RefreshException cause) {
        Quietly.record(() -> refreshRetries.withTags("provider", providerKey(identityId, providerKey)).increment());
        Quietly.tell("refresh", () -> next.refreshRetried(identityId, providerKey, failedAttempt, delay, cause));
    }

    @Override
    public void requestRetried(String identityId, String providerKey) {
        Quietly.record(() -> requestRetries.withTags("provider", providerKey(identityId, providerKey)).increment());
        Quietly.tell("refresh", () -> next.requestRetried(identityId, providerKey));
    }

    /** Time since this thread's token request for {@code identityId} started, or zero if none did; clears it. */
    private Duration sinceStart(String identityId) {
        Started s = started.get();
        started.remove();
        if (s == null || !s.identityId.equals(identityId)) {
            return Duration.ZERO;
        }
        return Duration.ofNanos(Math.max(0, clock.monotonicTime() - s.nanos));
    }

    private String[] tags(String identityId, String providerKey, RefreshOutcome outcome, String error) {
        return new String[] {"provider", providerKey(identityId, providerKey), "outcome", outcome.tag(), "error", error};
    }

    /**
     * The provider key the event carries; for an event without one (a lease that could not be had), the
     * fallback function's answer; {@code unknown} when neither has one.
     */
    private String providerKey(String identityId, String fromEvent) {
        if (fromEvent != null && !fromEvent.isBlank()) {
            return fromEvent;
        }
        String key;
        try {
            key = providerKeyOf.apply(identityId);
        } catch (RuntimeException e) {
            return UNKNOWN_PROVIDER;
        }
        return key == null || key.isBlank() ? UNKNOWN_PROVIDER : key;
    }
}
