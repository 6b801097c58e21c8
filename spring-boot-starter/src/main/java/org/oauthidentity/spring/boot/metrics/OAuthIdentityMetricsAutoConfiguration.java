package org.oauthidentity.spring.boot.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import org.oauthidentity.http.RefreshingHttpClient;
import org.oauthidentity.micrometer.OAuthIdentityMetrics;
import org.oauthidentity.refresh.RefreshListener;
import org.oauthidentity.sweep.SweepListener;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.annotation.Bean;

/**
 * Binds oauth-identity's meters (module {@code oauth-identity-micrometer}) when Micrometer is on the class path:
 * a {@link RefreshListener} and a {@link SweepListener} bean, which the refresher and the sweep hear like any
 * other listener bean, and the token cache meters of the {@link RefreshingHttpClient} bean (tag
 * {@code client=oauth-identity}), bound once every bean exists. With no {@link MeterRegistry} bean in the application, the listeners record
 * nothing. Each bean is named, so an application replaces one by declaring a bean of the same name. The meters are
 * listed in {@code oauth-identity-micrometer}'s README.
 */
@AutoConfiguration
@ConditionalOnClass({MeterRegistry.class, OAuthIdentityMetrics.class})
public final class OAuthIdentityMetricsAutoConfiguration {
    /** The {@code client} tag of the token cache meters of the auto-configured client. */
    public static final String CLIENT_TAG = "oauth-identity";

    @Bean
    RefreshListener oauthIdentityRefreshMetrics(ObjectProvider<MeterRegistry> registry) {
        MeterRegistry meters = registry.getIfAvailable();
        return meters == null ? RefreshListener.NONE : OAuthIdentityMetrics.create(meters).refreshListener();
    }

    @Bean
    SweepListener oauthIdentitySweepMetrics(ObjectProvider<MeterRegistry> registry) {
        MeterRegistry meters = registry.getIfAvailable();
        return meters == null ? SweepListener.NONE : OAuthIdentityMetrics.create(meters).sweepListener();
    }

    /** Binds once every bean exists (with or without Spring Boot's own metrics auto-configuration). */
    @Bean
    SmartInitializingSingleton oauthIdentityTokenCacheMetrics(ObjectProvider<MeterRegistry> registry,
            ObjectProvider<RefreshingHttpClient> client) {
        return () -> registry.ifAvailable(meters -> client.ifAvailable(
                c -> OAuthIdentityMetrics.create(meters).bindTokenCache(c, CLIENT_TAG)));
    }
}
