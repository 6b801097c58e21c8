package org.oauthidentity.spring.boot;

import java.time.Clock;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.oauthidentity.IdentityStore;
import org.oauthidentity.authorize.AuthorizationFlow;
import org.oauthidentity.authorize.InMemoryPendingAuthorizationStore;
import org.oauthidentity.authorize.PendingAuthorizationStore;
import org.oauthidentity.http.RefreshingHttpClient;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.refresh.RateLimits;
import org.oauthidentity.refresh.RefreshListener;
import org.oauthidentity.store.InMemoryIdentityStore;
import org.oauthidentity.store.jdbc.JdbcIdentityStore;
import org.oauthidentity.store.jdbc.JdbcPendingAuthorizationStore;
import org.oauthidentity.store.jdbc.TokenCipher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * oauth-identity on configuration alone. Every bean is {@code @ConditionalOnMissingBean}: declare one of the same
 * type to replace it, and the others use yours.
 *
 * <ul>
 *   <li>{@link OAuthIdentityProviders}: the vendors of {@code oauth-identity.providers.<key>.*};</li>
 *   <li>{@link IdentityStore} and {@link PendingAuthorizationStore}: {@link JdbcIdentityStore} and
 *       {@link JdbcPendingAuthorizationStore} on the application's {@link DataSource} when it has one (or a primary one)
 *       (tables created or upgraded at start-up unless {@code oauth-identity.store.create-schema=false}; encrypted
 *       with the application's {@link TokenCipher} bean if there is one), otherwise the in-memory stores, with a
 *       warning: they are for one instance, and lose every link at restart;</li>
 *   <li>{@link IdentityRefresher} over those, hearing every {@link RefreshListener} bean;</li>
 *   <li>{@link RefreshingHttpClient}, one client for every identity, sending tokens to the providers' API origins
 *       only; it also hands out valid tokens ({@code accessToken(id)}) to other HTTP clients;</li>
 *   <li>{@link AuthorizationFlows}: account linking, one flow per provider.</li>
 * </ul>
 *
 * <p>Time comes from the application's {@link Clock} bean when it has exactly one, else the UTC system clock.
 * Metrics and other observers plug in as {@link RefreshListener} beans (and, for the sweep,
 * {@code SweepListener} beans): a configuration that declares them needs nothing changed here.
 */
@AutoConfiguration(afterName = {
        "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
        "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration"})
@EnableConfigurationProperties(OAuthIdentityProperties.class)
public final class OAuthIdentityAutoConfiguration {
    private static final Logger log = LoggerFactory.getLogger(OAuthIdentityAutoConfiguration.class);

    /** Created by Spring. */
    public OAuthIdentityAutoConfiguration() {
    }

    static Clock clock(ObjectProvider<Clock> clock) {
        return clock.getIfUnique(Clock::systemUTC);
    }

    /**
     * The providers of {@code oauth-identity.providers.*}.
     *
     * @param properties the bound properties
     * @param clock the application's clock, if any
     * @return the providers
     * @throws OAuthIdentityPropertyException naming the first property missing or wrong, or
     *     {@code oauth-identity.providers} when there is none
     */
    @Bean
    @ConditionalOnMissingBean
    public OAuthIdentityProviders oauthIdentityProviders(OAuthIdentityProperties properties,
            ObjectProvider<Clock> clock) {
        return ProviderFactory.create(properties.providers(), clock(clock));
    }

    /**
     * The identity store: JDBC on the application's one {@link DataSource} (or its primary one), else in memory.
     *
     * @param dataSource the application's data source, if any
     * @param properties {@code oauth-identity.store.*}
     * @param cipher the application's token cipher, if any
     * @param clock the application's clock, if any
     * @return the store
     */
    @Bean
    @ConditionalOnMissingBean
    public IdentityStore identityStore(ObjectProvider<DataSource> dataSource, OAuthIdentityProperties properties,
            ObjectProvider<TokenCipher> cipher, ObjectProvider<Clock> clock) {
        DataSource database = dataSource.getIfUnique();
        if (database == null) {
            log.warn("oauth-identity keeps identities in memory: every linked account is lost at restart, and "
                    + "instances of this service do not share them (not for fleets). Give the application a "
                    + "DataSource for the JDBC store, or declare an IdentityStore bean.");
            return new InMemoryIdentityStore();
        }
        JdbcIdentityStore.Builder store = JdbcIdentityStore.builder(database).clock(clock(clock))
                .leaseTtl(properties.store().leaseTtl());
        cipher.ifUnique(store::tokenCipher);
        if (properties.store().createSchema()) {
            store.createSchemaIfMissing();
        }
        return store.build();
    }

    /**
     * Where started links wait for their callback: JDBC on the application's one {@link DataSource}, so the callback
     * may reach any instance, else in memory.
     *
     * @param dataSource the application's data source, if any
     * @param properties {@code oauth-identity.store.*}
     * @param cipher the application's token cipher, if any (it encrypts the PKCE verifier)
     * @return the store
     */
    @Bean
    @ConditionalOnMissingBean
    public PendingAuthorizationStore pendingAuthorizationStore(ObjectProvider<DataSource> dataSource,
            OAuthIdentityProperties properties, ObjectProvider<TokenCipher> cipher) {
        DataSource database = dataSource.getIfUnique();
        if (database == null) {
            return new InMemoryPendingAuthorizationStore();
        }
        JdbcPendingAuthorizationStore.Builder store = JdbcPendingAuthorizationStore.builder(database);
        cipher.ifUnique(store::tokenCipher);
        if (properties.store().createSchema()) {
            store.createSchemaIfMissing();
        }
        return store.build();
    }

    /**
     * The refresher of every provider's identities.
     *
     * @param store the identity store
     * @param providers the providers
     * @param listeners the application's refresh listeners
     * @param properties {@code oauth-identity.providers.<key>.rate-limit}
     * @return the refresher
     */
    @Bean
    @ConditionalOnMissingBean
    public IdentityRefresher identityRefresher(IdentityStore store, OAuthIdentityProviders providers,
            ObjectProvider<RefreshListener> listeners, OAuthIdentityProperties properties) {
        IdentityRefresher.Builder refresher = IdentityRefresher.builder(store)
                .listener(RefreshListeners.of(listeners.orderedStream().collect(Collectors.toList())))
                .rateLimits(rateLimits(properties));
        providers.providers().forEach(refresher::provider);
        return refresher.build();
    }

    /** {@code oauth-identity.providers.<key>.rate-limit}, per provider key. */
    private static RateLimits rateLimits(OAuthIdentityProperties properties) {
        RateLimits.Builder limits = RateLimits.builder();
        properties.providers().forEach((key, provider) -> {
            Double rate = provider.rateLimit();
            if (rate == null) {
                return;
            }
            if (!(rate > 0) || rate.isInfinite()) {
                throw new OAuthIdentityPropertyException("oauth-identity.providers." + key + ".rate-limit",
                        "must be a positive number of token requests per second");
            }
            limits.perSecond(key, rate);
        });
        return limits.build();
    }

    /**
     * One HTTP client for every identity.
     *
     * @param refresher the refresher
     * @param providers whose API origins receive tokens
     * @param properties {@code oauth-identity.client.*}
     * @param listeners the application's refresh listeners (for retried requests)
     * @param clock the application's clock, if any
     * @return the client
     */
    @Bean
    @ConditionalOnMissingBean
    public RefreshingHttpClient refreshingHttpClient(IdentityRefresher refresher, OAuthIdentityProviders providers,
            OAuthIdentityProperties properties, ObjectProvider<RefreshListener> listeners,
            ObjectProvider<Clock> clock) {
        RefreshingHttpClient.Builder client = RefreshingHttpClient.builder(refresher)
                .maxIdentities(properties.client().maxIdentities())
                .idleExpiry(properties.client().idleExpiry())
                .listener(RefreshListeners.of(listeners.orderedStream().collect(Collectors.toList())))
                .clock(clock(clock));
        providers.apiOrigins().forEach(client::apiOrigin);
        return client.build();
    }

    /**
     * Account linking, one flow per provider.
     *
     * @param providers the providers
     * @param identities where linked identities are stored
     * @param pending where started links wait for their callback
     * @param properties {@code oauth-identity.flow.*}
     * @param clock the application's clock, if any
     * @return the flows
     */
    @Bean
    @ConditionalOnMissingBean
    public AuthorizationFlows authorizationFlows(OAuthIdentityProviders providers, IdentityStore identities,
            PendingAuthorizationStore pending, OAuthIdentityProperties properties, ObjectProvider<Clock> clock) {
        Clock time = clock(clock);
        return new AuthorizationFlows(providers, key -> AuthorizationFlow.builder(providers.provider(key).orElseThrow())
                .identityStore(identities).pendingAuthorizations(pending).clock(time)
                .ttl(properties.flow().ttl()).build());
    }
}
