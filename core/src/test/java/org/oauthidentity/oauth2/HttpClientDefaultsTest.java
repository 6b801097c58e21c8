package org.oauthidentity.oauth2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.oauthidentity.oauth2.TokenEndpoint.exampleClient;

import java.time.Duration;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;

/**
 * Given settings built without an HTTP client, when a token request is made, then it runs with bounded, documented
 * timeouts: no token request can hang forever. A client the caller gives keeps its own, except an unbounded call.
 */
class HttpClientDefaultsTest {

    @Test
    void theDefaultClientHasTheDocumentedTimeouts() {
        OkHttpClient http = exampleClient().tokenUrl("https://auth.example.com/token").build().httpClient();

        assertThat(Duration.ofMillis(http.connectTimeoutMillis())).isEqualTo(Duration.ofSeconds(10))
                .isEqualTo(OAuth2Settings.DEFAULT_CONNECT_TIMEOUT);
        assertThat(Duration.ofMillis(http.readTimeoutMillis())).isEqualTo(Duration.ofSeconds(15))
                .isEqualTo(OAuth2Settings.DEFAULT_READ_TIMEOUT);
        assertThat(Duration.ofMillis(http.writeTimeoutMillis())).isEqualTo(Duration.ofSeconds(15))
                .isEqualTo(OAuth2Settings.DEFAULT_WRITE_TIMEOUT);
        assertThat(Duration.ofMillis(http.callTimeoutMillis())).isEqualTo(Duration.ofSeconds(60))
                .isEqualTo(OAuth2Settings.DEFAULT_CALL_TIMEOUT);
        assertThat(http.followRedirects()).isFalse();
        assertThat(http.followSslRedirects()).isFalse();
    }

    @Test
    void theCallTimeoutBoundsTheOthersSoAnUnknownOutcomeIsRareButFinite() {
        // The read timeout is what turns a slow answer into an unknown outcome: well above a token endpoint's usual
        // answer time, and below the call timeout so a connect, a write and a read all fit in one call.
        assertThat(OAuth2Settings.DEFAULT_READ_TIMEOUT).isGreaterThanOrEqualTo(Duration.ofSeconds(10));
        assertThat(OAuth2Settings.DEFAULT_CONNECT_TIMEOUT.plus(OAuth2Settings.DEFAULT_WRITE_TIMEOUT)
                .plus(OAuth2Settings.DEFAULT_READ_TIMEOUT)).isLessThanOrEqualTo(OAuth2Settings.DEFAULT_CALL_TIMEOUT);
    }

    @Test
    void aGivenClientKeepsItsTimeoutsButGetsACallTimeoutWhenItHasNone() {
        OkHttpClient given = new OkHttpClient.Builder().readTimeout(Duration.ofSeconds(42)).build();

        OkHttpClient used = exampleClient().tokenUrl("https://auth.example.com/token").httpClient(given).build()
                .httpClient();

        assertThat(used.readTimeoutMillis()).isEqualTo(42_000);
        assertThat(used.connectTimeoutMillis()).isEqualTo(given.connectTimeoutMillis());
        assertThat(Duration.ofMillis(used.callTimeoutMillis())).isEqualTo(OAuth2Settings.DEFAULT_CALL_TIMEOUT);
        assertThat(given.callTimeoutMillis()).as("the caller's client is not changed").isZero();
        assertThat(used.connectionPool()).as("its pool is shared").isSameAs(given.connectionPool());
    }

    @Test
    void aGivenClientsOwnCallTimeoutIsKept() {
        OkHttpClient given = new OkHttpClient.Builder().callTimeout(Duration.ofSeconds(5)).build();

        OkHttpClient used = exampleClient().tokenUrl("https://auth.example.com/token").httpClient(given).build()
                .httpClient();

        assertThat(used.callTimeoutMillis()).isEqualTo(5_000);
    }
}
