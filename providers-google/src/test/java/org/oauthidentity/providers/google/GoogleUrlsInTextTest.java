package org.oauthidentity.providers.google;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.oauthidentity.providers.google.GoogleFixtures.CLIENT_ID;
import static org.oauthidentity.providers.google.GoogleFixtures.CLIENT_SECRET;

import org.junit.jupiter.api.Test;

/** Given a custom endpoint (an egress proxy), the provider prints it without anything that may be a credential. */
class GoogleUrlsInTextTest {

    @Test
    void toStringPrintsTheTokenUrlWithoutQueryOrFragment() {
        GoogleProvider provider = GoogleProvider.builder().clientId(CLIENT_ID).clientSecret(CLIENT_SECRET)
                .tokenUrl("https://proxy.example.com:8443/google/token?api_key=query-key-4711#frag-0815").build();

        assertThat(provider.toString()).contains("tokenUrl=https://proxy.example.com:8443/google/token")
                .doesNotContain("query-key-4711").doesNotContain("frag-0815").doesNotContain(CLIENT_SECRET);
    }

    @Test
    void anEndpointWithAUserNameOrPasswordIsRefused() {
        assertThatThrownBy(() -> GoogleProvider.builder().clientId(CLIENT_ID).clientSecret(CLIENT_SECRET)
                .tokenUrl("https://svc-user-77:url-password-123@proxy.example.com/token").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("token URL must not carry a user name or password")
                .message().doesNotContain("svc-user-77").doesNotContain("url-password-123");
        assertThatThrownBy(() -> GoogleProvider.builder().clientId(CLIENT_ID).clientSecret(CLIENT_SECRET)
                .revocationUrl("https://svc-user-77@proxy.example.com/revoke").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("revocation URL must not carry a user name or password")
                .message().doesNotContain("svc-user-77");
    }
}
