package org.oauthidentity.providers.google;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.oauthidentity.providers.google.GoogleFixtures.CLIENT_ID;
import static org.oauthidentity.providers.google.GoogleFixtures.CLIENT_SECRET;

import okhttp3.HttpUrl;
import org.junit.jupiter.api.Test;
import org.oauthidentity.oauth2.ClientAuthentication;

/** Given a Google provider built wrong, when it is built, then it fails there and then, not at the first refresh. */
class GoogleBuildTest {

    @Test
    void defaultsToGooglesEndpointsWithCredentialsInTheFormBody() {
        GoogleProvider provider = GoogleProvider.builder().clientId(CLIENT_ID).clientSecret(CLIENT_SECRET).build();

        assertThat(provider.key()).isEqualTo("google");
        assertThat(provider.settings().tokenUrl()).isEqualTo(HttpUrl.get("https://oauth2.googleapis.com/token"));
        assertThat(provider.settings().revocationUrl()).isEqualTo(HttpUrl.get("https://oauth2.googleapis.com/revoke"));
        assertThat(provider.settings().clientAuthentication()).isEqualTo(ClientAuthentication.CLIENT_SECRET_POST);
    }

    @Test
    void withoutClientCredentialsNoProviderIsBuilt() {
        assertThatThrownBy(() -> GoogleProvider.builder().clientSecret(CLIENT_SECRET).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("clientId");
        assertThatThrownBy(() -> GoogleProvider.builder().clientId(CLIENT_ID).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("clientSecret");
    }

    @Test
    void aPlainHttpEndpointIsRefusedExceptOnLoopback() {
        assertThatThrownBy(() -> GoogleProvider.builder().clientId(CLIENT_ID).clientSecret(CLIENT_SECRET)
                .tokenUrl("http://oauth2.googleapis.com/token").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("https");
        assertThatThrownBy(() -> GoogleProvider.builder().clientId(CLIENT_ID).clientSecret(CLIENT_SECRET)
                .revocationUrl("http://oauth2.googleapis.com/revoke").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("https");
        assertThatThrownBy(() -> GoogleProvider.builder().clientId(CLIENT_ID).clientSecret(CLIENT_SECRET)
                .tokenUrl(null).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("token URL");

        GoogleProvider onLoopback = GoogleProvider.builder().clientId(CLIENT_ID).clientSecret(CLIENT_SECRET)
                .tokenUrl("http://127.0.0.1:8080/token").build();
        assertThat(onLoopback.settings().tokenUrl()).isEqualTo(HttpUrl.get("http://127.0.0.1:8080/token"));
    }

    @Test
    void toStringNeverPrintsTheSecret() {
        GoogleProvider provider = GoogleProvider.builder().clientId(CLIENT_ID).clientSecret(CLIENT_SECRET).build();

        assertThat(provider.toString()).doesNotContain(CLIENT_SECRET).contains(CLIENT_ID);
    }
}
