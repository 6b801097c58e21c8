package org.oauthidentity.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import okhttp3.HttpUrl;
import org.h2.jdbcx.JdbcDataSource;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.oauthidentity.refresh.RefreshListener;
import org.oauthidentity.spring.boot.metrics.OAuthIdentityMetricsAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.oauthidentity.IdentityStore;
import org.oauthidentity.authorize.AuthorizationFlow;
import org.oauthidentity.authorize.InMemoryPendingAuthorizationStore;
import org.oauthidentity.authorize.PendingAuthorizationStore;
import org.oauthidentity.http.RefreshingHttpClient;
import org.oauthidentity.providers.gitlab.GitLabProvider;
import org.oauthidentity.providers.google.GoogleProvider;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.spring.boot.sweep.OAuthIdentityHealthAutoConfiguration;
import org.oauthidentity.spring.boot.sweep.OAuthIdentitySweepAutoConfiguration;
import org.oauthidentity.spring.boot.sweep.SweepHealthIndicator;
import org.oauthidentity.store.InMemoryIdentityStore;
import org.oauthidentity.store.jdbc.JdbcIdentityStore;
import org.oauthidentity.store.jdbc.JdbcPendingAuthorizationStore;
import org.oauthidentity.sweep.ValidationSweep;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** Which beans the auto-configuration makes, under which conditions, and how a service replaces each. */
class AutoConfigurationTest {
    private static final AtomicInteger DATABASES = new AtomicInteger();

    static final String[] GITLAB = {
            "oauth-identity.providers.gitlab.type=gitlab",
            "oauth-identity.providers.gitlab.client-id=app-id",
            "oauth-identity.providers.gitlab.client-secret=s3cr3t-value",
            "oauth-identity.providers.gitlab.redirect-uri=https://app.example.test/oauth/callback/gitlab",
            "oauth-identity.providers.gitlab.instance-url=https://gitlab.example.com"};

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(OAuthIdentityAutoConfiguration.class,
                    OAuthIdentitySweepAutoConfiguration.class, OAuthIdentityHealthAutoConfiguration.class));

    static DataSource h2() {
        JdbcDataSource h2 = new JdbcDataSource();
        h2.setURL("jdbc:h2:mem:starter" + DATABASES.incrementAndGet() + ";DB_CLOSE_DELAY=-1");
        return h2;
    }

    static boolean tableExists(DataSource dataSource, String table) throws SQLException {
        try (Connection c = dataSource.getConnection();
                ResultSet tables = c.getMetaData().getTables(null, null, table.toUpperCase(), null)) {
            return tables.next();
        }
    }

    @Test
    void withAMeterRegistryTheRefresherAndTheSweepAreMetered() {
        runner.withConfiguration(AutoConfigurations.of(OAuthIdentityMetricsAutoConfiguration.class))
                .withBean(SimpleMeterRegistry.class, SimpleMeterRegistry::new)
                .withPropertyValues(GITLAB)
                .run(context -> {
                    assertThat(context).hasBean("oauthIdentityRefreshMetrics").hasBean("oauthIdentitySweepMetrics")
                            .hasBean("oauthIdentityTokenCacheMetrics");
                    assertThat(context.getBean("oauthIdentityRefreshMetrics")).isNotSameAs(RefreshListener.NONE);
                    assertThat(context.getBean(SimpleMeterRegistry.class).find("oauth.identity.token.cache.size")
                            .gauge()).isNotNull();
                });
    }

    @Test
    void aProvidersRateLimitIsTheRefreshersAndTheSweepJitterIsSet() {
        runner.withPropertyValues(GITLAB).withPropertyValues("oauth-identity.providers.gitlab.rate-limit=12.5",
                "oauth-identity.sweep.enabled=true", "oauth-identity.sweep.jitter=2m").run(context -> {
                    assertThat(context).hasNotFailed();
                    IdentityRefresher refresher = context.getBean(IdentityRefresher.class);
                    assertThat(refresher.rateLimits().perSecond("gitlab")).contains(12.5);
                    assertThat(context.getBean(ValidationSweep.class).toString()).contains("jitter=PT2M");
                });
        runner.withPropertyValues(GITLAB).run(context -> assertThat(context.getBean(IdentityRefresher.class)
                .rateLimits().perSecond("gitlab")).as("no limit unless set").isEmpty());
    }

    @Test
    void withoutAMeterRegistryTheMetricsListenersRecordNothing() {
        runner.withConfiguration(AutoConfigurations.of(OAuthIdentityMetricsAutoConfiguration.class))
                .withPropertyValues(GITLAB)
                .run(context -> assertThat(context.getBean("oauthIdentityRefreshMetrics"))
                        .isSameAs(RefreshListener.NONE));
    }

    @Test
    void withoutDataSourceEveryBeanIsThereOnInMemoryStoresAndNoSweep() {
        runner.withPropertyValues(GITLAB).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).getBean(IdentityStore.class).isInstanceOf(InMemoryIdentityStore.class);
            assertThat(context).getBean(PendingAuthorizationStore.class)
                    .isInstanceOf(InMemoryPendingAuthorizationStore.class);
            assertThat(context).hasSingleBean(IdentityRefresher.class).hasSingleBean(RefreshingHttpClient.class)
                    .hasSingleBean(AuthorizationFlows.class).hasSingleBean(OAuthIdentityProviders.class);
            assertThat(context).doesNotHaveBean(ValidationSweep.class).doesNotHaveBean(SweepHealthIndicator.class);

            OAuthIdentityProviders providers = context.getBean(OAuthIdentityProviders.class);
            assertThat(providers.keys()).containsExactly("gitlab");
            assertThat(providers.provider("gitlab")).get().isInstanceOf(GitLabProvider.class);
            assertThat(providers.apiOrigins()).containsExactly(HttpUrl.get("https://gitlab.example.com/"));
            assertThat(providers.redirectUri("gitlab")).isEqualTo("https://app.example.test/oauth/callback/gitlab");
            assertThat(providers.toString()).doesNotContain("s3cr3t-value");
        });
    }

    @Test
    void withOneDataSourceTheStoresAreJdbcAndTheirTablesAreCreated() {
        DataSource h2 = h2();
        runner.withPropertyValues(GITLAB).withBean(DataSource.class, () -> h2).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).getBean(IdentityStore.class).isInstanceOf(JdbcIdentityStore.class);
            assertThat(context).getBean(PendingAuthorizationStore.class)
                    .isInstanceOf(JdbcPendingAuthorizationStore.class);
            assertThat(tableExists(h2, "oauth_identity")).isTrue();
            assertThat(tableExists(h2, "oauth_pending_authorization")).isTrue();
        });
    }

    @Test
    void createSchemaFalseLeavesTheDatabaseAloneAndAMissingSchemaStopsTheStart() {
        DataSource h2 = h2();
        runner.withPropertyValues(GITLAB).withPropertyValues("oauth-identity.store.create-schema=false")
                .withBean(DataSource.class, () -> h2).run(context -> {
                    // a migration tool owns the schema and has not run: the start fails, naming the scripts
                    assertThat(context).hasFailed();
                    assertThat(context.getStartupFailure()).rootCause()
                            .isInstanceOf(org.oauthidentity.store.jdbc.SchemaVersionException.class)
                            .hasMessageContaining("V1__oauth_identity.sql");
                    assertThat(tableExists(h2, "oauth_identity")).isFalse();
                    assertThat(tableExists(h2, "oauth_pending_authorization")).isFalse();
                });
    }

    @Test
    void twoDataSourcesWithoutAPrimaryFallBackToMemory() {
        runner.withPropertyValues(GITLAB).withBean("one", DataSource.class, AutoConfigurationTest::h2)
                .withBean("two", DataSource.class, AutoConfigurationTest::h2).run(context ->
                        assertThat(context).getBean(IdentityStore.class).isInstanceOf(InMemoryIdentityStore.class));
    }

    @Test
    void everyBeanCanBeReplaced() {
        InMemoryIdentityStore store = new InMemoryIdentityStore();
        InMemoryPendingAuthorizationStore pending = new InMemoryPendingAuthorizationStore();
        GitLabProvider gitlab = GitLabProvider.builder().providerKey("mine").clientId("id").clientSecret("secret")
                .redirectUri("https://app.example.test/cb").build();
        OAuthIdentityProviders providers = OAuthIdentityProviders.builder()
                .add(gitlab, "https://app.example.test/cb", java.util.List.of("https://gitlab.com")).build();
        IdentityRefresher refresher = IdentityRefresher.builder(store).provider(gitlab).build();
        RefreshingHttpClient client = RefreshingHttpClient.builder(refresher).apiOrigin("https://gitlab.com").build();
        AuthorizationFlows flows = new AuthorizationFlows(providers, key -> AuthorizationFlow.builder(gitlab)
                .identityStore(store).pendingAuthorizations(pending).build());
        ValidationSweep sweep = ValidationSweep.builder(refresher).build();
        HealthIndicator health = () -> org.springframework.boot.health.contributor.Health.up().build();

        runner.withPropertyValues("oauth-identity.sweep.enabled=true")
                .withBean(DataSource.class, AutoConfigurationTest::h2)
                .withBean(IdentityStore.class, () -> store)
                .withBean(PendingAuthorizationStore.class, () -> pending)
                .withBean(OAuthIdentityProviders.class, () -> providers)
                .withBean(IdentityRefresher.class, () -> refresher)
                .withBean(RefreshingHttpClient.class, () -> client)
                .withBean(AuthorizationFlows.class, () -> flows)
                .withBean(ValidationSweep.class, () -> sweep)
                .withBean("oauthIdentityHealthIndicator", HealthIndicator.class, () -> health)
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(IdentityStore.class)).isSameAs(store);
                    assertThat(context.getBean(PendingAuthorizationStore.class)).isSameAs(pending);
                    assertThat(context.getBean(OAuthIdentityProviders.class)).isSameAs(providers);
                    assertThat(context.getBean(IdentityRefresher.class)).isSameAs(refresher);
                    assertThat(context.getBean(RefreshingHttpClient.class)).isSameAs(client);
                    assertThat(context.getBean(AuthorizationFlows.class)).isSameAs(flows);
                    assertThat(context.getBean(ValidationSweep.class)).isSameAs(sweep);
                    assertThat(context.getBean("oauthIdentityHealthIndicator")).isSameAs(health);
                });
    }

    @Test
    void aReplacedStoreIsWhatTheAutoConfiguredBeansUse() {
        InMemoryIdentityStore store = new InMemoryIdentityStore();
        runner.withPropertyValues(GITLAB).withBean(IdentityStore.class, () -> store).run(context ->
                assertThat(context.getBean(IdentityRefresher.class).store()).isSameAs(store));
    }

    @Test
    void theSweepIsOnOnlyWhenEnabledAndItsHealthOnlyWithActuator() {
        runner.withPropertyValues(GITLAB).withPropertyValues("oauth-identity.sweep.enabled=false").run(context ->
                assertThat(context).doesNotHaveBean(ValidationSweep.class));
        runner.withPropertyValues(GITLAB).withPropertyValues("oauth-identity.sweep.enabled=true",
                "oauth-identity.sweep.period=1h").run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(ValidationSweep.class)
                            .hasSingleBean(SweepHealthIndicator.class);
                    assertThat(context.getBean(ValidationSweep.class).toString())
                            .contains("interval=PT1H", "concurrency=8");
                });
        runner.withPropertyValues(GITLAB).withPropertyValues("oauth-identity.sweep.enabled=true",
                "oauth-identity.sweep.period=1h", "oauth-identity.sweep.interval=30m",
                "oauth-identity.sweep.concurrency=3", "oauth-identity.sweep.deadline=10m").run(context ->
                        assertThat(context.getBean(ValidationSweep.class).toString())
                                .contains("interval=PT30M", "concurrency=3", "passDeadline=PT10M"));
        runner.withPropertyValues(GITLAB).withPropertyValues("oauth-identity.sweep.enabled=true",
                "oauth-identity.sweep.period=1h").withClassLoader(new FilteredClassLoader(HealthIndicator.class))
                .run(context -> assertThat(context).hasNotFailed().hasSingleBean(ValidationSweep.class)
                        .doesNotHaveBean(SweepHealthIndicator.class));
        runner.withPropertyValues(GITLAB).withPropertyValues("oauth-identity.sweep.enabled=true",
                "oauth-identity.sweep.period=1h", "management.health.oauth-identity.enabled=false").run(context ->
                        assertThat(context).hasSingleBean(ValidationSweep.class)
                                .doesNotHaveBean(SweepHealthIndicator.class));
    }

    @Test
    void everyVendorTypeBuildsWithItsDefaultApiOrigins() {
        runner.withPropertyValues(
                "oauth-identity.providers.entra.type=entra",
                "oauth-identity.providers.entra.tenant=organizations",
                "oauth-identity.providers.entra.client-id=entra-app",
                "oauth-identity.providers.entra.client-secret=entra-secret",
                "oauth-identity.providers.entra.redirect-uri=https://app.example.test/cb/entra",
                "oauth-identity.providers.vsts.type=azure-devops",
                "oauth-identity.providers.vsts.client-id=app-id",
                "oauth-identity.providers.vsts.client-secret=jwt-secret",
                "oauth-identity.providers.vsts.redirect-uri=https://app.example.test/cb/vsts",
                "oauth-identity.providers.vsts.scopes=vso.code,vso.project",
                "oauth-identity.providers.google.type=google",
                "oauth-identity.providers.google.client-id=x.apps.googleusercontent.com",
                "oauth-identity.providers.google.client-secret=google-secret",
                "oauth-identity.providers.google.redirect-uri=https://app.example.test/cb/google",
                "oauth-identity.providers.acme.type=generic",
                "oauth-identity.providers.acme.client-id=acme-app",
                "oauth-identity.providers.acme.client-secret=acme-secret",
                "oauth-identity.providers.acme.client-authentication=post",
                "oauth-identity.providers.acme.redirect-uri=https://app.example.test/cb/acme",
                "oauth-identity.providers.acme.token-url=https://auth.acme.example/oauth/token",
                "oauth-identity.providers.acme.authorization-url=https://auth.acme.example/oauth/authorize",
                "oauth-identity.providers.acme.api-origins=https://api.acme.example")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    OAuthIdentityProviders providers = context.getBean(OAuthIdentityProviders.class);
                    assertThat(providers.keys()).containsExactlyInAnyOrder("entra", "vsts", "google", "acme");
                    assertThat(providers.provider("google")).get().isInstanceOf(GoogleProvider.class);
                    assertThat(providers.apiOrigins()).extracting(HttpUrl::toString).containsExactlyInAnyOrder(
                            "https://api.acme.example/", "https://dev.azure.com/",
                            "https://app.vssps.visualstudio.com/", "https://www.googleapis.com/",
                            "https://openidconnect.googleapis.com/");
                    assertThat(context.getBean(AuthorizationFlows.class).flow("acme")).isNotNull();
                });
    }

    @Test
    void gitLabAllowedHostsAreApiOriginsToo() {
        runner.withPropertyValues(GITLAB).withPropertyValues(
                "oauth-identity.providers.gitlab.allowed-hosts=gitlab.other.example").run(context ->
                        assertThat(context.getBean(OAuthIdentityProviders.class).apiOrigins())
                                .extracting(HttpUrl::toString)
                                .containsExactly("https://gitlab.example.com/", "https://gitlab.other.example/"));
    }
}
