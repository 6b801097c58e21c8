package org.oauthidentity.providers.vsts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.oauthidentity.providers.vsts.VendorFixtures.LEGACY_CLIENT_SECRET;
import static org.oauthidentity.providers.vsts.VendorFixtures.NOW;
import static org.oauthidentity.providers.vsts.VendorFixtures.OLD_ACCESS_TOKEN;
import static org.oauthidentity.providers.vsts.VendorFixtures.OLD_REFRESH_TOKEN;
import static org.oauthidentity.providers.vsts.VendorFixtures.REDIRECT_URI;
import static org.oauthidentity.providers.vsts.VendorFixtures.json;

import java.time.Duration;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.Provider;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.RefreshException;
import org.oauthidentity.RefreshRejectedException;
import org.oauthidentity.TransientRefreshException;
import org.oauthidentity.testing.ManualClock;

/** Legacy Azure DevOps OAuth: each way the token endpoint refuses, and what the caller sees. */
class LegacyErrorMappingTest {
    private MockWebServer server;
    private Provider provider;

    @BeforeEach
    void startVendor() throws Exception {
        server = new MockWebServer();
        server.start();
        provider = AzureDevOps.legacy()
                .clientSecret(LEGACY_CLIENT_SECRET)
                .redirectUri(REDIRECT_URI)
                .tokenUrl(server.url("/oauth2/token").toString())
                .clock(ManualClock.at(NOW))
                .build();
    }

    @AfterEach
    void stopVendor() {
        server.close();
    }

    @Test
    void invalidGrantInPascalCaseMeansTheIdentityIsGone() {
        server.enqueue(json(400, "{\"Error\":\"invalid_grant\",\"ErrorDescription\":\"The refresh token has been revoked.\"}"));

        IdentityNotValid e = refreshFails(IdentityNotValid.class);

        assertThat(e.httpStatus()).isEqualTo(400);
        assertThat(e.error()).contains("invalid_grant");
        assertThat(e.errorDescription()).contains("The refresh token has been revoked.");
        assertThat(e).hasMessage("HTTP 400 (invalid_grant): The refresh token has been revoked.");
    }

    @Test
    void invalidGrantInRfcSpellingMeansTheIdentityIsGone() {
        server.enqueue(json(400, "{\"error\":\"invalid_grant\",\"error_description\":\"Refresh token is expired.\"}"));

        IdentityNotValid e = refreshFails(IdentityNotValid.class);

        assertThat(e.error()).contains("invalid_grant");
        assertThat(e.errorDescription()).contains("Refresh token is expired.");
    }

    @Test
    void unauthorizedWithAnEmptyBodyIsConfigurationNotARevocation() {
        // RFC 6749 §5.2: a 401 is client authentication; only invalid_grant speaks of the identity.
        server.enqueue(new MockResponse.Builder().code(401).body("").build());

        ProviderConfigurationException e = refreshFails(ProviderConfigurationException.class);

        assertThat(e.httpStatus()).isEqualTo(401);
        assertThat(e.error()).isEmpty();
        assertThat(e.getMessage()).contains("Client Secret", "identities are not affected");
    }

    @Test
    void unauthorizedInvalidClientForTheWrongSecretKindIsConfigurationNotTheIdentitysFault() {
        // What Azure DevOps answers when the App ID or the App Secret is configured instead of the Client Secret.
        server.enqueue(json(401, "{\"Error\":\"invalid_client\",\"ErrorDescription\":\"Failed to deserialize the JsonWebToken object.\"}"));

        RefreshException e = refreshFails(RefreshException.class);

        assertThat(e).isExactlyInstanceOf(ProviderConfigurationException.class);
        assertThat(e.error()).contains("invalid_client");
        assertThat(e.getMessage())
                .startsWith("HTTP 401 (invalid_client): Failed to deserialize the JsonWebToken object.")
                .contains("Client Secret", "not the App ID", "expired", "60 days", "identities are not affected");
    }

    @Test
    void invalidClientForAnExpiredAppSecretIsConfiguration() {
        server.enqueue(json(400, "{\"Error\":\"invalid_client\",\"ErrorDescription\":\"The client secret of the application has expired.\"}"));

        ProviderConfigurationException e = refreshFails(ProviderConfigurationException.class);

        assertThat(e.error()).contains("invalid_client");
        assertThat(e.getMessage()).contains("has not expired", "rotate it");
    }

    @Test
    void anExpiredAppSecretReportedAsInvalidRequestIsConfigurationToo() {
        // Azure DevOps' own wording for an app whose secret ran out.
        server.enqueue(json(400, "{\"Error\":\"invalid_request\",\"ErrorDescription\":\"Client secret is expired.\"}"));

        RefreshException e = refreshFails(RefreshException.class);

        assertThat(e).isExactlyInstanceOf(ProviderConfigurationException.class);
        assertThat(e.error()).contains("invalid_request");
        assertThat(e.getMessage()).contains("Client Secret", "has not expired");
    }

    @Test
    void anyOtherInvalidRequestStaysARejectionWithTheVendorsWords() {
        server.enqueue(json(400, "{\"Error\":\"invalid_request\",\"ErrorDescription\":\"The access token is not valid\"}"));

        RefreshException e = refreshFails(RefreshException.class);

        assertThat(e).isExactlyInstanceOf(RefreshRejectedException.class);
        assertThat(e).hasMessage("HTTP 400 (invalid_request): The access token is not valid");
    }

    @Test
    void serviceUnavailableIsTransientAndKeepsRetryAfter() {
        server.enqueue(new MockResponse.Builder()
                .code(503)
                .addHeader("Retry-After", "120")
                .addHeader("Content-Type", "text/html")
                .body("<html><body><h1>Service Unavailable</h1></body></html>")
                .build());

        TransientRefreshException e = refreshFails(TransientRefreshException.class);

        assertThat(e.httpStatus()).isEqualTo(503);
        assertThat(e.retryAfter()).contains(Duration.ofSeconds(120));
    }

    @Test
    void anErrorThatEchoesTheSecretAndTheRefreshTokenNeverRepeatsThem() {
        server.enqueue(json(400, "{\"Error\":\"invalid_grant\",\"ErrorDescription\":\"Assertion " + OLD_REFRESH_TOKEN
                + " does not match client assertion " + LEGACY_CLIENT_SECRET + " for token " + OLD_ACCESS_TOKEN + "\"}"));

        IdentityNotValid e = refreshFails(IdentityNotValid.class);

        assertThat(e.getMessage()).doesNotContain(OLD_REFRESH_TOKEN, LEGACY_CLIENT_SECRET, OLD_ACCESS_TOKEN)
                .contains("<withheld: it echoed a credential>");
    }

    private <T extends Throwable> T refreshFails(Class<T> type) {
        T e = catchThrowableOfType(type, () -> provider.refresh(VendorFixtures.legacyIdentity()));
        assertThat(e).as("refresh should fail with " + type.getSimpleName()).isNotNull();
        assertThat(server.getRequestCount()).isEqualTo(1);
        return e;
    }
}
