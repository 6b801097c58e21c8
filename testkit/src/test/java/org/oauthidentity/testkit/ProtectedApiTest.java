package org.oauthidentity.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.testing.ManualClock;
import org.oauthidentity.testkit.FakeAuthorizationServer.Dialect;

/** The protected API answers 200 for a current access token and 401 for any other, and counts by status. */
class ProtectedApiTest {
    private final ManualClock clock = ManualClock.at("2025-03-01T10:00:00Z");
    private FakeAuthorizationServer server;

    @BeforeEach
    void start() throws Exception {
        server = FakeAuthorizationServer.builder().dialect(Dialect.GITLAB).pathPrefix("/gitlab").clock(clock).start();
    }

    @AfterEach
    void stop() {
        server.verifyNoInternalFailures();
        server.close();
    }

    @Test
    void answersOkWithTheUserForACurrentToken() throws Exception {
        Identity identity = server.issueIdentity("alice", "api", "read_user");

        Wire.Answer answer = Wire.get(server.apiUrl("/v4/user"), identity.accessToken());

        assertThat(server.apiUrl("/v4/user")).endsWith("/gitlab/api/v4/user");
        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.field("username")).isEqualTo("alice");
        assertThat(answer.field("scope")).isEqualTo("api read_user");
        assertThat(server.apiCalls(200)).isEqualTo(1);
    }

    @Test
    void answersUnauthorizedOnceTheClockPassesTheExpiry() throws Exception {
        server.accessTokenLifetime(Duration.ofMinutes(5));
        Identity identity = server.issueIdentity("alice", "api");

        clock.advance(Duration.ofMinutes(5).minusSeconds(1));
        int before = Wire.get(server.apiUrl("/v4/user"), identity.accessToken()).status();
        clock.advance(Duration.ofSeconds(1));
        Wire.Answer after = Wire.get(server.apiUrl("/v4/user"), identity.accessToken());

        assertThat(identity.expiresAt()).contains(clock.instant());
        assertThat(before).isEqualTo(200);
        assertThat(after.status()).isEqualTo(401);
        assertThat(after.headers().get("WWW-Authenticate")).contains("error=\"invalid_token\"");
    }

    @Test
    void answersUnauthorizedForAnAccessTokenExpiredOnPurposeAndTheRefreshTokenStillWorks() throws Exception {
        Identity identity = server.issueIdentity("alice", "api");

        server.expireAccessTokens("alice");
        Wire.Answer api = Wire.get(server.apiUrl("/v4/user"), identity.accessToken());
        Wire.Answer refresh = Wire.post(server.tokenUrl(), Wire.form("grant_type", "refresh_token",
                "refresh_token", identity.refreshToken().get(),
                "client_id", server.clientId(), "client_secret", server.clientSecret()));

        assertThat(identity.expiresAt()).as("the client still believes the token is fresh")
                .hasValueSatisfying(at -> assertThat(at).isAfter(clock.instant()));
        assertThat(api.status()).isEqualTo(401);
        assertThat(refresh.status()).isEqualTo(200);
        assertThat(Wire.get(server.apiUrl("/v4/user"), refresh.field("access_token")).status()).isEqualTo(200);
    }

    @Test
    void answersUnauthorizedForRevokedSuspendedUnknownAndMissingTokens() throws Exception {
        Identity revoked = server.issueIdentity("alice", "api");
        Identity suspended = server.issueIdentity("bob", "api");
        server.revokeUser("alice");
        server.suspendUser("bob");

        assertThat(Wire.get(server.apiUrl("/v4/user"), revoked.accessToken()).status()).isEqualTo(401);
        assertThat(Wire.get(server.apiUrl("/v4/user"), suspended.accessToken()).status()).isEqualTo(401);
        assertThat(Wire.get(server.apiUrl("/v4/user"), "no-such-token-0123456789").status()).isEqualTo(401);
        assertThat(Wire.get(server.apiUrl("/v4/projects"), null).status()).isEqualTo(401);
        assertThat(server.apiCalls(401)).isEqualTo(4);
        assertThat(server.apiCalls(200)).isZero();

        server.reinstateUser("bob");
        assertThat(Wire.get(server.apiUrl("/v4/user"), suspended.accessToken()).status()).isEqualTo(200);
        assertThat(server.apiCalls()).isEqualTo(5);
    }

    @Test
    void countersResetToZero() throws Exception {
        Identity identity = server.issueIdentity("alice", "api");
        Wire.get(server.apiUrl("/v4/user"), identity.accessToken());
        Wire.post(server.tokenUrl(), Wire.form("grant_type", "refresh_token", "refresh_token", "x"));

        server.resetCounters();

        assertThat(server.apiCalls()).isZero();
        assertThat(server.tokenRequests()).isZero();
        assertThat(server.tokenRequestsByGrantType()).isEmpty();
        assertThat(Wire.get(server.apiUrl("/v4/user"), identity.accessToken()).status())
                .as("state survives a counter reset").isEqualTo(200);
    }
}
