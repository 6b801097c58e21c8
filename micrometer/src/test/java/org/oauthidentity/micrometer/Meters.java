package org.oauthidentity.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import java.util.Collection;

/** Reading meters in tests: a missing meter counts zero, so a test states every count it expects. */
final class Meters {
    private Meters() {
    }

    static long refreshes(MeterRegistry registry, String provider, String outcome, String error) {
        var timer = registry.find(RefreshMetrics.REFRESH)
                .tags("provider", provider, "outcome", outcome, "error", error).timer();
        return timer == null ? 0 : timer.count();
    }

    /** Every refresh recorded, whatever its tags. */
    static long allRefreshes(MeterRegistry registry) {
        return registry.find(RefreshMetrics.REFRESH).timers().stream().mapToLong(t -> t.count()).sum();
    }

    static double counter(MeterRegistry registry, String name, String... tags) {
        var counter = registry.find(name).tags(tags).counter();
        return counter == null ? 0 : counter.count();
    }

    static double gauge(MeterRegistry registry, String name, String... tags) {
        return registry.get(name).tags(tags).gauge().value();
    }

    /** No tag of any meter carries one of {@code forbidden} (identity ids, owners, tokens) or a piece of one. */
    static void assertNoTagCarries(MeterRegistry registry, Collection<String> forbidden) {
        for (Meter meter : registry.getMeters()) {
            for (Tag tag : meter.getId().getTags()) {
                for (String value : forbidden) {
                    assertThat(tag.getValue()).as("%s on %s", tag, meter.getId().getName())
                            .doesNotContain(value);
                }
            }
        }
    }
}
