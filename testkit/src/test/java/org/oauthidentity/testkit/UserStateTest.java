package org.oauthidentity.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.testing.ManualClock;
import org.oauthidentity.testkit.FakeAuthorizationServer.Dialect;

/** A revoked or suspended user's refresh is invalid_grant, which core reads as IdentityNotValid. */
class UserStateTest {
    private final ManualClock clock = ManualClock.at("2025-03-01T10:00:00Z");

    @ParameterizedTest
    @EnumSource(value = Dialect.class, names = {"GENERIC", "ENTRA", "GITLAB", "GOOGLE"})
    void revokedAndSuspendedUsersCannotRefreshAndOthersCan(Dialect dialect) throws Exception {
        try (FakeAuthorizationServer server = FakeAuthorizationServer.builder().dialect(dialect).clock(clock).start()) {
            OAuth2Provider provider = OAuth2Provider.create(server.oauth2Settings().build());
            Identity alice = server.issueIdentity("alice", "openid");
            Identity bob = server.issueIdentity("bob", "openid");
            Identity carol = server.issueIdentity("carol", "openid");

            server.revokeUser("alice");
            server.suspendUser("bob");

            assertThatThrownBy(() -> provider.refresh(alice)).isInstanceOfSatisfying(IdentityNotValid.class,
                    e -> assertThat(e.error()).contains("invalid_grant"));
            assertThatThrownBy(() -> provider.refresh(bob)).isInstanceOfSatisfying(IdentityNotValid.class,
                    e -> assertThat(e.error()).contains("invalid_grant"));
            assertThat(provider.refresh(carol).accessToken()).isNotEqualTo(carol.accessToken());
            assertThat(server.reusedRefreshTokens()).as("refusals of dead grants are not reuses").isZero();

            server.reinstateUser("bob");
            assertThat(provider.refresh(bob).accessToken()).isNotEqualTo(bob.accessToken());
            assertThatThrownBy(() -> provider.refresh(alice)).as("revocation is for good")
                    .isInstanceOf(IdentityNotValid.class);
            assertThat(server.issueIdentity("alice", "openid").accessToken())
                    .as("the user may link the account again").isNotBlank();
        }
    }

    @Test
    void googleSaysTokenHasBeenExpiredOrRevoked() throws Exception {
        try (FakeAuthorizationServer google = FakeAuthorizationServer.builder().dialect(Dialect.GOOGLE).clock(clock)
                .start()) {
            OAuth2Provider provider = OAuth2Provider.create(google.oauth2Settings().build());
            Identity revoked = google.issueIdentity("alice", "openid");
            Identity suspended = google.issueIdentity("bob", "openid");
            google.revokeUser("alice");
            google.suspendUser("bob");

            for (Identity identity : new Identity[] {revoked, suspended}) {
                assertThatThrownBy(() -> provider.refresh(identity)).isInstanceOfSatisfying(IdentityNotValid.class,
                        e -> {
                            assertThat(e.httpStatus()).isEqualTo(400);
                            assertThat(e.errorDescription()).contains("Token has been expired or revoked.");
                        });
            }
            assertThatThrownBy(() -> google.issueIdentity("bob", "openid")).isInstanceOf(IllegalStateException.class);
        }
    }
}
