package org.oauthidentity.providers.gitlab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.CLIENT_ID;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.CLIENT_SECRET;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.REDIRECT_URI;

import okhttp3.HttpUrl;
import org.junit.jupiter.api.Test;
import org.oauthidentity.oauth2.ClientAuthentication;

/** Given a GitLab provider built wrong, when it is built, then it fails there and then, not at the first refresh. */
class GitLabBuildTest {

    @Test
    void defaultsToGitLabComWithCredentialsInTheFormBody() {
        GitLabProvider provider = GitLabProvider.builder()
                .clientId(CLIENT_ID).clientSecret(CLIENT_SECRET).redirectUri(REDIRECT_URI).build();

        assertThat(provider.key()).isEqualTo("gitlab");
        assertThat(provider.defaultInstance().settings().tokenUrl()).isEqualTo(HttpUrl.get("https://gitlab.com/oauth/token"));
        assertThat(provider.defaultInstance().settings().revocationUrl()).isEqualTo(HttpUrl.get("https://gitlab.com/oauth/revoke"));
        assertThat(provider.defaultInstance().settings().clientAuthentication()).isEqualTo(ClientAuthentication.CLIENT_SECRET_POST);
    }

    @Test
    void withoutClientIdNoProviderIsBuilt() {
        assertThatThrownBy(() -> GitLabProvider.builder().clientSecret(CLIENT_SECRET).redirectUri(REDIRECT_URI).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("clientId");
    }

    @Test
    void withoutClientSecretNoProviderIsBuiltBecauseGitLabWouldAnswerInvalidGrant() {
        assertThatThrownBy(() -> GitLabProvider.builder().clientId(CLIENT_ID).clientSecret(" ").redirectUri(REDIRECT_URI).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("clientSecret");
    }

    @Test
    void withoutRedirectUriNoProviderIsBuilt() {
        assertThatThrownBy(() -> GitLabProvider.builder().clientId(CLIENT_ID).clientSecret(CLIENT_SECRET).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("redirectUri");
        assertThatThrownBy(() -> GitLabProvider.builder().clientId(CLIENT_ID).clientSecret(CLIENT_SECRET)
                .redirectUri("/extensions/gitlab/setup/").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("redirectUri");
    }

    @Test
    void aPlainHttpInstanceIsRefusedExceptOnLoopback() {
        assertThatThrownBy(() -> GitLabFixtures.provider("http://gitlab.example.com").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("https");

        GitLabProvider onLoopback = GitLabFixtures.provider("http://127.0.0.1:8929/gitlab").build();
        assertThat(onLoopback.defaultInstance().settings().tokenUrl()).isEqualTo(HttpUrl.get("http://127.0.0.1:8929/gitlab/oauth/token"));
    }

    @Test
    void aMalformedDefaultInstanceOrAllowedHostIsRefused() {
        assertThatThrownBy(() -> GitLabFixtures.provider("https://gitlab.example.com/?a=b").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("query");
        assertThatThrownBy(() -> GitLabFixtures.provider("https://gitlab.com").allowedHosts("https://gitlab.example.com"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bare host name");
        assertThatThrownBy(() -> GitLabFixtures.provider("https://gitlab.com").allowedHosts("gitlab.example.com:8443"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bare host name");
    }

    @Test
    void toStringNeverPrintsTheSecret() {
        GitLabProvider provider = GitLabFixtures.provider("https://gitlab.com").build();

        assertThat(provider.toString()).doesNotContain(CLIENT_SECRET).contains("gitlab.com");
        assertThat(provider.defaultInstance().settings().toString()).doesNotContain(CLIENT_SECRET);
    }

    @Test
    void anInstanceConfiguredTwiceOrWithoutItsOwnCredentialsIsRefused() {
        assertThatThrownBy(() -> GitLabFixtures.provider("https://gitlab.com")
                .instance("https://GITLAB.com/", "other-id", "other-secret", "https://app.example.com/other").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("configured twice");
        assertThatThrownBy(() -> GitLabFixtures.provider("https://gitlab.com")
                .instance("https://gitlab.example.com", "other-id", " ", "https://app.example.com/other").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("clientSecret");
        assertThatThrownBy(() -> GitLabFixtures.provider("https://gitlab.com")
                .instance("https://gitlab.example.com", "other-id", "other-secret", null).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("redirectUri");
        assertThatThrownBy(() -> GitLabFixtures.provider("https://gitlab.com")
                .instance("http://gitlab.example.com", "other-id", "other-secret", "https://app.example.com/other").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("https");
    }

    @Test
    void twoInstancesSharingARedirectUriAreRefusedBecauseTheFlowCouldNotTellThemApart() {
        assertThatThrownBy(() -> GitLabFixtures.provider("https://gitlab.com")
                .instance("https://gitlab.example.com", "other-id", "other-secret", REDIRECT_URI).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("redirect URI");
    }

    @Test
    void toStringNamesTheInstancesButNoSecret() {
        GitLabProvider provider = GitLabFixtures.provider("https://gitlab.com")
                .instance("https://gitlab.example.com/gitlab", "other-id", "other-secret-123", "https://app.example.com/o")
                .build();

        assertThat(provider.toString()).contains("gitlab.com", "gitlab.example.com/gitlab/")
                .doesNotContain(CLIENT_SECRET).doesNotContain("other-secret-123");
    }
}
