package org.oauthidentity.providers.vsts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.oauthidentity.providers.vsts.VendorFixtures.ENTRA_CLIENT_ID;
import static org.oauthidentity.providers.vsts.VendorFixtures.ENTRA_CLIENT_SECRET;
import static org.oauthidentity.providers.vsts.VendorFixtures.ENTRA_TENANT;
import static org.oauthidentity.providers.vsts.VendorFixtures.NOW;
import static org.oauthidentity.providers.vsts.VendorFixtures.entraError;
import static org.oauthidentity.providers.vsts.VendorFixtures.json;

import java.time.Duration;
import java.util.stream.Stream;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.Provider;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.RefreshException;
import org.oauthidentity.RefreshRejectedException;
import org.oauthidentity.TransientRefreshException;
import org.oauthidentity.testing.ManualClock;

/** Entra ID: each way the token endpoint refuses, with its AADSTS code, and what the caller sees. */
class EntraErrorMappingTest {
    private MockWebServer server;
    private Provider provider;

    @BeforeEach
    void startVendor() throws Exception {
        server = new MockWebServer();
        server.start();
        provider = AzureDevOps.entra(ENTRA_TENANT)
                .clientId(ENTRA_CLIENT_ID)
                .clientSecret(ENTRA_CLIENT_SECRET)
                .authorityHost(server.url("/").toString())
                .clock(ManualClock.at(NOW))
                .build();
    }

    @AfterEach
    void stopVendor() {
        server.close();
    }

    static Stream<Arguments> identityGoneForGood() {
        return Stream.of(
                Arguments.of("AADSTS700082", entraError("invalid_grant", 700082,
                        "The refresh token has expired due to inactivity. The token was issued on"
                                + " 2025-01-06T09:12:44.1234567Z and was inactive for 90.00:00:00.")),
                Arguments.of("AADSTS50173", entraError("invalid_grant", 50173,
                        "The provided grant has expired due to it being revoked, a fresh auth token is needed. The"
                                + " user might have changed or reset their password. The grant was issued on"
                                + " '2025-03-01T10:00:00.0000000Z' and the TokensValidFrom date (before which tokens"
                                + " are not valid) for this user is '2025-03-20T08:31:17.0000000Z'.")),
                Arguments.of("AADSTS70043", entraError("invalid_grant", 70043,
                        "The refresh token has expired or is invalid due to sign-in frequency checks by"
                                + " conditional access. The token was issued on 2025-04-01T08:00:00.0000000Z and the"
                                + " maximum allowed lifetime for this request is 43200.")));
    }

    @ParameterizedTest(name = "invalid_grant {0} -> IdentityNotValid with the code kept")
    @MethodSource("identityGoneForGood")
    void invalidGrantMeansTheIdentityIsGoneAndKeepsTheAadstsCode(String code, String body) {
        server.enqueue(json(400, body));

        IdentityNotValid e = refreshFails(IdentityNotValid.class);

        assertThat(e.httpStatus()).isEqualTo(400);
        assertThat(e.error()).contains("invalid_grant");
        assertThat(e.errorSubtype()).contains(code);
        assertThat(e.getMessage()).startsWith("HTTP 400 (invalid_grant/" + code + "): " + code + ": ");
    }

    @Test
    void anExpiredClientSecretIsConfigurationWithTheCodeAndWhatToDo() {
        server.enqueue(json(401, entraError("invalid_client", 7000222,
                "The provided client secret keys for app '" + ENTRA_CLIENT_ID + "' are expired. Visit the Azure"
                        + " portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using"
                        + " certificate credentials for added security: https://aka.ms/certCreds.")));

        RefreshException e = refreshFails(RefreshException.class);

        assertThat(e).isExactlyInstanceOf(ProviderConfigurationException.class);
        assertThat(e.errorSubtype()).contains("AADSTS7000222");
        assertThat(e.getMessage()).contains("client secret has expired", "Certificates & secrets",
                "identities are not affected");
    }

    @Test
    void anInvalidClientSecretIsConfigurationNotTheIdentitysFault() {
        server.enqueue(json(401, entraError("invalid_client", 7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret"
                        + " value, not the client secret ID, for a secret added to app '" + ENTRA_CLIENT_ID + "'.")));

        RefreshException e = refreshFails(RefreshException.class);

        assertThat(e).isExactlyInstanceOf(ProviderConfigurationException.class);
        assertThat(e.errorSubtype()).contains("AADSTS7000215");
        assertThat(e.getMessage()).contains("Value (not its Secret ID)", "identities are not affected");
    }

    @Test
    void theMostSpecificOfSeveralCodesIsKept() {
        // Older Entra answers put the generic code first: "AADSTS70002: Error validating credentials. AADSTS50012: ..."
        server.enqueue(json(401, "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS70002: Error validating"
                + " credentials. AADSTS50012: Invalid client secret is provided.\\r\\nTrace ID: ea6e48c7-6985-4e5f-9c06"
                + "-58120cb10200\\r\\nTimestamp: 2025-04-07 09:15:02Z\",\"error_codes\":[70002,50012]}"));

        ProviderConfigurationException e = refreshFails(ProviderConfigurationException.class);

        assertThat(e.errorSubtype()).contains("AADSTS50012");
        assertThat(e.getMessage()).contains("the client secret is wrong").doesNotContain("\r", "\n");
    }

    @Test
    void interactionRequiredMeansTheUserMustSignInAgainSoTheIdentityIsNotValid() {
        server.enqueue(json(400, entraError("interaction_required", 50076,
                "Due to a configuration change made by your administrator, or because you moved to a new location,"
                        + " you must use multi-factor authentication to access '499b84ac-1321-427f-aa17-267ca6975798'.")));

        RefreshException e = refreshFails(RefreshException.class);

        // Like Google's rapt_required: no refresh succeeds until the user signs in again, so unlink and relink.
        assertThat(e).isExactlyInstanceOf(IdentityNotValid.class);
        assertThat(e.errorSubtype()).contains("AADSTS50076");
    }

    @Test
    void temporarilyUnavailableIsTransientAndKeepsRetryAfter() {
        server.enqueue(new MockResponse.Builder()
                .code(503)
                .addHeader("Content-Type", "application/json; charset=utf-8")
                .addHeader("Retry-After", "30")
                .body(entraError("temporarily_unavailable", 50000,
                        "There was an error issuing a token or an issue with our sign-in service."))
                .build());

        TransientRefreshException e = refreshFails(TransientRefreshException.class);

        assertThat(e.httpStatus()).isEqualTo(503);
        assertThat(e.retryAfter()).contains(Duration.ofSeconds(30));
    }

    @Test
    void anErrorThatEchoesTheSecretNeverRepeatsIt() {
        server.enqueue(json(401, entraError("invalid_client", 7000215,
                "Invalid client secret provided: " + ENTRA_CLIENT_SECRET + ".")));

        ProviderConfigurationException e = refreshFails(ProviderConfigurationException.class);

        assertThat(e.getMessage()).doesNotContain(ENTRA_CLIENT_SECRET).contains("<withheld: it echoed a credential>");
    }

    private <T extends Throwable> T refreshFails(Class<T> type) {
        T e = catchThrowableOfType(type, () -> provider.refresh(VendorFixtures.entraIdentity()));
        assertThat(e).as("refresh should fail with " + type.getSimpleName()).isNotNull();
        assertThat(server.getRequestCount()).isEqualTo(1);
        return e;
    }
}
