package org.oauthidentity.providers.vsts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.oauthidentity.providers.vsts.VendorFixtures.LEGACY_CLIENT_SECRET;
import static org.oauthidentity.providers.vsts.VendorFixtures.LEGACY_TOKEN;
import static org.oauthidentity.providers.vsts.VendorFixtures.NEW_ACCESS_TOKEN;
import static org.oauthidentity.providers.vsts.VendorFixtures.NEW_REFRESH_TOKEN;
import static org.oauthidentity.providers.vsts.VendorFixtures.NOW;
import static org.oauthidentity.providers.vsts.VendorFixtures.OLD_ACCESS_TOKEN;
import static org.oauthidentity.providers.vsts.VendorFixtures.OLD_REFRESH_TOKEN;
import static org.oauthidentity.providers.vsts.VendorFixtures.REDIRECT_URI;
import static org.oauthidentity.providers.vsts.VendorFixtures.field;
import static org.oauthidentity.providers.vsts.VendorFixtures.formFields;
import static org.oauthidentity.providers.vsts.VendorFixtures.json;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.Provider;
import org.oauthidentity.testing.ManualClock;

/** Legacy Azure DevOps OAuth: the request it sends and what a successful answer does to the identity. */
class LegacyRefreshTest {
    private final ManualClock clock = ManualClock.at(NOW);
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
                .clock(clock)
                .build();
    }

    @AfterEach
    void stopVendor() {
        server.close();
    }

    @Test
    void refreshPostsTheJwtBearerFormWithExactlyItsFiveFieldsAndNoBasicAuthentication() throws Exception {
        server.enqueue(json(200, LEGACY_TOKEN));

        provider.refresh(VendorFixtures.legacyIdentity());

        RecordedRequest request = server.takeRequest(5, TimeUnit.SECONDS);
        assertThat(request.getMethod()).isEqualTo("POST");
        assertThat(request.getUrl().encodedPath()).isEqualTo("/oauth2/token");
        assertThat(request.getHeaders().get("Content-Type")).startsWith("application/x-www-form-urlencoded");
        assertThat(request.getHeaders().get("Authorization")).isNull();
        assertThat(formFields(request)).containsExactly(
                field("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                field("client_assertion", LEGACY_CLIENT_SECRET),
                field("grant_type", "refresh_token"),
                field("assertion", OLD_REFRESH_TOKEN),
                field("redirect_uri", REDIRECT_URI));
        assertThat(server.getRequestCount()).isEqualTo(1);
    }

    @Test
    void successRotatesTheRefreshTokenAndExpiresAtRequestStartPlusTheStringExpiresIn() throws Exception {
        // The vendor takes 7 seconds to answer: expiry must count from the request start, not the response.
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                clock.advance(Duration.ofSeconds(7));
                return json(200, LEGACY_TOKEN);
            }
        });
        Identity before = VendorFixtures.legacyIdentity();

        Identity after = provider.refresh(before);

        assertThat(after.accessToken()).isEqualTo(NEW_ACCESS_TOKEN);
        assertThat(after.refreshToken()).contains(NEW_REFRESH_TOKEN);
        assertThat(after.expiresAt()).contains(NOW.plusSeconds(3599));
        // "jwt-bearer" is Azure DevOps' label for the token; its REST API wants "Authorization: Bearer".
        assertThat(after.tokenType()).isEqualTo("Bearer");
        assertThat(after.scopes()).containsExactly("vso.code", "vso.project", "vso.work_write");
        assertThat(after.id()).isEqualTo(before.id());
        assertThat(after.externalUserId()).contains("vsts_id");
        assertThat(after.version()).isEqualTo(before.version());
        assertThat(before.accessToken()).isEqualTo(OLD_ACCESS_TOKEN);
        assertThat(before.refreshToken()).contains(OLD_REFRESH_TOKEN);
    }

    @Test
    void theNextRefreshSendsTheRotatedRefreshTokenAsItsAssertion() throws Exception {
        server.enqueue(json(200, LEGACY_TOKEN));
        server.enqueue(json(200, LEGACY_TOKEN));

        Identity once = provider.refresh(VendorFixtures.legacyIdentity());
        provider.refresh(once);

        server.takeRequest(5, TimeUnit.SECONDS);
        RecordedRequest second = server.takeRequest(5, TimeUnit.SECONDS);
        assertThat(formFields(second)).contains(field("assertion", NEW_REFRESH_TOKEN))
                .doesNotContain(field("assertion", OLD_REFRESH_TOKEN));
    }

    @Test
    void anIdentityWithoutRefreshTokenIsNotValidAndNothingIsSent() {
        Identity noRefreshToken = VendorFixtures.legacyIdentity().toBuilder().refreshToken(null).build();

        assertThatThrownBy(() -> provider.refresh(noRefreshToken)).isInstanceOf(IdentityNotValid.class);
        assertThat(server.getRequestCount()).isZero();
    }

    @Test
    void revokeIsUnsupportedBecauseAzureDevOpsHasNoRevocationEndpoint() {
        assertThatThrownBy(() -> provider.revoke(VendorFixtures.legacyIdentity()))
                .isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("no revocation endpoint");
        assertThat(server.getRequestCount()).isZero();
    }
}
