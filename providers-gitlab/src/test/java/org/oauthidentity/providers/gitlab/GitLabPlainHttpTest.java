package org.oauthidentity.providers.gitlab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.identity;

import okhttp3.HttpUrl;
import org.junit.jupiter.api.Test;
import org.oauthidentity.ProviderConfigurationException;

/**
 * Given a GitLab in a test environment served over plain http on a non-loopback host ({@code gitlab.ci.internal},
 * never called here: only URLs are validated), when a provider is built for it, then it is refused unless that host
 * was opted in by name, and the opt-in opens that host only and serves no instance by itself.
 */
class GitLabPlainHttpTest {
    static final String CI_GITLAB = "http://gitlab.ci.internal/gitlab";

    @Test
    void withoutTheOptInAPlainHttpInstanceIsRefused() {
        assertThatThrownBy(() -> GitLabFixtures.provider(CI_GITLAB).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must use https")
                .hasMessageContaining("dangerouslyAllowPlainHttp");
        assertThatThrownBy(() -> GitLabFixtures.provider("https://gitlab.com")
                .instance(CI_GITLAB, "ci-id", "ci-secret", "http://localhost/callback").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must use https");
    }

    @Test
    void withTheOptInThatHostsInstanceIsAccepted() throws Exception {
        GitLabProvider asDefault = GitLabFixtures.provider(CI_GITLAB).dangerouslyAllowPlainHttp("gitlab.ci.internal")
                .build();
        GitLabProvider asInstance = GitLabFixtures.provider("https://gitlab.com")
                .dangerouslyAllowPlainHttp("gitlab.ci.internal")
                .instance(CI_GITLAB, "ci-id", "ci-secret", "http://localhost/callback")
                .build();

        assertThat(asDefault.defaultInstance().settings().tokenUrl())
                .isEqualTo(HttpUrl.get("http://gitlab.ci.internal/gitlab/oauth/token"));
        assertThat(asInstance.baseUrl(identity().extra(GitLabProvider.BASE_URL_EXTRA, CI_GITLAB).build()))
                .isEqualTo(HttpUrl.get("http://gitlab.ci.internal/gitlab/"));
        assertThat(asInstance.toString()).contains("plainHttpHosts=[gitlab.ci.internal]");
    }

    @Test
    void theOptInIsPerHost() throws Exception {
        GitLabProvider provider = GitLabFixtures.provider("https://gitlab.com")
                .dangerouslyAllowPlainHttp("gitlab.ci.internal")
                .allowedHosts("gitlab.ci.internal", "gitlab.example.com")
                .build();

        assertThatThrownBy(() -> provider.baseUrl(identity()
                .extra(GitLabProvider.BASE_URL_EXTRA, "http://gitlab.example.com/").build()))
                .isInstanceOf(ProviderConfigurationException.class)
                .hasMessageContaining("must use https");
        assertThat(provider.baseUrl(identity().extra(GitLabProvider.BASE_URL_EXTRA, "https://gitlab.example.com/").build()))
                .isEqualTo(HttpUrl.get("https://gitlab.example.com/"));
        assertThat(provider.baseUrl(identity().extra(GitLabProvider.BASE_URL_EXTRA, CI_GITLAB).build()))
                .isEqualTo(HttpUrl.get("http://gitlab.ci.internal/gitlab/"));
    }

    @Test
    void theOptInServesNoInstanceByItself() {
        GitLabProvider provider = GitLabFixtures.provider("https://gitlab.com")
                .dangerouslyAllowPlainHttp("gitlab.ci.internal").build();

        assertThatThrownBy(() -> provider.refresh(identity().extra(GitLabProvider.BASE_URL_EXTRA, CI_GITLAB).build()))
                .isInstanceOf(ProviderConfigurationException.class)
                .hasMessageContaining("does not serve");
    }

    @Test
    void onlyABareHostCanBeOptedIn() {
        assertThatThrownBy(() -> GitLabFixtures.provider(CI_GITLAB).dangerouslyAllowPlainHttp("http://gitlab.ci.internal"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bare host name");
        assertThatThrownBy(() -> GitLabFixtures.provider(CI_GITLAB).dangerouslyAllowPlainHttp("gitlab.ci.internal:8080"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bare host name");
    }
}
