package org.oauthidentity.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.testing.ManualClock;
import org.oauthidentity.testkit.FakeAuthorizationServer.Dialect;

/** Microsoft Entra ID: tenant path, rotation, AADSTS-coded refusals with Entra's trace lines. */
class EntraDialectTest {
    private final ManualClock clock = ManualClock.at("2025-03-01T10:00:00Z");
    private FakeAuthorizationServer server;
    private OAuth2Provider provider;

    @BeforeEach
    void start() throws Exception {
        server = FakeAuthorizationServer.builder().dialect(Dialect.ENTRA).tenant("contoso-tenant").clock(clock).start();
        provider = OAuth2Provider.create(server.oauth2Settings().build());
    }

    @AfterEach
    void stop() {
        server.verifyNoInternalFailures();
        server.close();
    }

    @Test
    void servesTheTenantsV2TokenEndpointAndRotates() throws Exception {
        Identity identity = server.issueIdentity("alice", "openid", "offline_access", "User.Read");

        Identity refreshed = provider.refresh(identity);

        assertThat(server.tokenUrl()).endsWith("/contoso-tenant/oauth2/v2.0/token");
        assertThat(refreshed.refreshToken()).isPresent().isNotEqualTo(identity.refreshToken());
        assertThat(refreshed.extra("ext_expires_in")).contains("3599");
        assertThat(refreshed.extra("id_token")).isPresent();
        assertThat(server.revocationUrl()).isEmpty();
    }

    @Test
    void revokedSuspendedAndExpiredRefreshTokensAreInvalidGrantsWithTheirAadstsCodes() throws Exception {
        Identity revoked = server.issueIdentity("alice", "offline_access");
        Identity suspended = server.issueIdentity("bob", "offline_access");
        Identity expired = server.issueIdentity("carol", "offline_access");
        server.revokeUser("alice");
        server.suspendUser("bob");
        server.expireRefreshTokens("carol");

        assertThat(invalidGrant(revoked)).startsWith("AADSTS50173:");
        assertThat(invalidGrant(suspended)).startsWith("AADSTS50057:");
        assertThat(invalidGrant(expired)).startsWith("AADSTS700082: The refresh token has expired due to inactivity.");
    }

    @Test
    void errorBodiesCarryEntrasCodesAndTraceLines() throws Exception {
        Identity identity = server.issueIdentity("alice", "offline_access");
        server.expireRefreshTokens("alice");

        Wire.Answer answer = Wire.post(server.tokenUrl(), Wire.form("grant_type", "refresh_token",
                "refresh_token", identity.refreshToken().get(), "scope", "offline_access",
                "client_id", server.clientId(), "client_secret", server.clientSecret()));

        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.json().get("error_codes").get(0).asInt()).isEqualTo(700082);
        assertThat(answer.field("error_description")).contains("\r\nTrace ID: ");
        assertThat(answer.field("timestamp")).isEqualTo("2025-03-01 10:00:00Z");
        assertThat(answer.field("correlation_id")).isNotBlank();
    }

    @Test
    void anUnknownApplicationIsAnUnauthorizedClient() throws Exception {
        Identity identity = server.issueIdentity("alice", "offline_access");
        OAuth2Provider stranger = OAuth2Provider.create(server.oauth2Settings().clientId("no-such-app").build());

        assertThatThrownBy(() -> stranger.refresh(identity))
                .isInstanceOfSatisfying(ProviderConfigurationException.class, e -> {
                    assertThat(e.error()).contains("unauthorized_client");
                    assertThat(e.errorDescription().orElseThrow()).startsWith("AADSTS700016:");
                });
    }

    private String invalidGrant(Identity identity) {
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> provider.refresh(identity));
        assertThat(thrown).isInstanceOf(IdentityNotValid.class);
        IdentityNotValid e = (IdentityNotValid) thrown;
        assertThat(e.error()).contains("invalid_grant");
        return e.errorDescription().orElseThrow();
    }
}
