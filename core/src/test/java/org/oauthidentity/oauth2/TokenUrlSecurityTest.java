package org.oauthidentity.oauth2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.oauthidentity.oauth2.TokenEndpoint.exampleClient;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Token endpoints receive secrets: https only, plain http only on loopback (tests, demos). */
class TokenUrlSecurityTest {

    @ParameterizedTest
    @ValueSource(strings = {
        "https://auth.example.com/oauth/token",
        "https://10.0.0.5:8443/token",
        "http://localhost:8080/token",
        "http://LOCALHOST/token",
        "http://127.0.0.1:9999/oauth/token",
        "http://127.45.6.7/token",
        "http://[::1]:8080/token"})
    void httpsAnywhereAndHttpOnLoopbackAreAccepted(String url) {
        OAuth2Settings settings = exampleClient().tokenUrl(url).build();

        assertThat(settings.tokenUrl().toString()).startsWith(url.substring(0, 5).toLowerCase());
        assertThat(OAuth2Provider.create(settings).settings().tokenUrl()).isEqualTo(settings.tokenUrl());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "http://auth.example.com/oauth/token",
        "http://10.0.0.5/token",
        "http://192.168.1.1/token",
        "http://0.0.0.0/token",
        "http://128.0.0.1/token",
        "http://localhost.example.com/token",
        "http://127.0.0.1.nip.io/token",
        "http://[::2]/token"})
    void plainHttpElsewhereIsRefusedWhenTheSettingsAreBuilt(String url) {
        assertThatThrownBy(() -> exampleClient().tokenUrl(url).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("token URL must use https")
                .hasMessageContaining("loopback");
    }

    @Test
    void theRevocationUrlIsHeldToTheSameRule() {
        assertThatThrownBy(() -> exampleClient().tokenUrl("https://auth.example.com/token")
                .revocationUrl("http://auth.example.com/revoke").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("revocation URL must use https");
    }

    @ParameterizedTest
    @ValueSource(strings = {"ftp://auth.example.com/token", "auth.example.com/token", "https://"})
    void somethingThatIsNoHttpUrlIsRefusedAndNamed(String url) {
        assertThatThrownBy(() -> exampleClient().tokenUrl(url).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("token URL is not an http(s) URL");
    }

    @Test
    void theRefusalNeverRepeatsCredentialsOrQueryFromTheUrl() {
        assertThatThrownBy(() -> exampleClient()
                .tokenUrl("http://user:url-password-123@auth.example.com/token?client_secret=query-secret-456").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("auth.example.com")
                .message().doesNotContain("url-password-123").doesNotContain("query-secret-456");
        assertThatThrownBy(() -> exampleClient().tokenUrl("ftp://user:url-password-123@auth.example.com/token").build())
                .isInstanceOf(IllegalArgumentException.class)
                .message().doesNotContain("url-password-123");
    }

    @Test
    void aProviderNeedsATokenUrl() {
        assertThatThrownBy(() -> OAuth2Provider.create(exampleClient().build()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("token URL is required");
    }

    @Test
    void endpointsCanBeCheckedDirectlyByVendorModules() {
        assertThat(Endpoints.isLoopback("127.0.0.1")).isTrue();
        assertThat(Endpoints.isLoopback("::1")).isTrue();
        assertThat(Endpoints.isLoopback("localhost")).isTrue();
        assertThat(Endpoints.isLoopback("gitlab.example.com")).isFalse();
        assertThatThrownBy(() -> Endpoints.requireSecure("http://gitlab.example.com/oauth/token", "GitLab token URL"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("GitLab token URL must use https");
    }
}
