package org.oauthidentity.providers.gitlab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.CLIENT_ID;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.CLIENT_SECRET;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.CURRENT_GITLAB_TOKEN;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.NEW_ACCESS_TOKEN;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.OLD_REFRESH_TOKEN;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.REDIRECT_URI;
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
 * Given one provider serving GitLab instances on loopback servers (one under a sub-path), each with the OAuth
 * application registered there, when identities are refreshed and revoked, then each request goes to the identity's
 * own instance with that instance's client credentials, and an identity naming any other instance fails before
 * anything is sent: the client secret goes only where it was configured to go.
 */
class GitLabInstancesTest {
    static final String SELF_MANAGED_CLIENT_ID = "5e1f0000000000000000000000000000000000000000000000000000000000aa";
    static final String SELF_MANAGED_SECRET = "gloas-self-managed-0000000000000000000000000000000000000000000000000bb";
    static final String SELF_MANAGED_REDIRECT_URI = "https://sentry.example.com/extensions/gitlab/self-managed/setup/";

    private final MockWebServer gitlabCom = new MockWebServer();
    private final MockWebServer selfManaged = new MockWebServer();
    /** An instance no one configured: whatever an identity says, it must never see a request. */
    private final MockWebServer foreign = new MockWebServer();

    @BeforeEach
    void start() throws Exception {
        gitlabCom.start();
        selfManaged.start();
        foreign.start();
    }

    @AfterEach
    void stop() {
        gitlabCom.close();
        selfManaged.close();
        foreign.close();
    }

    private GitLabProvider twoInstances() {
        return GitLabFixtures.provider(gitlabCom.url("/").toString())
                .instance(selfManaged.url("/gitlab").toString(), SELF_MANAGED_CLIENT_ID, SELF_MANAGED_SECRET,
                        SELF_MANAGED_REDIRECT_URI)
                .build();
    }

    @Test
    void eachIdentityIsRefreshedAtItsOwnInstanceWithOnlyThatInstancesCredentials() throws Exception {
        GitLabProvider provider = twoInstances();
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
                .containsEntry("client_id", SELF_MANAGED_CLIENT_ID)
                .containsEntry("client_secret", SELF_MANAGED_SECRET)
                .containsEntry("redirect_uri", SELF_MANAGED_REDIRECT_URI);
        assertThat(toSelfManaged.getBody().utf8()).doesNotContain(CLIENT_SECRET).doesNotContain(CLIENT_ID);
        RecordedRequest toGitLabCom = gitlabCom.takeRequest();
        assertThat(toGitLabCom.getUrl().encodedPath()).isEqualTo("/oauth/token");
        assertThat(form(toGitLabCom)).containsEntry("client_id", CLIENT_ID).containsEntry("client_secret", CLIENT_SECRET)
                .containsEntry("redirect_uri", REDIRECT_URI);
        assertThat(toGitLabCom.getBody().utf8()).doesNotContain(SELF_MANAGED_SECRET).doesNotContain(SELF_MANAGED_CLIENT_ID);
        assertThat(selfManaged.getRequestCount()).isEqualTo(1);
        assertThat(gitlabCom.getRequestCount()).isEqualTo(1);
        assertThat(refreshedSelfManaged.extras()).as("the instance stays with the identity")
                .containsEntry(GitLabProvider.BASE_URL_EXTRA, selfManagedBase);
        assertThat(refreshedSelfManaged.accessToken()).isEqualTo(NEW_ACCESS_TOKEN);
        assertThat(refreshedGitLabCom.extras()).doesNotContainKey(GitLabProvider.BASE_URL_EXTRA);
    }

    @Test
    void byDefaultAnIdentityNamingAnotherInstanceFailsAndThatInstanceSeesNothing() throws Exception {
        GitLabProvider provider = twoInstances();
        Identity elsewhere = identity().extra(GitLabProvider.BASE_URL_EXTRA, foreign.url("/").toString()).build();

        for (ThrowingCall call : new ThrowingCall[] {
                () -> provider.refresh(elsewhere), () -> provider.revoke(elsewhere), () -> provider.baseUrl(elsewhere)}) {
            assertThatThrownBy(call::run)
                    .isInstanceOf(ProviderConfigurationException.class)
                    .hasMessageContaining("identity-1")
                    .hasMessageContaining("does not serve")
                    .hasMessageContaining("nothing was sent")
                    .hasMessageNotContaining(CLIENT_SECRET).hasMessageNotContaining(SELF_MANAGED_SECRET)
                    .satisfies(e -> assertThat(((ProviderConfigurationException) e).concernsOneIdentity())
                            .as("this identity's problem: a sweep goes on with the others").isTrue());
        }

        assertThat(foreign.getRequestCount()).as("the foreign instance got nothing").isZero();
        assertThat(gitlabCom.getRequestCount()).as("never falls back to the default instance").isZero();
        assertThat(selfManaged.getRequestCount()).isZero();
    }

    @Test
    void anotherPathOrPortOnAConfiguredHostIsAnotherInstanceAndIsRefused() {
        GitLabProvider provider = twoInstances();

        for (String other : new String[] {
                selfManaged.url("/other-gitlab/").toString(),   // the same server, another application's path
                selfManaged.url("/").toString(),
                gitlabCom.url("/gitlab/").toString()}) {
            assertThatThrownBy(() -> provider.refresh(identity().extra(GitLabProvider.BASE_URL_EXTRA, other).build()))
                    .as(other).isInstanceOf(ProviderConfigurationException.class);
        }

        assertThat(selfManaged.getRequestCount()).isZero();
        assertThat(gitlabCom.getRequestCount()).isZero();
    }

    @Test
    void aConfiguredDefaultUnderASubPathIsNormalised() throws Exception {
        GitLabProvider provider = GitLabFixtures.provider(selfManaged.url("/gitlab//").toString()).build();
        selfManaged.enqueue(json(200, CURRENT_GITLAB_TOKEN));

        provider.refresh(identity().build());

        assertThat(selfManaged.takeRequest().getUrl().encodedPath()).isEqualTo("/gitlab/oauth/token");
    }

    @Test
    void revocationGoesToTheIdentitysInstanceWithItsCredentials() throws Exception {
        GitLabProvider provider = twoInstances();
        selfManaged.enqueue(json(200, "{}"));

        provider.revoke(identity().extra(GitLabProvider.BASE_URL_EXTRA, selfManaged.url("/gitlab").toString()).build());

        RecordedRequest revocation = selfManaged.takeRequest();
        assertThat(revocation.getUrl().encodedPath()).isEqualTo("/gitlab/oauth/revoke");
        assertThat(form(revocation)).containsEntry("client_id", SELF_MANAGED_CLIENT_ID)
                .containsEntry("client_secret", SELF_MANAGED_SECRET);
        assertThat(gitlabCom.getRequestCount()).isZero();
    }

    @Test
    void spellingsOfOneInstanceNormaliseToOneBaseUrl() throws Exception {
        GitLabProvider provider = GitLabFixtures.provider("https://gitlab.com")
                .instance("https://example.com/gitlab", SELF_MANAGED_CLIENT_ID, SELF_MANAGED_SECRET,
                        SELF_MANAGED_REDIRECT_URI)
                .build();
        HttpUrl expected = HttpUrl.get("https://example.com/gitlab/");

        for (String spelling : new String[] {"https://example.com/gitlab", "https://example.com/gitlab/",
                "https://EXAMPLE.com/gitlab//", " https://example.com:443/gitlab "}) {
            assertThat(provider.baseUrl(identity().extra(GitLabProvider.BASE_URL_EXTRA, spelling).build()))
                    .as(spelling).isEqualTo(expected);
        }
        assertThat(provider.baseUrl(identity().build())).isEqualTo(HttpUrl.get("https://gitlab.com/"));
        assertThat(provider.baseUrl(identity().extra(GitLabProvider.BASE_URL_EXTRA, "https://GitLab.com").build()))
                .as("the default instance named explicitly").isEqualTo(HttpUrl.get("https://gitlab.com/"));
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
        GitLabProvider provider = GitLabFixtures.provider(gitlabCom.url("/").toString())
                .allowedHosts("gitlab.example.com").build();
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
    void anAllowedHostUsesTheDefaultApplicationAndNoOtherHostDoes() throws Exception {
        // Both servers listen on loopback; "localhost" is allowed and 127.0.0.1 is not.
        GitLabProvider provider = GitLabFixtures.provider("https://gitlab.com").allowedHosts("localhost").build();
        String allowed = "http://localhost:" + selfManaged.getPort() + "/gitlab";
        String notAllowed = "http://127.0.0.1:" + foreign.getPort() + "/";
        selfManaged.enqueue(json(200, CURRENT_GITLAB_TOKEN));

        provider.refresh(identity().extra(GitLabProvider.BASE_URL_EXTRA, allowed).build());
        assertThatThrownBy(() -> provider.refresh(identity().extra(GitLabProvider.BASE_URL_EXTRA, notAllowed).build()))
                .isInstanceOf(ProviderConfigurationException.class)
                .hasMessageContaining("127.0.0.1")
                .satisfies(e -> assertThat(((ProviderConfigurationException) e).concernsOneIdentity()).isTrue());

        assertThat(form(selfManaged.takeRequest())).containsEntry("client_id", CLIENT_ID)
                .containsEntry("client_secret", CLIENT_SECRET);
        assertThat(selfManaged.getRequestCount()).isEqualTo(1);
        assertThat(foreign.getRequestCount()).isZero();
        assertThat(provider.baseUrl(identity().build())).as("the default instance is always served")
                .isEqualTo(HttpUrl.get("https://gitlab.com/"));
    }

    private interface ThrowingCall {
        void run() throws Exception;
    }
}
