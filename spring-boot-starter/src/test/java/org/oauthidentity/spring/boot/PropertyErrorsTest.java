package org.oauthidentity.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.oauthidentity.spring.boot.sweep.OAuthIdentitySweepAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** A missing or wrong property stops the start with a failure naming it, and never its value. */
class PropertyErrorsTest {
    private static final String SECRET = "s3cr3t-value";

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(OAuthIdentityAutoConfiguration.class,
                    OAuthIdentitySweepAutoConfiguration.class));

    /** The GitLab provider of AutoConfigurationTest with {@code name} removed and {@code extra} added. */
    private static String[] gitlabWithout(String name, String... extra) {
        List<String> properties = new ArrayList<>();
        for (String p : AutoConfigurationTest.GITLAB) {
            if (!p.startsWith("oauth-identity.providers.gitlab." + name + "=")) {
                properties.add(p);
            }
        }
        properties.addAll(List.of(extra));
        return properties.toArray(String[]::new);
    }

    private void assertFailsNaming(String property, String... properties) {
        runner.withPropertyValues(properties).run(context -> {
            assertThat(context).hasFailed();
            Throwable failure = context.getStartupFailure();
            OAuthIdentityPropertyException e = findCause(failure, OAuthIdentityPropertyException.class);
            assertThat(e).as("failure %s", failure).isNotNull();
            assertThat(e.property()).isEqualTo(property);
            assertThat(e.getMessage()).startsWith(property + ": ");
            FailureAnalysis analysis = new PropertyFailureAnalyzer().analyze(failure);
            assertThat(analysis.getDescription()).contains(property);
            assertThat(analysis.getAction()).contains(property);
            assertThat(analysis.getDescription() + analysis.getAction()).doesNotContain(SECRET);
            for (Throwable t = failure; t != null; t = t.getCause()) {
                assertThat(String.valueOf(t.getMessage())).doesNotContain(SECRET);
            }
        });
    }

    private static <T extends Throwable> T findCause(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    @Test
    void eachRequiredPropertyIsNamedWhenMissing() {
        assertFailsNaming("oauth-identity.providers.gitlab.type", gitlabWithout("type"));
        assertFailsNaming("oauth-identity.providers.gitlab.client-id", gitlabWithout("client-id"));
        assertFailsNaming("oauth-identity.providers.gitlab.client-secret", gitlabWithout("client-secret"));
        assertFailsNaming("oauth-identity.providers.gitlab.redirect-uri", gitlabWithout("redirect-uri"));
        assertFailsNaming("oauth-identity.providers.gitlab.client-secret",
                gitlabWithout("client-secret", "oauth-identity.providers.gitlab.client-secret=  "));
    }

    @Test
    void aRateLimitThatIsNotAPositiveRateIsNamed() {
        assertFailsNaming("oauth-identity.providers.gitlab.rate-limit", gitlabWithout("none",
                "oauth-identity.providers.gitlab.rate-limit=0"));
        assertFailsNaming("oauth-identity.providers.gitlab.rate-limit", gitlabWithout("none",
                "oauth-identity.providers.gitlab.rate-limit=-5"));
    }

    @Test
    void malformedOrInsecureUrlsAreNamed() {
        assertFailsNaming("oauth-identity.providers.gitlab.instance-url", gitlabWithout("instance-url",
                "oauth-identity.providers.gitlab.instance-url=http://gitlab.example.com"));
        assertFailsNaming("oauth-identity.providers.gitlab.redirect-uri", gitlabWithout("redirect-uri",
                "oauth-identity.providers.gitlab.redirect-uri=not a url"));
        assertFailsNaming("oauth-identity.providers.gitlab.api-origins[0]", gitlabWithout("none",
                "oauth-identity.providers.gitlab.api-origins=ftp://gitlab.example.com"));
    }

    @Test
    void aPropertyTheVendorDoesNotReadIsAMistake() {
        assertFailsNaming("oauth-identity.providers.gitlab.tenant", gitlabWithout("none",
                "oauth-identity.providers.gitlab.tenant=organizations"));
        assertFailsNaming("oauth-identity.providers.gitlab.token-url", gitlabWithout("none",
                "oauth-identity.providers.gitlab.token-url=https://gitlab.example.com/oauth/token"));
    }

    @Test
    void vendorSpecificRequirementsAreNamed() {
        assertFailsNaming("oauth-identity.providers.work.tenant",
                "oauth-identity.providers.work.type=entra",
                "oauth-identity.providers.work.client-id=app",
                "oauth-identity.providers.work.client-secret=" + SECRET,
                "oauth-identity.providers.work.redirect-uri=https://app.example.test/cb");
        assertFailsNaming("oauth-identity.providers.acme.token-url",
                "oauth-identity.providers.acme.type=generic",
                "oauth-identity.providers.acme.client-id=app",
                "oauth-identity.providers.acme.client-secret=" + SECRET,
                "oauth-identity.providers.acme.redirect-uri=https://app.example.test/cb",
                "oauth-identity.providers.acme.api-origins=https://api.acme.example");
        assertFailsNaming("oauth-identity.providers.acme.api-origins",
                "oauth-identity.providers.acme.type=generic",
                "oauth-identity.providers.acme.client-id=app",
                "oauth-identity.providers.acme.client-secret=" + SECRET,
                "oauth-identity.providers.acme.redirect-uri=https://app.example.test/cb",
                "oauth-identity.providers.acme.token-url=https://auth.acme.example/token");
    }

    @Test
    void whatOnlyTheVendorBuilderJudgesIsReportedAgainstTheProvider() {
        assertFailsNaming("oauth-identity.providers.work",
                "oauth-identity.providers.work.type=entra",
                "oauth-identity.providers.work.tenant=not/one/segment",
                "oauth-identity.providers.work.client-id=app",
                "oauth-identity.providers.work.client-secret=" + SECRET,
                "oauth-identity.providers.work.redirect-uri=https://app.example.test/cb");
    }

    @Test
    void noProviderAtAllIsNamed() {
        assertFailsNaming("oauth-identity.providers");
    }

    @Test
    void anUnknownTypeIsABindingFailureNamingTheProperty() {
        runner.withPropertyValues(gitlabWithout("type", "oauth-identity.providers.gitlab.type=gitlub")).run(context -> {
            assertThat(context).hasFailed();
            BindException e = findCause(context.getStartupFailure(), BindException.class);
            assertThat(e).isNotNull();
            assertThat(e.getProperty().getName().toString()).isEqualTo("oauth-identity.providers.gitlab.type");
        });
    }
}
