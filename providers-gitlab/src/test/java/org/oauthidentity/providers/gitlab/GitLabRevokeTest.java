package org.oauthidentity.providers.gitlab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.CLIENT_ID;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.CLIENT_SECRET;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.INVALID_CLIENT;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.OLD_REFRESH_TOKEN;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.form;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.identity;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.json;

import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.ProviderConfigurationException;

/** Given a linked GitLab identity, when the account is unlinked, then the grant is revoked at GitLab (RFC 7009). */
class GitLabRevokeTest {
    private final MockWebServer gitlab = new MockWebServer();
    private GitLabProvider provider;

    @BeforeEach
    void start() throws Exception {
        gitlab.start();
        provider = GitLabFixtures.provider(gitlab.url("/").toString()).build();
    }

    @AfterEach
    void stop() {
        gitlab.close();
    }

    @Test
    void revokePostsTheRefreshTokenWithClientCredentialsToOauthRevoke() throws Exception {
        gitlab.enqueue(json(200, "{}"));

        provider.revoke(identity().build());

        RecordedRequest request = gitlab.takeRequest();
        assertThat(request.getMethod()).isEqualTo("POST");
        assertThat(request.getUrl().encodedPath()).isEqualTo("/oauth/revoke");
        assertThat(request.getHeaders().get("Authorization")).isNull();
        assertThat(form(request)).containsOnlyKeys("token", "token_type_hint", "client_id", "client_secret")
                .containsEntry("token", OLD_REFRESH_TOKEN)
                .containsEntry("token_type_hint", "refresh_token")
                .containsEntry("client_id", CLIENT_ID)
                .containsEntry("client_secret", CLIENT_SECRET);
    }

    @Test
    void revokeWithRejectedClientCredentialsIsAConfigurationError() {
        gitlab.enqueue(json(401, INVALID_CLIENT));

        assertThatThrownBy(() -> provider.revoke(identity().build()))
                .isInstanceOf(ProviderConfigurationException.class)
                .hasMessageContaining("invalid_client")
                .hasMessageNotContaining(CLIENT_SECRET);
    }
}
