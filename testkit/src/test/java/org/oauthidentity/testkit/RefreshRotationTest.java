package org.oauthidentity.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.Base64;
import okhttp3.Request;
import okhttp3.RequestBody;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.testing.ManualClock;
import org.oauthidentity.testkit.FakeAuthorizationServer.Dialect;

/** Rotation as each vendor does it, driven by core's real OAuth2Provider. */
class RefreshRotationTest {
    private final ManualClock clock = ManualClock.at("2025-03-01T10:00:00Z");

    @Test
    void gitlabRotationRevokesTheOldRefreshAndAccessTokenAndCountsAReuse() throws Exception {
        try (FakeAuthorizationServer gitlab = FakeAuthorizationServer.builder().dialect(Dialect.GITLAB)
                .pathPrefix("/gitlab").clock(clock).start()) {
            OAuth2Provider provider = OAuth2Provider.create(gitlab.oauth2Settings().build());
            Identity identity = gitlab.issueIdentity("alice", "api", "read_user");
            clock.advance(Duration.ofHours(1));

            Identity refreshed = provider.refresh(identity);

            assertThat(gitlab.tokenUrl()).endsWith("/gitlab/oauth/token");
            assertThat(refreshed.refreshToken()).isPresent().isNotEqualTo(identity.refreshToken());
            assertThat(refreshed.extra("created_at")).contains(Long.toString(clock.instant().getEpochSecond()));
            assertThat(refreshed.expiresAt()).contains(clock.instant().plusSeconds(7200));
            assertThat(Wire.get(gitlab.apiUrl("/v4/user"), identity.accessToken()).status())
                    .as("the old access token died with the rotation").isEqualTo(401);
            assertThat(Wire.get(gitlab.apiUrl("/v4/user"), refreshed.accessToken()).status()).isEqualTo(200);

            assertThatThrownBy(() -> provider.refresh(identity))
                    .isInstanceOfSatisfying(IdentityNotValid.class, e -> {
                        assertThat(e.httpStatus()).isEqualTo(400);
                        assertThat(e.error()).contains("invalid_grant");
                        assertThat(e.errorDescription().orElseThrow()).startsWith("The provided authorization grant");
                    });
            assertThat(gitlab.reusedRefreshTokens()).isEqualTo(1);
            assertThat(provider.refresh(refreshed).accessToken()).isNotEqualTo(refreshed.accessToken());
            assertThat(gitlab.tokenRequests("refresh_token")).isEqualTo(3);
        }
    }

    @Test
    void aRefreshTokenIsCurrentUntilRotatedAwayExpiredOrRevokedAndLookingSpendsNothing() throws Exception {
        try (FakeAuthorizationServer server = FakeAuthorizationServer.builder().clock(clock)
                .refreshTokenLifetime(Duration.ofDays(1)).start()) {
            OAuth2Provider provider = OAuth2Provider.create(server.oauth2Settings().build());
            Identity identity = server.issueIdentity("alice", "api");
            String first = identity.refreshToken().orElseThrow();
            assertThat(server.isCurrentRefreshToken(first)).isTrue();

            String second = provider.refresh(identity).refreshToken().orElseThrow();

            assertThat(server.isCurrentRefreshToken(first)).as("rotated away").isFalse();
            assertThat(server.isCurrentRefreshToken(second)).isTrue();
            assertThat(server.isCurrentRefreshToken("rt-never-issued")).isFalse();
            assertThat(server.isCurrentRefreshToken(null)).isFalse();
            assertThat(server.reusedRefreshTokens()).as("looking is not presenting").isZero();
            assertThat(server.tokenRequests()).isEqualTo(1);
            server.suspendUser("alice");
            assertThat(server.isCurrentRefreshToken(second)).isFalse();
            server.reinstateUser("alice");
            assertThat(server.isCurrentRefreshToken(second)).isTrue();
            clock.advance(Duration.ofDays(1));
            assertThat(server.isCurrentRefreshToken(second)).as("expired").isFalse();
            String third = server.issueIdentity("bob", "api").refreshToken().orElseThrow();
            server.revokeUser("bob");
            assertThat(server.isCurrentRefreshToken(third)).as("revoked").isFalse();
        }
    }

    @Test
    void gitlabIssuesCreatedAtFromTheClockAndTwoHourTokens() throws Exception {
        try (FakeAuthorizationServer gitlab = FakeAuthorizationServer.builder().dialect(Dialect.GITLAB)
                .clock(clock).start()) {
            Identity identity = gitlab.issueIdentity("alice", "api");

            Wire.Answer answer = Wire.post(gitlab.tokenUrl(), Wire.form("grant_type", "refresh_token",
                    "refresh_token", identity.refreshToken().get(), "redirect_uri", gitlab.redirectUri(),
                    "client_id", gitlab.clientId(), "client_secret", gitlab.clientSecret()));

            assertThat(identity.extra("created_at")).contains(Long.toString(clock.instant().getEpochSecond()));
            assertThat(answer.status()).isEqualTo(200);
            assertThat(answer.json().get("created_at").isIntegralNumber()).isTrue();
            assertThat(answer.json().get("created_at").asLong()).isEqualTo(clock.instant().getEpochSecond());
            assertThat(answer.json().get("expires_in").asLong()).isEqualTo(7200);
            assertThat(answer.field("token_type")).isEqualTo("Bearer");
        }
    }

    @Test
    void googleKeepsTheRefreshTokenAndSendsNoNewOne() throws Exception {
        try (FakeAuthorizationServer google = FakeAuthorizationServer.builder().dialect(Dialect.GOOGLE)
                .clock(clock).start()) {
            OAuth2Provider provider = OAuth2Provider.create(google.oauth2Settings().build());
            Identity identity = google.issueIdentity("alice", "openid", "email");

            Wire.Answer raw = Wire.post(google.tokenUrl(), Wire.form("grant_type", "refresh_token",
                    "refresh_token", identity.refreshToken().get(),
                    "client_id", google.clientId(), "client_secret", google.clientSecret()));
            Identity once = provider.refresh(identity);
            Identity twice = provider.refresh(identity);

            assertThat(raw.status()).isEqualTo(200);
            assertThat(raw.has("refresh_token")).isFalse();
            assertThat(once.refreshToken()).isEqualTo(identity.refreshToken());
            assertThat(twice.accessToken()).isNotEqualTo(once.accessToken());
            assertThat(google.reusedRefreshTokens()).isZero();
            assertThat(Wire.get(google.apiUrl("/userinfo"), once.accessToken()).status())
                    .as("the previous access token lives out its lifetime").isEqualTo(200);
        }
    }

    @Test
    void googleSendsAnIdTokenForOpenidAndNoneWithout() throws Exception {
        try (FakeAuthorizationServer google = FakeAuthorizationServer.builder().dialect(Dialect.GOOGLE)
                .clock(clock).start()) {
            Identity withOpenid = google.issueIdentity("alice", "openid", "email");
            Identity without = google.issueIdentity("bob", "https://www.googleapis.com/auth/drive.readonly");

            JsonNode claims = new ObjectMapper().readTree(Base64.getUrlDecoder()
                    .decode(withOpenid.extra("id_token").orElseThrow().split("\\.")[1]));

            assertThat(claims.get("sub").asText()).isEqualTo("alice");
            assertThat(claims.get("aud").asText()).isEqualTo(google.clientId());
            assertThat(claims.get("iat").asLong()).isEqualTo(clock.instant().getEpochSecond());
            assertThat(without.extra("id_token")).isEmpty();
        }
    }

    @Test
    void googleRevocationKillsTheGrantByQueryOrForm() throws Exception {
        try (FakeAuthorizationServer google = FakeAuthorizationServer.builder().dialect(Dialect.GOOGLE)
                .clock(clock).start()) {
            OAuth2Provider provider = OAuth2Provider.create(google.oauth2Settings().build());
            Identity alice = google.issueIdentity("alice", "openid");
            Identity bob = google.issueIdentity("bob", "openid");

            provider.revoke(alice); // core sends the refresh token in the form
            Wire.Answer byQuery = Wire.execute(new Request.Builder()
                    .url(google.revocationUrl().orElseThrow() + "?token=" + bob.accessToken())
                    .post(RequestBody.create(new byte[0], null)).build());
            Wire.Answer unknown = Wire.post(google.revocationUrl().orElseThrow(), Wire.form("token", "no-such-token"));

            assertThat(byQuery.status()).isEqualTo(200);
            assertThat(unknown.status()).isEqualTo(400);
            assertThat(unknown.field("error")).isEqualTo("invalid_token");
            assertThat(google.revocations()).isEqualTo(2);
            assertThatThrownBy(() -> provider.refresh(alice))
                    .isInstanceOfSatisfying(IdentityNotValid.class, e ->
                            assertThat(e.errorDescription()).contains("Token has been expired or revoked."));
            assertThatThrownBy(() -> provider.refresh(bob)).isInstanceOf(IdentityNotValid.class);
            assertThat(Wire.get(google.apiUrl("/userinfo"), alice.accessToken()).status()).isEqualTo(401);
        }
    }

    @Test
    void genericRotationCanBeSwitchedOffAndOn() throws Exception {
        try (FakeAuthorizationServer server = FakeAuthorizationServer.builder().clock(clock)
                .rotateRefreshTokens(false).start()) {
            OAuth2Provider provider = OAuth2Provider.create(server.oauth2Settings().build());
            Identity identity = server.issueIdentity("alice", "read");

            Identity kept = provider.refresh(provider.refresh(identity));
            server.rotateRefreshTokens(true);
            Identity rotated = provider.refresh(kept);

            assertThat(kept.refreshToken()).isEqualTo(identity.refreshToken());
            assertThat(rotated.refreshToken()).isPresent().isNotEqualTo(identity.refreshToken());
            assertThatThrownBy(() -> provider.refresh(kept)).isInstanceOf(IdentityNotValid.class);
            assertThat(server.reusedRefreshTokens()).isEqualTo(1);
        }
    }

    @Test
    void genericRotationLeavesTheOldAccessTokenItsLifetime() throws Exception {
        try (FakeAuthorizationServer server = FakeAuthorizationServer.builder().clock(clock).start()) {
            OAuth2Provider provider = OAuth2Provider.create(server.oauth2Settings().build());
            Identity identity = server.issueIdentity("alice", "read");

            provider.refresh(identity);

            assertThat(Wire.get(server.apiUrl("/user"), identity.accessToken()).status()).isEqualTo(200);
        }
    }

    @Test
    void refreshMayNarrowTheScopeButNotWidenIt() throws Exception {
        try (FakeAuthorizationServer server = FakeAuthorizationServer.builder().clock(clock)
                .rotateRefreshTokens(false).start()) {
            Identity identity = server.issueIdentity("alice", "read", "write");

            Wire.Answer narrower = Wire.postBasic(server.tokenUrl(), server.clientId(), server.clientSecret(),
                    Wire.form("grant_type", "refresh_token", "refresh_token", identity.refreshToken().get(),
                            "scope", "read"));
            Wire.Answer wider = Wire.postBasic(server.tokenUrl(), server.clientId(), server.clientSecret(),
                    Wire.form("grant_type", "refresh_token", "refresh_token", identity.refreshToken().get(),
                            "scope", "read admin"));

            assertThat(narrower.status()).isEqualTo(200);
            assertThat(narrower.field("scope")).isEqualTo("read");
            assertThat(wider.status()).isEqualTo(400);
            assertThat(wider.field("error")).isEqualTo("invalid_scope");
        }
    }

    @Test
    void refreshTokensExpireByTheClockWhenGivenALifetime() throws Exception {
        try (FakeAuthorizationServer server = FakeAuthorizationServer.builder().clock(clock)
                .refreshTokenLifetime(Duration.ofDays(90)).start()) {
            OAuth2Provider provider = OAuth2Provider.create(server.oauth2Settings().build());
            Identity identity = server.issueIdentity("alice", "read");
            clock.advance(Duration.ofDays(90).minusSeconds(1));
            Identity lastDay = provider.refresh(identity);

            clock.advance(Duration.ofDays(90));

            assertThat(lastDay.refreshToken()).isPresent().isNotEqualTo(identity.refreshToken());
            assertThatThrownBy(() -> provider.refresh(lastDay))
                    .isInstanceOfSatisfying(IdentityNotValid.class, e ->
                            assertThat(e.errorDescription()).contains("The refresh token has expired."));
        }
    }

    @Test
    void revocationEndpointAuthenticatesTheClientInGitlab() throws Exception {
        try (FakeAuthorizationServer gitlab = FakeAuthorizationServer.builder().dialect(Dialect.GITLAB)
                .clock(clock).start()) {
            Identity identity = gitlab.issueIdentity("alice", "api");
            String url = gitlab.revocationUrl().orElseThrow();

            Wire.Answer anonymous = Wire.post(url, Wire.form("token", identity.accessToken()));
            Wire.Answer authenticated = Wire.post(url, Wire.form("token", identity.accessToken(),
                    "client_id", gitlab.clientId(), "client_secret", gitlab.clientSecret()));

            assertThat(anonymous.status()).isEqualTo(401);
            assertThat(authenticated.status()).isEqualTo(200);
            assertThat(authenticated.body()).isEqualTo("{}");
            assertThat(Wire.get(gitlab.apiUrl("/v4/user"), identity.accessToken()).status()).isEqualTo(401);
            assertThat(Wire.post(gitlab.tokenUrl(), Wire.form("grant_type", "refresh_token",
                    "refresh_token", identity.refreshToken().get(),
                    "client_id", gitlab.clientId(), "client_secret", gitlab.clientSecret())).field("error"))
                    .as("revoking the access token took the refresh token with it").isEqualTo("invalid_grant");
        }
    }
}
