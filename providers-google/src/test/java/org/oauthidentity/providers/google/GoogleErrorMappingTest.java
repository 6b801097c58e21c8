package org.oauthidentity.providers.google;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.oauthidentity.providers.google.GoogleFixtures.ACCESS_TOKEN;
import static org.oauthidentity.providers.google.GoogleFixtures.CLIENT_SECRET;
import static org.oauthidentity.providers.google.GoogleFixtures.REFRESH_TOKEN;
import static org.oauthidentity.providers.google.GoogleFixtures.error;
import static org.oauthidentity.providers.google.GoogleFixtures.identity;
import static org.oauthidentity.providers.google.GoogleFixtures.json;

import java.time.Duration;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.RefreshException;
import org.oauthidentity.TransientRefreshException;

/**
 * Given Google refusing a refresh, when the identity is refreshed, then the caller sees the exception type
 * it must act on (unlink, fix the configuration, or retry later) with Google's error kept.
 */
class GoogleErrorMappingTest {
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

    @ParameterizedTest
    @ValueSource(strings = {
            "Token has been expired or revoked.",
            "The account has been deleted",
            "Account has been disabled",
            "Bad Request",
    })
    void invalidGrantMeansTheIdentityIsGone(String description) {
        google.enqueue(json(400, error("invalid_grant", description)));

        IdentityNotValid e = refreshFails(IdentityNotValid.class);

        assertThat(e.httpStatus()).isEqualTo(400);
        assertThat(e.error()).contains("invalid_grant");
        assertThat(e.errorDescription()).contains(description);
        assertThat(e.getMessage()).isEqualTo("HTTP 400 (invalid_grant): " + description);
    }

    @ParameterizedTest
    @ValueSource(strings = {"invalid_rapt", "rapt_required"})
    void reauthenticationRequiredByWorkspacePolicyIsInvalidGrantWithTheSubtypeKept(String subtype) {
        google.enqueue(json(400, "{\n  \"error\": \"invalid_grant\",\n  \"error_description\": \"reauth related error ("
                + subtype + ")\",\n  \"error_uri\": \"https://support.google.com/a/answer/9368756\",\n"
                + "  \"error_subtype\": \"" + subtype + "\"\n}"));

        IdentityNotValid e = refreshFails(IdentityNotValid.class);

        assertThat(e.errorSubtype()).contains(subtype);
        assertThat(e.getMessage()).startsWith("HTTP 400 (invalid_grant/" + subtype + "): reauth related error");
    }

    @Test
    void anUnknownOrWrongClientIsOurConfigurationWithAHint() {
        google.enqueue(json(401, error("invalid_client", "The OAuth client was not found.")));

        ProviderConfigurationException e = refreshFails(ProviderConfigurationException.class);

        assertThat(e.error()).contains("invalid_client");
        assertThat(e.getMessage()).startsWith("HTTP 401 (invalid_client): The OAuth client was not found.")
                .contains("Google Cloud console").contains("identities are not affected");
    }

    @Test
    void aDeletedClientIsOurConfigurationWithAHint() {
        google.enqueue(json(401, error("deleted_client", "The OAuth client was deleted.")));

        ProviderConfigurationException e = refreshFails(ProviderConfigurationException.class);

        assertThat(e.error()).contains("deleted_client");
        assertThat(e.getMessage()).contains("was deleted in its Google Cloud project");
    }

    @Test
    void aRefreshTokenOfAnotherClientIsOurConfigurationNotTheIdentity() {
        google.enqueue(json(401, error("unauthorized_client", "Unauthorized")));

        ProviderConfigurationException e = refreshFails(ProviderConfigurationException.class);

        assertThat(e.error()).contains("unauthorized_client");
        assertThat(e.getMessage()).contains("issued to another OAuth client");
    }

    @ParameterizedTest
    @CsvSource({
            "500, internal_failure",
            "400, internal_failure",           // the code decides, whatever the status
            "400, server_error",
            "400, temporarily_unavailable",
            "503, temporarily_unavailable",
    })
    void googleSideFailuresAreTransient(int status, String code) {
        google.enqueue(json(status, error(code, "Backend Error")));

        TransientRefreshException e = refreshFails(TransientRefreshException.class);

        assertThat(e.httpStatus()).isEqualTo(status);
        assertThat(e.error()).contains(code);
    }

    @ParameterizedTest
    @ValueSource(ints = {408, 429, 500, 503})
    void overloadAndOutagesAreTransientAndKeepRetryAfter(int status) {
        // Google's front end answers these with its API error object (error is an object, not a code).
        google.enqueue(new MockResponse.Builder().code(status)
                .addHeader("Content-Type", "application/json; charset=UTF-8")
                .addHeader("Retry-After", "30")
                .body("{\n  \"error\": {\n    \"code\": " + status + ",\n    \"message\": \"The service is currently "
                        + "unavailable.\",\n    \"status\": \"UNAVAILABLE\"\n  }\n}")
                .build());

        TransientRefreshException e = refreshFails(TransientRefreshException.class);

        assertThat(e.httpStatus()).isEqualTo(status);
        assertThat(e.retryAfter()).contains(Duration.ofSeconds(30));
    }

    private <T extends RefreshException> T refreshFails(Class<T> type) {
        T e = catchThrowableOfType(type, () -> provider.refresh(identity().build()));
        assertThat(e).as("expected %s", type.getSimpleName()).isNotNull();
        assertThat(e.getMessage()).doesNotContain(REFRESH_TOKEN, CLIENT_SECRET, ACCESS_TOKEN);
        assertThat(google.getRequestCount()).isEqualTo(1);
        return e;
    }
}
