package org.oauthidentity.providers.vsts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.oauthidentity.providers.vsts.VendorFixtures.ENTRA_CLIENT_ID;
import static org.oauthidentity.providers.vsts.VendorFixtures.ENTRA_CLIENT_SECRET;
import static org.oauthidentity.providers.vsts.VendorFixtures.ENTRA_NEW_ACCESS_TOKEN;
import static org.oauthidentity.providers.vsts.VendorFixtures.ENTRA_NEW_REFRESH_TOKEN;
import static org.oauthidentity.providers.vsts.VendorFixtures.ENTRA_OLD_REFRESH_TOKEN;
import static org.oauthidentity.providers.vsts.VendorFixtures.ENTRA_TENANT;
import static org.oauthidentity.providers.vsts.VendorFixtures.ENTRA_TOKEN;
import static org.oauthidentity.providers.vsts.VendorFixtures.NOW;
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
import org.oauthidentity.Provider;
import org.oauthidentity.testing.ManualClock;

/** Azure DevOps through Microsoft Entra ID: the request it sends and what a successful answer does. */
class EntraRefreshTest {
    private final ManualClock clock = ManualClock.at(NOW);
    private MockWebServer server;

    @BeforeEach
    void startVendor() throws Exception {
        server = new MockWebServer();
        server.start();
    }

    @AfterEach
    void stopVendor() {
        server.close();
    }

    private AzureDevOps.EntraBuilder entra() {
        return AzureDevOps.entra(ENTRA_TENANT)
                .clientId(ENTRA_CLIENT_ID)
                .clientSecret(ENTRA_CLIENT_SECRET)
                .authorityHost(server.url("/").toString())
                .clock(clock);
    }

    @Test
    void refreshPostsTheStandardFormWithTheAzureDevOpsScopeToTheTenantsV2Endpoint() throws Exception {
        server.enqueue(json(200, ENTRA_TOKEN));

        entra().build().refresh(VendorFixtures.entraIdentity());

        RecordedRequest request = server.takeRequest(5, TimeUnit.SECONDS);
        assertThat(request.getMethod()).isEqualTo("POST");
        assertThat(request.getUrl().encodedPath()).isEqualTo("/contoso.onmicrosoft.com/oauth2/v2.0/token");
        assertThat(request.getHeaders().get("Content-Type")).startsWith("application/x-www-form-urlencoded");
        assertThat(request.getHeaders().get("Authorization")).isNull();
        assertThat(formFields(request)).containsExactly(
                field("grant_type", "refresh_token"),
                field("refresh_token", ENTRA_OLD_REFRESH_TOKEN),
                field("scope", "499b84ac-1321-427f-aa17-267ca6975798/.default offline_access"),
                field("client_id", ENTRA_CLIENT_ID),
                field("client_secret", ENTRA_CLIENT_SECRET));
    }

    @Test
    void aConfiguredScopeReplacesTheDefault() throws Exception {
        server.enqueue(json(200, ENTRA_TOKEN));
        String scope = "499b84ac-1321-427f-aa17-267ca6975798/vso.code 499b84ac-1321-427f-aa17-267ca6975798/vso.work offline_access";

        entra().scope(scope).build().refresh(VendorFixtures.entraIdentity());

        assertThat(formFields(server.takeRequest(5, TimeUnit.SECONDS))).containsOnlyOnce(field("scope", scope))
                .hasSize(5);
    }

    @Test
    void successRotatesTheRefreshTokenAndExpiresAtRequestStartPlusExpiresIn() throws Exception {
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                clock.advance(Duration.ofSeconds(3));
                return json(200, ENTRA_TOKEN);
            }
        });
        Identity before = VendorFixtures.entraIdentity();

        Identity after = entra().build().refresh(before);

        assertThat(after.accessToken()).isEqualTo(ENTRA_NEW_ACCESS_TOKEN);
        assertThat(after.refreshToken()).contains(ENTRA_NEW_REFRESH_TOKEN);
        assertThat(after.expiresAt()).contains(NOW.plusSeconds(4377));
        assertThat(after.tokenType()).isEqualTo("Bearer");
        assertThat(after.scopes()).containsExactly("499b84ac-1321-427f-aa17-267ca6975798/user_impersonation");
        assertThat(after.extra("ext_expires_in")).contains("4377");
        assertThat(after.version()).isEqualTo(before.version());
        assertThat(before.refreshToken()).contains(ENTRA_OLD_REFRESH_TOKEN);
    }

    @Test
    void revokeIsUnsupportedBecauseEntraHasNoTokenRevocationEndpoint() {
        Provider provider = entra().build();

        assertThatThrownBy(() -> provider.revoke(VendorFixtures.entraIdentity()))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThat(server.getRequestCount()).isZero();
    }
}
