package org.oauthidentity.providers.google;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.oauthidentity.providers.google.GoogleFixtures.ACCESS_TOKEN;
import static org.oauthidentity.providers.google.GoogleFixtures.CLIENT_SECRET;
import static org.oauthidentity.providers.google.GoogleFixtures.REFRESH_TOKEN;
import static org.oauthidentity.providers.google.GoogleFixtures.error;
import static org.oauthidentity.providers.google.GoogleFixtures.form;
import static org.oauthidentity.providers.google.GoogleFixtures.identity;
import static org.oauthidentity.providers.google.GoogleFixtures.json;

import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.RefreshRejectedException;
import org.oauthidentity.TransientRefreshException;

/** Given a linked Google account, when it is unlinked, then its grant is revoked at Google. */
class GoogleRevokeTest {
    private final MockWebServer google = new MockWebServer();
    private GoogleProvider provider;

    @BeforeEach
    void start() throws Exception {
        google.start();
        provider = GoogleFixtures.provider(google).build();
    }

    @AfterEach
    void stop() {
        google.close();
    }

    @Test
    void revokePostsTheRefreshTokenAloneWithoutClientCredentials() throws Exception {
        google.enqueue(json(200, "{}"));

        provider.revoke(identity().build());

        RecordedRequest request = google.takeRequest();
        assertThat(request.getMethod()).isEqualTo("POST");
        assertThat(request.getUrl().encodedPath()).isEqualTo("/revoke");
        assertThat(request.getUrl().query()).isNull();
        assertThat(request.getHeaders().get("Content-Type")).startsWith("application/x-www-form-urlencoded");
        assertThat(request.getHeaders().get("Authorization")).isNull();
        assertThat(form(request)).containsOnlyKeys("token").containsEntry("token", REFRESH_TOKEN);
        assertThat(request.getBody().utf8()).doesNotContain(CLIENT_SECRET);
    }

    @Test
    void anIdentityWithoutRefreshTokenRevokesItsAccessToken() throws Exception {
        google.enqueue(json(200, "{}"));

        provider.revoke(identity().refreshToken(null).build());

        assertThat(form(google.takeRequest())).containsOnlyKeys("token").containsEntry("token", ACCESS_TOKEN);
    }

    @Test
    void aTokenGoogleCallsExpiredOrRevokedCountsAsAlreadyRevoked() throws Exception {
        google.enqueue(json(400, error("invalid_token", "Token expired or revoked")));

        provider.revoke(identity().build());

        assertThat(google.getRequestCount()).isEqualTo(1);
    }

    @Test
    void anyOtherRefusalIsReported() {
        google.enqueue(json(400, error("unsupported_token_type", "Unsupported token type")));

        assertThatThrownBy(() -> provider.revoke(identity().build()))
                .isInstanceOf(RefreshRejectedException.class)
                .hasMessageContaining("unsupported_token_type")
                .hasMessageNotContaining(REFRESH_TOKEN);
    }

    @Test
    void anOutageDuringRevocationIsTransient() {
        google.enqueue(new MockResponse.Builder().code(503).addHeader("Content-Type", "text/html")
                .body("<html><title>Error 503 (Service Unavailable)!!1</title></html>").build());

        assertThatThrownBy(() -> provider.revoke(identity().build())).isInstanceOf(TransientRefreshException.class);
    }
}
