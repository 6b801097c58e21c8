package org.oauthidentity.providers.google;

import static org.assertj.core.api.Assertions.assertThat;
import static org.oauthidentity.providers.google.GoogleFixtures.CLIENT_ID;
import static org.oauthidentity.providers.google.GoogleFixtures.CLIENT_SECRET;
import static org.oauthidentity.providers.google.GoogleFixtures.ID_TOKEN;
import static org.oauthidentity.providers.google.GoogleFixtures.NEW_ACCESS_TOKEN;
import static org.oauthidentity.providers.google.GoogleFixtures.NOW;
import static org.oauthidentity.providers.google.GoogleFixtures.REFRESH_TOKEN;
import static org.oauthidentity.providers.google.GoogleFixtures.TOKEN;
import static org.oauthidentity.providers.google.GoogleFixtures.TOKEN_WITHOUT_ID_TOKEN;
import static org.oauthidentity.providers.google.GoogleFixtures.form;
import static org.oauthidentity.providers.google.GoogleFixtures.identity;
import static org.oauthidentity.providers.google.GoogleFixtures.json;

import java.util.Map;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;

/** Given a Google identity whose access token expired, when it is refreshed, then Google sees its request shape and nothing rotates. */
class GoogleRefreshTest {
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
    void refreshPostsExactlyTheFourFieldsGoogleDocumentsAndNoBasicHeader() throws Exception {
        google.enqueue(json(200, TOKEN));

        provider.refresh(identity().build());

        RecordedRequest request = google.takeRequest();
        assertThat(request.getMethod()).isEqualTo("POST");
        assertThat(request.getUrl().encodedPath()).isEqualTo("/token");
        assertThat(request.getUrl().query()).as("secrets never in the URL").isNull();
        assertThat(request.getHeaders().get("Content-Type")).startsWith("application/x-www-form-urlencoded");
        assertThat(request.getHeaders().get("Authorization")).isNull();
        Map<String, String> form = form(request);
        assertThat(form).containsOnlyKeys("grant_type", "refresh_token", "client_id", "client_secret");
        assertThat(form)
                .containsEntry("grant_type", "refresh_token")
                .containsEntry("refresh_token", REFRESH_TOKEN)
                .containsEntry("client_id", CLIENT_ID)
                .containsEntry("client_secret", CLIENT_SECRET);
        assertThat(google.getRequestCount()).isEqualTo(1);
    }

    @Test
    void googleDoesNotRotateSoTheStoredRefreshTokenIsKept() throws Exception {
        google.enqueue(json(200, TOKEN_WITHOUT_ID_TOKEN));

        Identity after = provider.refresh(identity().build());

        assertThat(after.accessToken()).isEqualTo(NEW_ACCESS_TOKEN);
        assertThat(after.refreshToken()).contains(REFRESH_TOKEN);
        // No created_at from Google: expiry counts from the request start (the injected clock).
        assertThat(after.expiresAt()).contains(NOW.plusSeconds(3599));
        assertThat(after.scopes()).containsExactly("https://www.googleapis.com/auth/drive.readonly");
        assertThat(after.extras()).doesNotContainKey(GoogleProvider.ID_TOKEN_EXTRA);
    }

    @Test
    void theIdTokenOfAnOpenIdGrantIsKeptInTheExtrasAndNeverPrinted() throws Exception {
        google.enqueue(json(200, TOKEN));

        Identity after = provider.refresh(identity().build());

        assertThat(after.extras()).containsEntry(GoogleProvider.ID_TOKEN_EXTRA, ID_TOKEN);
        assertThat(after.refreshToken()).contains(REFRESH_TOKEN);
        assertThat(after.scopes()).contains("openid", "https://www.googleapis.com/auth/userinfo.email");
        assertThat(after.toString()).doesNotContain(ID_TOKEN, NEW_ACCESS_TOKEN, REFRESH_TOKEN);
    }
}
