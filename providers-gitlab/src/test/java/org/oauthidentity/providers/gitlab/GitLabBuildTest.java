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
        assertThat(provider.settings().tokenUrl()).isEqualTo(HttpUrl.get("https://gitlab.com/oauth/token"));
        assertThat(provider.settings().revocationUrl()).isEqualTo(HttpUrl.get("https://gitlab.com/oauth/revoke"));
        assertThat(provider.settings().clientAuthentication()).isEqualTo(ClientAuthentication.CLIENT_SECRET_POST);
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
        assertThat(onLoopback.settings().tokenUrl()).isEqualTo(HttpUrl.get("http://127.0.0.1:8929/gitlab/oauth/token"));
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
        assertThat(provider.settings().toString()).doesNotContain(CLIENT_SECRET);
    }
}
