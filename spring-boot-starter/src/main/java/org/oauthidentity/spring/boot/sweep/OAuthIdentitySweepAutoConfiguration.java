package org.oauthidentity.spring.boot.sweep;

import java.time.Clock;
import java.util.stream.Collectors;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.spring.boot.OAuthIdentityAutoConfiguration;
import org.oauthidentity.spring.boot.OAuthIdentityProperties;
import org.oauthidentity.sweep.SweepListener;
import org.oauthidentity.sweep.ValidationSweep;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;

/**
 * The validation sweep, when {@code oauth-identity.sweep.enabled=true}: a {@link ValidationSweep} over the
 * {@link IdentityRefresher} ({@code interval}, {@code concurrency}, {@code deadline}), scheduled every
 * {@code period} from the context's start and closed cleanly when it stops. Each check is published as an
 * {@link IdentityCheckedEvent} and each pass as a {@link SweepPassFinishedEvent}; {@link SweepListener} beans
 * hear them too. Both beans are {@code @ConditionalOnMissingBean}.
 */
@AutoConfiguration(after = OAuthIdentityAutoConfiguration.class)
@ConditionalOnProperty(prefix = "oauth-identity.sweep", name = "enabled", havingValue = "true")
@ConditionalOnBean(IdentityRefresher.class)
public final class OAuthIdentitySweepAutoConfiguration {

    /** Created by Spring. */
    public OAuthIdentitySweepAutoConfiguration() {
    }

    /**
     * The sweep; closed by the schedule when the context stops (and by the context as an {@code AutoCloseable}).
     *
     * @param refresher checks go through it
     * @param properties {@code oauth-identity.sweep.*}
     * @param events where checks and passes are published
     * @param listeners the application's sweep listeners
     * @param clock the application's clock, if any
     * @return the sweep, not started
     */
    @Bean
    @ConditionalOnMissingBean
    public ValidationSweep validationSweep(IdentityRefresher refresher, OAuthIdentityProperties properties,
            ApplicationEventPublisher events, ObjectProvider<SweepListener> listeners, ObjectProvider<Clock> clock) {
        OAuthIdentityProperties.Sweep settings = properties.sweep();
        ValidationSweep.Builder sweep = ValidationSweep.builder(refresher)
                .listener(new SweepListeners(events, listeners.orderedStream().collect(Collectors.toList())))
                .clock(clock.getIfUnique(Clock::systemUTC))
                .interval(settings.interval())
                .concurrency(settings.concurrency());
        if (settings.deadline() != null) {
            sweep.passDeadline(settings.deadline());
        }
        if (settings.jitter() != null) {
            sweep.jitter(settings.jitter());
        }
        return sweep.build();
    }

    @Bean
    @ConditionalOnMissingBean
    SweepSchedule validationSweepSchedule(ValidationSweep sweep, OAuthIdentityProperties properties) {
        return new SweepSchedule(sweep, properties.sweep().period());
    }
}
