package org.oauthidentity.providers.gitlab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.CLIENT_SECRET;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.CURRENT_GITLAB_TOKEN;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.NEW_ACCESS_TOKEN;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.OLD_REFRESH_TOKEN;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.form;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.identity;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.json;

import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.oauthidentity.Identity;
import org.oauthidentity.ProviderConfigurationException;

/**
 * Given one provider and identities on different GitLab instances (two loopback servers, one under a
 * sub-path), when they are refreshed, then each refresh goes to its own instance's token endpoint; an
 * identity naming an unusable instance fails before anything is sent.
 */
class GitLabInstancesTest {
    private final MockWebServer gitlabCom = new MockWebServer();
    private final MockWebServer selfManaged = new MockWebServer();

    @BeforeEach
    void start() throws Exception {
        gitlabCom.start();
        selfManaged.start();
    }

    @AfterEach
    void stop() {
        gitlabCom.close();
        selfManaged.close();
    }

    @Test
    void eachIdentityIsRefreshedAtItsOwnInstanceSubPathIncluded() throws Exception {
        GitLabProvider provider = GitLabFixtures.provider(gitlabCom.url("/").toString()).build();
        gitlabCom.enqueue(json(200, CURRENT_GITLAB_TOKEN));
        selfManaged.enqueue(json(200, CURRENT_GITLAB_TOKEN));
        Identity onGitLabCom = identity().id("on-default").build();
        // A self-managed GitLab served under https://example.com/gitlab, stored with a trailing slash.
        String selfManagedBase = selfManaged.url("/gitlab/").toString();
        Identity onSelfManaged = identity().id("on-self-managed").extra(GitLabProvider.BASE_URL_EXTRA, selfManagedBase).build();

        Identity refreshedSelfManaged = provider.refresh(onSelfManaged);
        Identity refreshedGitLabCom = provider.refresh(onGitLabCom);

        RecordedRequest toSelfManaged = selfManaged.takeRequest();
        assertThat(toSelfManaged.getUrl().encodedPath()).isEqualTo("/gitlab/oauth/token");
        assertThat(form(toSelfManaged)).containsEntry("refresh_token", OLD_REFRESH_TOKEN)
                .containsEntry("client_secret", CLIENT_SECRET);
        assertThat(gitlabCom.takeRequest().getUrl().encodedPath()).isEqualTo("/oauth/token");
        assertThat(selfManaged.getRequestCount()).isEqualTo(1);
        assertThat(gitlabCom.getRequestCount()).isEqualTo(1);
        assertThat(refreshedSelfManaged.extras()).as("the instance stays with the identity")
                .containsEntry(GitLabProvider.BASE_URL_EXTRA, selfManagedBase);
        assertThat(refreshedSelfManaged.accessToken()).isEqualTo(NEW_ACCESS_TOKEN);
        assertThat(refreshedGitLabCom.extras()).doesNotContainKey(GitLabProvider.BASE_URL_EXTRA);
    }

    @Test
    void aConfiguredDefaultUnderASubPathIsNormalised() throws Exception {
        GitLabProvider provider = GitLabFixtures.provider(selfManaged.url("/gitlab//").toString()).build();
        selfManaged.enqueue(json(200, CURRENT_GITLAB_TOKEN));

        provider.refresh(identity().build());

        assertThat(selfManaged.takeRequest().getUrl().encodedPath()).isEqualTo("/gitlab/oauth/token");
    }

    @Test
    void revocationGoesToTheIdentitysInstanceToo() throws Exception {
        GitLabProvider provider = GitLabFixtures.provider(gitlabCom.url("/").toString()).build();
        selfManaged.enqueue(json(200, "{}"));

        provider.revoke(identity().extra(GitLabProvider.BASE_URL_EXTRA, selfManaged.url("/gitlab").toString()).build());

        assertThat(selfManaged.takeRequest().getUrl().encodedPath()).isEqualTo("/gitlab/oauth/revoke");
        assertThat(gitlabCom.getRequestCount()).isZero();
    }

    @Test
    void spellingsOfOneInstanceNormaliseToOneBaseUrl() throws Exception {
        GitLabProvider provider = GitLabFixtures.provider("https://gitlab.com").build();
        HttpUrl expected = HttpUrl.get("https://example.com/gitlab/");

        for (String spelling : new String[] {"https://example.com/gitlab", "https://example.com/gitlab/",
                "https://EXAMPLE.com/gitlab//", " https://example.com:443/gitlab "}) {
            assertThat(provider.baseUrl(identity().extra(GitLabProvider.BASE_URL_EXTRA, spelling).build()))
                    .as(spelling).isEqualTo(expected);
        }
        assertThat(provider.baseUrl(identity().build())).isEqualTo(HttpUrl.get("https://gitlab.com/"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "http://gitlab.example.com",             // plain http off loopback would expose the client secret
            "ftp://gitlab.example.com",
            "gitlab.example.com",                    // not absolute
            "",
            "   ",
            "https://root:hunter2hunter2@gitlab.example.com", // credentials in the URL
            "https://gitlab.example.com/?next=/evil",
            "https://gitlab.example.com/#fragment",
    })
    void anIdentityNamingAnUnusableInstanceIsAConfigurationErrorAndNothingIsSent(String badBaseUrl) {
        GitLabProvider provider = GitLabFixtures.provider(gitlabCom.url("/").toString()).build();
        Identity identity = identity().extra(GitLabProvider.BASE_URL_EXTRA, badBaseUrl).build();

        assertThatThrownBy(() -> provider.refresh(identity))
                .isInstanceOf(ProviderConfigurationException.class)
                .hasMessageContaining("identity-1")
                .hasMessageContaining(GitLabProvider.BASE_URL_EXTRA)
                .hasMessageNotContaining("hunter2hunter2")
                .satisfies(e -> assertThat(((ProviderConfigurationException) e).concernsOneIdentity())
                        .as("this identity's problem: a sweep goes on with the others").isTrue());
        assertThatThrownBy(() -> provider.revoke(identity)).isInstanceOf(ProviderConfigurationException.class);
        assertThat(gitlabCom.getRequestCount()).as("never falls back to the default instance").isZero();
    }

    @Test
    void withAllowedHostsAnIdentityOnAnotherHostIsRefusedBeforeAnythingIsSent() throws Exception {
        // Both servers listen on loopback; "localhost" is allowed and 127.0.0.1 is not.
        GitLabProvider provider = GitLabFixtures.provider("https://gitlab.com").allowedHosts("localhost").build();
        String allowed = "http://localhost:" + selfManaged.getPort() + "/gitlab";
        String notAllowed = "http://127.0.0.1:" + gitlabCom.getPort() + "/";
        selfManaged.enqueue(json(200, CURRENT_GITLAB_TOKEN));

        provider.refresh(identity().extra(GitLabProvider.BASE_URL_EXTRA, allowed).build());
        assertThatThrownBy(() -> provider.refresh(identity().extra(GitLabProvider.BASE_URL_EXTRA, notAllowed).build()))
                .isInstanceOf(ProviderConfigurationException.class)
                .hasMessageContaining("127.0.0.1 is not among the allowed hosts")
                .satisfies(e -> assertThat(((ProviderConfigurationException) e).concernsOneIdentity()).isTrue());

        assertThat(selfManaged.getRequestCount()).isEqualTo(1);
        assertThat(gitlabCom.getRequestCount()).isZero();
        assertThat(provider.baseUrl(identity().build())).as("the default instance is always allowed")
                .isEqualTo(HttpUrl.get("https://gitlab.com/"));
    }
}
