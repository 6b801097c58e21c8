package org.oauthidentity.oauth2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.oauthidentity.oauth2.TokenEndpoint.exampleClient;

import java.util.Set;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Given a vendor server in a test environment reachable only over plain http on a non-loopback host (a GitLab in a
 * container), when the settings name it, then they are refused unless that very host was opted in; the opt-in opens
 * that host and no other. No request is made: the URLs are only validated.
 */
class PlainHttpOptInTest {
    static final String CI_TOKEN_URL = "http://gitlab.ci.internal/oauth/token";

    @Test
    void withoutTheOptInPlainHttpToANonLoopbackHostIsRefusedAsBefore() {
        assertThatThrownBy(() -> exampleClient().tokenUrl(CI_TOKEN_URL).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("token URL must use https")
                .hasMessageContaining("dangerouslyAllowPlainHttp");
    }

    @Test
    void withTheOptInForThatHostEveryEndpointOnItIsAccepted() {
        OAuth2Settings settings = exampleClient()
                .dangerouslyAllowPlainHttp("gitlab.ci.internal")
                .tokenUrl(CI_TOKEN_URL)
                .revocationUrl("http://gitlab.ci.internal/oauth/revoke")
                .authorizationUrl("http://gitlab.ci.internal:8080/oauth/authorize")
                .build();

        assertThat(settings.tokenUrl()).isEqualTo(HttpUrl.get(CI_TOKEN_URL));
        assertThat(settings.plainHttpHosts()).containsExactly("gitlab.ci.internal");
        assertThat(OAuth2Provider.create(settings).settings().plainHttpHosts()).containsExactly("gitlab.ci.internal");
        assertThat(settings.toBuilder().build().plainHttpHosts()).as("kept by toBuilder")
                .containsExactly("gitlab.ci.internal");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "http://gitlab.example.com/oauth/token",       // another host
        "http://ci.internal/oauth/token",              // a parent domain: no wildcard
        "http://evil.gitlab.ci.internal/oauth/token",  // a sub-domain: no wildcard
        "http://gitlab.ci.internal.evil.com/oauth/token"})
    void theOptInIsPerHostNeverGlobal(String otherUrl) {
        assertThatThrownBy(() -> exampleClient().dangerouslyAllowPlainHttp("gitlab.ci.internal")
                .tokenUrl("https://auth.example.com/token").revocationUrl(otherUrl).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("revocation URL must use https");
        assertThatThrownBy(() -> exampleClient().dangerouslyAllowPlainHttp("gitlab.ci.internal").tokenUrl(otherUrl).build())
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theOptInOfOneSettingsObjectDoesNotLeakIntoAnother() {
        exampleClient().dangerouslyAllowPlainHttp("gitlab.ci.internal").tokenUrl(CI_TOKEN_URL).build();

        assertThatThrownBy(() -> exampleClient().tokenUrl(CI_TOKEN_URL).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Endpoints.requireSecure(HttpUrl.get(CI_TOKEN_URL), "token URL"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("token URL must use https (plain http is allowed only on loopback): " + CI_TOKEN_URL);
    }

    @Test
    void hostsAreComparedAsOkHttpSpellsThem() {
        assertThat(Endpoints.requireSecure("http://GitLab.CI.internal/oauth/token", "token URL",
                Set.of(Endpoints.hostName(" GitLab.CI.Internal ")))).isEqualTo(HttpUrl.get(CI_TOKEN_URL));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "http://gitlab.ci.internal", "gitlab.ci.internal:8080", "gitlab.ci.internal/",
        "gitlab.ci.internal/gitlab", "user@gitlab.ci.internal"})
    void onlyABareHostNameCanBeOptedIn(String notAHost) {
        assertThatThrownBy(() -> exampleClient().dangerouslyAllowPlainHttp(notAHost))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theOptInNeverAllowsCredentialsInTheUrl() {
        assertThatThrownBy(() -> exampleClient().dangerouslyAllowPlainHttp("gitlab.ci.internal")
                .tokenUrl("http://root:hunter2hunter2@gitlab.ci.internal/oauth/token").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("user name or password")
                .message().doesNotContain("hunter2hunter2");
    }
}
