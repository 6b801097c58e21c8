package org.oauthidentity.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.testing.ManualClock;
import org.oauthidentity.testkit.FakeAuthorizationServer.Dialect;

/** The example of README.md, verbatim apart from the clock's declaration. */
class ReadmeExampleTest {
    static final ManualClock clock = ManualClock.at("2025-03-01T10:00:00Z");

    @RegisterExtension   // static: one server per class; an instance field gives one per test
    static FakeAuthorizationServerExtension fake = FakeAuthorizationServerExtension.of(
            FakeAuthorizationServer.builder().dialect(Dialect.GITLAB).clock(clock));  // a Clock your test moves

    @Test
    void aRotatedRefreshTokenIsDeadForGood(FakeAuthorizationServer server) throws Exception {
        OAuth2Provider provider = OAuth2Provider.create(server.oauth2Settings().build());
        Identity identity = server.issueIdentity("alice", "api");

        Identity refreshed = provider.refresh(identity);

        assertThat(refreshed.refreshToken()).isNotEqualTo(identity.refreshToken());
        assertThatThrownBy(() -> provider.refresh(identity)).isInstanceOf(IdentityNotValid.class);
        assertThat(server.reusedRefreshTokens()).isEqualTo(1);
    }
}
