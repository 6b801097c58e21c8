package org.oauthidentity.micrometer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter.MeterProvider;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import org.oauthidentity.sweep.IdentityCheck;
import org.oauthidentity.sweep.Outcome;
import org.oauthidentity.sweep.PassSummary;
import org.oauthidentity.sweep.SweepListener;

/**
 * The sweep meters: per check ({@value #CHECKS}), per pass ({@value #PASSES}, {@value #DELETED}) and gauges of
 * the last pass that ended ({@value #LAST_STATE}, {@value #LAST_DURATION}, {@value #LAST_IDENTITIES},
 * {@value #LAST_DELETED}), recorded before the next listener is told. The next listener alone decides whether an
 * identity is deleted.
 *
 * <p>Thread-safe: the sweep calls {@link #checked} from its workers, and the counters are the registry's; the last
 * summary is one volatile reference, written by the pass's thread in {@link #passFinished}. Before the first pass
 * ends the gauges read NaN. Never throws; the next listener's failures are logged and ignored (an identity it
 * failed on is kept).
 */
final class SweepMetrics implements SweepListener {
    static final String CHECKS = "oauth.identity.sweep.checks";
    static final String PASSES = "oauth.identity.sweep.passes";
    static final String DELETED = "oauth.identity.sweep.deleted";
    static final String LAST_STATE = "oauth.identity.sweep.last.state";
    static final String LAST_DURATION = "oauth.identity.sweep.last.duration";
    static final String LAST_IDENTITIES = "oauth.identity.sweep.last.identities";
    static final String LAST_DELETED = "oauth.identity.sweep.last.deleted";

    /** The states a pass can end in; {@code RUNNING} and {@code NOT_STARTED} never reach a listener. */
    private static final PassSummary.State[] END_STATES = {PassSummary.State.COMPLETED,
        PassSummary.State.DEADLINE_REACHED, PassSummary.State.CONFIGURATION_ERROR, PassSummary.State.FAILED,
        PassSummary.State.SHUTDOWN, PassSummary.State.PAUSED};

    private final SweepListener next;
    private final MeterProvider<Counter> checks;
    private final MeterProvider<Timer> passes;
    private final Counter deleted;
    private volatile PassSummary last;

    SweepMetrics(MeterRegistry registry, SweepListener next) {
        this.next = Objects.requireNonNull(next, "next");
        this.checks = Counter.builder(CHECKS)
                .description("Identities checked by validation passes, per outcome")
                .withRegistry(registry);
        this.passes = Timer.builder(PASSES)
                .description("Validation passes that ended, per final state, timed by the sweep's clock")
                .withRegistry(registry);
        this.deleted = Counter.builder(DELETED)
                .description("Identities deleted by validation passes at the listener's request")
                .register(registry);
        for (PassSummary.State state : END_STATES) {
            Gauge.builder(LAST_STATE, this, m -> m.lastOr(s -> s.state() == state ? 1 : 0))
                    .description("1 for the state the last validation pass ended in, 0 for the others")
                    .tag("state", tag(state))
                    .register(registry);
        }
        TimeGauge.builder(LAST_DURATION, this, TimeUnit.MILLISECONDS, m -> m.lastOr(s -> s.duration().toMillis()))
                .description("How long the last validation pass ran")
                .register(registry);
        lastCount(registry, "valid", PassSummary::valid);
        lastCount(registry, "not_valid", PassSummary::notValid);
        lastCount(registry, "error", PassSummary::errors);
        lastCount(registry, "skipped", PassSummary::skipped);
        lastCount(registry, "deferred", PassSummary::deferred);
        lastCount(registry, "unchecked", PassSummary::unchecked);
        Gauge.builder(LAST_DELETED, this, m -> m.lastOr(PassSummary::deleted))
                .description("Identities the last validation pass deleted")
                .register(registry);
    }

    private void lastCount(MeterRegistry registry, String outcome, ToDoubleFunction<PassSummary> count) {
        Gauge.builder(LAST_IDENTITIES, this, m -> m.lastOr(count))
                .description("Identities the last validation pass claimed, per outcome; unchecked ones are "
                        + "left for a later pass, deferred ones are due again when their vendor's pause ends")
                .tag("outcome", outcome)
                .register(registry);
    }

    @Override
    public Action checked(IdentityCheck check) {
        Quietly.record(() -> checks.withTags("provider", check.identity().providerKey(),
                "outcome", tag(check.outcome())).increment());
        Action[] action = {Action.KEEP};
        Quietly.tell("sweep", () -> action[0] = next.checked(check));
        return action[0];
    }

    @Override
    public void passFinished(PassSummary summary) {
        Quietly.record(() -> {
            last = summary;
            passes.withTags("state", tag(summary.state())).record(summary.duration());
            deleted.increment(summary.deleted());
        });
        Quietly.tell("sweep", () -> next.passFinished(summary));
    }

    private double lastOr(ToDoubleFunction<PassSummary> value) {
        PassSummary s = last;
        return s == null ? Double.NaN : value.applyAsDouble(s);
    }

    static String tag(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }
}
