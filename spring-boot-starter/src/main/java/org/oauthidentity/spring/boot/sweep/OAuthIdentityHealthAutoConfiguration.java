package org.oauthidentity.spring.boot.sweep;

import org.oauthidentity.IdentityStore;
import org.oauthidentity.sweep.ValidationSweep;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * The sweep's {@link SweepHealthIndicator} as the health component {@code oauthIdentity}, when Actuator's health
 * API is on the class path and the sweep runs; {@code management.health.oauth-identity.enabled=false} turns it
 * off.
 */
@AutoConfiguration(after = OAuthIdentitySweepAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(ValidationSweep.class)
@ConditionalOnEnabledHealthIndicator("oauth-identity")
public final class OAuthIdentityHealthAutoConfiguration {

    /** Created by Spring. */
    public OAuthIdentityHealthAutoConfiguration() {
    }

    @Bean
    ConfigurationErrors oauthIdentityConfigurationErrors(IdentityStore store) {
        return new ConfigurationErrors(store);
    }

    /**
     * The sweep's health.
     *
     * @param sweep the sweep
     * @param errors which provider halted the last pass
     * @return the indicator
     */
    @Bean
    @ConditionalOnMissingBean(name = "oauthIdentityHealthIndicator")
    public SweepHealthIndicator oauthIdentityHealthIndicator(ValidationSweep sweep, ConfigurationErrors errors) {
        return new SweepHealthIndicator(sweep, errors);
    }
}
