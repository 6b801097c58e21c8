package org.oauthidentity.providers.vsts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.oauthidentity.providers.vsts.VendorFixtures.ENTRA_CLIENT_ID;
import static org.oauthidentity.providers.vsts.VendorFixtures.ENTRA_CLIENT_SECRET;
import static org.oauthidentity.providers.vsts.VendorFixtures.ENTRA_TENANT;
import static org.oauthidentity.providers.vsts.VendorFixtures.LEGACY_CLIENT_SECRET;
import static org.oauthidentity.providers.vsts.VendorFixtures.REDIRECT_URI;

import org.junit.jupiter.api.Test;
import org.oauthidentity.oauth2.OAuth2Provider;

/** Custom endpoints are printed without anything that may be a credential, and refused if they carry one. */
class UrlsInTextTest {

    @Test
    void legacyToStringPrintsTheTokenUrlWithoutQueryOrFragment() {
        OAuth2Provider provider = AzureDevOps.legacy().clientSecret(LEGACY_CLIENT_SECRET).redirectUri(REDIRECT_URI)
                .tokenUrl("https://proxy.example.com/vsts/token?api_key=query-key-4711#frag-0815").build();

        assertThat(provider.toString()).contains("tokenUrl=https://proxy.example.com/vsts/token")
                .doesNotContain("query-key-4711").doesNotContain("frag-0815").doesNotContain(LEGACY_CLIENT_SECRET);
    }

    @Test
    void entraToStringPrintsTheTenantTokenUrlWithoutFragment() {
        OAuth2Provider provider = AzureDevOps.entra(ENTRA_TENANT).clientId(ENTRA_CLIENT_ID)
                .clientSecret(ENTRA_CLIENT_SECRET).authorityHost("https://login.example.com:8443/#frag-0815").build();

        assertThat(provider.toString()).contains("tokenUrl=https://login.example.com:8443/" + ENTRA_TENANT
                + "/oauth2/v2.0/token").doesNotContain("frag-0815").doesNotContain(ENTRA_CLIENT_SECRET);
    }

    @Test
    void anEndpointWithAUserNameOrPasswordIsRefused() {
        assertThatThrownBy(() -> AzureDevOps.legacy().clientSecret(LEGACY_CLIENT_SECRET).redirectUri(REDIRECT_URI)
                .tokenUrl("https://svc-user-77:url-password-123@proxy.example.com/token").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("token URL must not carry a user name or password")
                .message().doesNotContain("svc-user-77").doesNotContain("url-password-123");
        assertThatThrownBy(() -> AzureDevOps.entra(ENTRA_TENANT).clientId(ENTRA_CLIENT_ID)
                .clientSecret(ENTRA_CLIENT_SECRET).authorityHost("https://svc-user-77:url-password-123@login.example.com")
                .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Entra authority host must not carry a user name or password")
                .message().doesNotContain("svc-user-77").doesNotContain("url-password-123");
    }
}
