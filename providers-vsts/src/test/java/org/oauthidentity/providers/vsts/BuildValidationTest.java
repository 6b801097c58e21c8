package org.oauthidentity.providers.vsts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.oauthidentity.providers.vsts.VendorFixtures.ENTRA_CLIENT_ID;
import static org.oauthidentity.providers.vsts.VendorFixtures.ENTRA_CLIENT_SECRET;
import static org.oauthidentity.providers.vsts.VendorFixtures.ENTRA_TENANT;
import static org.oauthidentity.providers.vsts.VendorFixtures.LEGACY_CLIENT_SECRET;
import static org.oauthidentity.providers.vsts.VendorFixtures.REDIRECT_URI;

import org.junit.jupiter.api.Test;
import org.oauthidentity.oauth2.ClientAuthentication;
import org.oauthidentity.oauth2.OAuth2Provider;

/** A misconfigured provider fails when it is built, with a message that says what to fix, not at the first refresh. */
class BuildValidationTest {

    @Test
    void legacyDefaultsToTheAzureDevOpsEndpointWithoutBasicAuthentication() {
        OAuth2Provider provider = AzureDevOps.legacy().clientSecret(LEGACY_CLIENT_SECRET).redirectUri(REDIRECT_URI).build();

        assertThat(provider.key()).isEqualTo("vsts");
        assertThat(provider.settings().tokenUrl()).hasToString("https://app.vssps.visualstudio.com/oauth2/token");
        assertThat(provider.settings().clientAuthentication()).isEqualTo(ClientAuthentication.NONE);
        assertThat(provider.toString()).doesNotContain(LEGACY_CLIENT_SECRET);
    }

    @Test
    void legacyWithoutRedirectUriIsRefusedAtBuildTime() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AzureDevOps.legacy().clientSecret(LEGACY_CLIENT_SECRET).build())
                .withMessageStartingWith("redirectUri is required");
    }

    @Test
    void legacyWithARelativeCallbackPathIsRefused() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AzureDevOps.legacy().clientSecret(LEGACY_CLIENT_SECRET)
                        .redirectUri("/extensions/vsts/setup/").build())
                .withMessageContaining("absolute http(s) callback URL");
    }

    @Test
    void legacyWithoutClientSecretIsRefused() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AzureDevOps.legacy().redirectUri(REDIRECT_URI).clientSecret(" ").build())
                .withMessageStartingWith("clientSecret is required");
    }

    @Test
    void legacyOverPlainHttpToAnotherHostIsRefused() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AzureDevOps.legacy().clientSecret(LEGACY_CLIENT_SECRET).redirectUri(REDIRECT_URI)
                        .tokenUrl("http://app.vssps.visualstudio.com/oauth2/token").build())
                .withMessageContaining("must use https");
    }

    @Test
    void plainHttpIsAllowedOnLoopbackForTests() {
        OAuth2Provider provider = AzureDevOps.legacy().clientSecret(LEGACY_CLIENT_SECRET).redirectUri(REDIRECT_URI)
                .tokenUrl("http://127.0.0.1:8080/oauth2/token").build();

        assertThat(provider.settings().tokenUrl()).hasToString("http://127.0.0.1:8080/oauth2/token");
    }

    @Test
    void entraDefaultsToThePublicCloudTenantEndpointWithCredentialsInTheForm() {
        OAuth2Provider provider = AzureDevOps.entra(ENTRA_TENANT).clientId(ENTRA_CLIENT_ID)
                .clientSecret(ENTRA_CLIENT_SECRET).build();

        assertThat(provider.key()).isEqualTo("vsts-entra");
        assertThat(provider.settings().tokenUrl())
                .hasToString("https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token");
        assertThat(provider.settings().clientAuthentication()).isEqualTo(ClientAuthentication.CLIENT_SECRET_POST);
        assertThat(provider.toString()).doesNotContain(ENTRA_CLIENT_SECRET);
    }

    @Test
    void entraInANationalCloudUsesItsAuthorityHost() {
        OAuth2Provider provider = AzureDevOps.entra("organizations").clientId(ENTRA_CLIENT_ID)
                .clientSecret(ENTRA_CLIENT_SECRET).authorityHost("https://login.microsoftonline.us/").build();

        assertThat(provider.settings().tokenUrl())
                .hasToString("https://login.microsoftonline.us/organizations/oauth2/v2.0/token");
    }

    @Test
    void entraWithoutClientIdOrSecretIsRefused() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AzureDevOps.entra(ENTRA_TENANT).clientSecret(ENTRA_CLIENT_SECRET).build())
                .withMessageStartingWith("clientId is required");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AzureDevOps.entra(ENTRA_TENANT).clientId(ENTRA_CLIENT_ID).build())
                .withMessageStartingWith("clientSecret is required");
    }

    @Test
    void entraWithATenantThatIsNotOnePathSegmentIsRefused() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AzureDevOps.entra("contoso/../evil").clientId(ENTRA_CLIENT_ID)
                        .clientSecret(ENTRA_CLIENT_SECRET).build())
                .withMessageStartingWith("tenant must be");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AzureDevOps.entra(null).clientId(ENTRA_CLIENT_ID)
                        .clientSecret(ENTRA_CLIENT_SECRET).build())
                .withMessageStartingWith("tenant must be");
    }

    @Test
    void entraOverPlainHttpToAnotherHostIsRefused() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> AzureDevOps.entra(ENTRA_TENANT).clientId(ENTRA_CLIENT_ID)
                        .clientSecret(ENTRA_CLIENT_SECRET).authorityHost("http://login.microsoftonline.com").build())
                .withMessageContaining("must use https");
    }
}
