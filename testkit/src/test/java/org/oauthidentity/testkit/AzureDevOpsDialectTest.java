package org.oauthidentity.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.RefreshException;
import org.oauthidentity.RefreshRejectedException;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.oauth2.OAuth2Settings;
import org.oauthidentity.testing.ManualClock;
import org.oauthidentity.testkit.FakeAuthorizationServer.Dialect;

/** Azure DevOps' legacy OAuth: client assertion, refresh token as assertion, redirect_uri, string expires_in. */
class AzureDevOpsDialectTest {
    private static final String ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    private static final String JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";

    private final ManualClock clock = ManualClock.at("2025-03-01T10:00:00Z");
    private FakeAuthorizationServer server;

    @BeforeEach
    void start() throws Exception {
        server = FakeAuthorizationServer.builder().dialect(Dialect.AZURE_DEVOPS).clock(clock).start();
    }

    @AfterEach
    void stop() {
        server.verifyNoInternalFailures();
        server.close();
    }

    @Test
    void requiresTheRedirectUriOnRefresh() throws Exception {
        Identity identity = server.issueIdentity("alice", "vso.code");

        Wire.Answer without = refresh(identity.refreshToken().get(), server.clientSecret(), null);
        Wire.Answer unregistered = refresh(identity.refreshToken().get(), server.clientSecret(),
                "https://elsewhere.example/cb");
        Wire.Answer with = refresh(identity.refreshToken().get(), server.clientSecret(), server.redirectUri());

        assertThat(without.status()).isEqualTo(400);
        assertThat(without.field("Error")).isEqualTo("invalid_request");
        assertThat(without.field("ErrorDescription")).contains("redirect_uri");
        assertThat(without.has("error")).as("PascalCase only").isFalse();
        assertThat(unregistered.status()).isEqualTo(400);
        assertThat(with.status()).isEqualTo(200);
    }

    @Test
    void answersExpiresInAsAJsonStringAndAlwaysRotates() throws Exception {
        Identity identity = server.issueIdentity("alice", "vso.code");

        Wire.Answer answer = refresh(identity.refreshToken().get(), server.clientSecret(), server.redirectUri());
        Wire.Answer reuse = refresh(identity.refreshToken().get(), server.clientSecret(), server.redirectUri());

        assertThat(answer.json().get("expires_in").isTextual()).isTrue();
        assertThat(answer.field("expires_in")).isEqualTo("3599");
        assertThat(answer.field("token_type")).isEqualTo("jwt-bearer");
        assertThat(answer.field("refresh_token")).isNotBlank().isNotEqualTo(identity.refreshToken().get());
        assertThat(reuse.status()).isEqualTo(400);
        assertThat(reuse.field("Error")).isEqualTo("invalid_grant");
        assertThat(server.reusedRefreshTokens()).isEqualTo(1);
    }

    @Test
    void aWrongClientSecretFailsToDeserializeAsAJsonWebToken() throws Exception {
        Identity identity = server.issueIdentity("alice", "vso.code");

        Wire.Answer answer = refresh(identity.refreshToken().get(), "not-the-app-secret-0123", server.redirectUri());

        assertThat(answer.status()).isEqualTo(401);
        assertThat(answer.field("Error")).isEqualTo("invalid_client");
        assertThat(answer.field("ErrorDescription")).isEqualTo("Failed to deserialize the JsonWebToken object.");
    }

    @Test
    void exchangesACodeFromTheAuthorizePageWithTheJwtBearerGrant() throws Exception {
        server.signIn("alice");
        HttpUrl authorize = HttpUrl.get(server.authorizeUrl()).newBuilder()
                .addQueryParameter("client_id", server.clientId())
                .addQueryParameter("response_type", "Assertion")
                .addQueryParameter("state", "s-1")
                .addQueryParameter("scope", "vso.code vso.identity")
                .addQueryParameter("redirect_uri", server.redirectUri())
                .build();

        HttpUrl location = HttpUrl.get(Wire.get(authorize.toString(), null).headers().get("Location"));
        Wire.Answer tokens = Wire.post(server.tokenUrl(), Wire.form(
                "client_assertion_type", ASSERTION_TYPE, "client_assertion", server.clientSecret(),
                "grant_type", JWT_BEARER, "assertion", location.queryParameter("code"),
                "redirect_uri", server.redirectUri()));

        assertThat(location.queryParameter("state")).isEqualTo("s-1");
        assertThat(tokens.status()).isEqualTo(200);
        assertThat(tokens.field("scope")).isEqualTo("vso.code vso.identity");
        assertThat(server.tokenRequests(JWT_BEARER)).isEqualTo(1);
    }

    @Test
    void coreReadsTheStringExpiryAndThePascalCaseErrors() throws Exception {
        AzureDevOpsStyleProvider provider = new AzureDevOpsStyleProvider(server.oauth2Settings().build(),
                server.clientSecret(), server.redirectUri());
        AzureDevOpsStyleProvider misconfigured = new AzureDevOpsStyleProvider(server.oauth2Settings().build(),
                "not-the-app-secret-0123", server.redirectUri());
        AzureDevOpsStyleProvider noRedirect = new AzureDevOpsStyleProvider(server.oauth2Settings().build(),
                server.clientSecret(), null);
        Identity identity = server.issueIdentity("alice", "vso.code");

        Identity refreshed = provider.refresh(identity);

        assertThat(refreshed.expiresAt()).contains(clock.instant().plus(Duration.ofSeconds(3599)));
        assertThat(refreshed.tokenType()).isEqualTo("jwt-bearer");
        assertThatThrownBy(() -> provider.refresh(identity))
                .isInstanceOf(IdentityNotValid.class);
        assertThatThrownBy(() -> misconfigured.refresh(refreshed))
                .isInstanceOfSatisfying(ProviderConfigurationException.class, e ->
                        assertThat(e.errorDescription()).contains("Failed to deserialize the JsonWebToken object."));
        assertThatThrownBy(() -> noRedirect.refresh(refreshed))
                .isInstanceOf(RefreshRejectedException.class);
    }

    private Wire.Answer refresh(String refreshToken, String clientSecret, String redirectUri) throws Exception {
        Map<String, String> form = Wire.form(
                "client_assertion_type", ASSERTION_TYPE, "client_assertion", clientSecret,
                "grant_type", "refresh_token", "assertion", refreshToken);
        if (redirectUri != null) {
            form.put("redirect_uri", redirectUri);
        }
        return Wire.post(server.tokenUrl(), form);
    }

    /** The few lines a vendor module adds to core's provider for Azure DevOps (the jwt-bearer refresh form). */
    private static final class AzureDevOpsStyleProvider extends OAuth2Provider {
        private final String clientSecret;
        private final String redirectUri;

        AzureDevOpsStyleProvider(OAuth2Settings settings, String clientSecret, String redirectUri) {
            super(settings);
            this.clientSecret = clientSecret;
            this.redirectUri = redirectUri;
        }

        @Override
        protected Map<String, String> refreshParameters(Identity identity, String refreshToken)
                throws RefreshException {
            Map<String, String> form = new LinkedHashMap<>();
            form.put("client_assertion_type", ASSERTION_TYPE);
            form.put("client_assertion", clientSecret);
            form.put("grant_type", "refresh_token");
            form.put("assertion", refreshToken);
            if (redirectUri != null) {
                form.put("redirect_uri", redirectUri);
            }
            return form;
        }
    }
}
