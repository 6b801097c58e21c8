package org.oauthidentity.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.http.RefreshingHttpClient;
import org.oauthidentity.providers.google.GoogleProvider;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.refresh.RetryPolicy;
import org.oauthidentity.store.InMemoryIdentityStore;
import org.oauthidentity.testing.ManualClock;
import org.oauthidentity.testkit.FakeAuthorizationServer;
import org.oauthidentity.testkit.FakeAuthorizationServer.Dialect;
import org.oauthidentity.testkit.FakeAuthorizationServerExtension;
import org.oauthidentity.testkit.TokenRequest;

/** The Google example: alice linked her Google account with OpenID scopes (the fake's GOOGLE dialect); the service asks who she is. */
class GoogleUserInfoTest {
    private static final OkHttpClient HTTP = new OkHttpClient();
    private static final String USERINFO = "{\"sub\":\"110169484474386276334\",\"name\":\"Alice Example\","
            + "\"given_name\":\"Alice\",\"family_name\":\"Example\",\"picture\":\"https://lh3.googleusercontent.com/a/x\","
            + "\"email\":\"alice@example.com\",\"email_verified\":true}";

    private final ManualClock clock = ManualClock.at("2025-03-01T10:00:00Z");
    @RegisterExtension
    final FakeAuthorizationServerExtension fake = FakeAuthorizationServerExtension.of(
            FakeAuthorizationServer.builder().dialect(Dialect.GOOGLE).clock(clock));

    private final InMemoryIdentityStore store = new InMemoryIdentityStore();
    private VendorApi googleApis;
    private GoogleUserInfo userInfo;
    private Identity linked;

    @BeforeEach
    void aliceLinkedHerGoogleAccount(FakeAuthorizationServer server) throws IOException {
        GoogleProvider provider = GoogleProvider.builder()
                .tokenUrl(server.tokenUrl())
                .revocationUrl(server.revocationUrl().orElseThrow())
                .clientId(server.clientId())
                .clientSecret(server.clientSecret())
                .httpClient(HTTP)
                .clock(clock)
                .build();
        IdentityRefresher refresher = IdentityRefresher.builder(store).provider(provider)
                .retryPolicy(RetryPolicy.none()).build();
        googleApis = new VendorApi(server).answer("/v1/userinfo", USERINFO);

        RefreshingHttpClient http = RefreshingHttpClient.builder(refresher, "alice")
                .httpClient(HTTP)
                .apiOrigin(googleApis.url("/"))
                .clock(clock)
                .build();
        userInfo = new GoogleUserInfo(http, googleApis.url("/v1/userinfo"));
        linked = store.create(server.issueIdentity("alice", "openid", "email", "profile"));
    }

    @AfterEach
    void stopTheApi() {
        googleApis.close();
    }

    @Test
    void readsWhoTheUserIsWithTheStoredToken(FakeAuthorizationServer server) throws Exception {
        GoogleUserInfo.User alice = userInfo.user();

        assertThat(alice.subject()).isEqualTo("110169484474386276334");
        assertThat(alice.email()).contains("alice@example.com");
        assertThat(alice.name()).contains("Alice Example");
        assertThat(server.tokenRequests()).isZero();
        assertThat(server.apiCalls(200)).isEqualTo(1);
        assertThat(store.find("alice")).contains(linked);
    }

    @Test
    void anExpiredTokenIsRefreshedTheGoogleWayBeforeTheCall(FakeAuthorizationServer server) throws Exception {
        clock.movePast(linked.expiresAt().orElseThrow());

        assertThat(userInfo.user().subject()).isEqualTo("110169484474386276334");

        // one refresh in Google's shape: credentials in the form, no redirect_uri, no Basic
        assertThat(server.tokenRequests()).isEqualTo(1);
        assertThat(server.tokenRequests("refresh_token")).isEqualTo(1);
        TokenRequest refresh = server.onlyTokenRequestSeen();
        assertThat(refresh.fieldNames()).containsExactlyInAnyOrder(
                "grant_type", "refresh_token", "client_id", "client_secret");
        assertThat(refresh.field("grant_type")).isEqualTo("refresh_token");
        assertThat(refresh.field("client_id")).isEqualTo(server.clientId());
        assertThat(refresh.sent("client_secret", server.clientSecret())).as("client secret").isTrue();
        assertThat(refresh.sent("refresh_token", linked.refreshToken().orElseThrow())).as("refresh token").isTrue();
        assertThat(refresh.sentAuthorizationHeader()).isFalse();
        // the API saw only the new token; the store holds it with the same refresh token (Google never rotates)
        assertThat(server.apiCalls(401)).isZero();
        assertThat(server.apiCalls(200)).isEqualTo(1);
        Identity stored = store.find("alice").orElseThrow();
        assertThat(stored.version()).isEqualTo(linked.version() + 1);
        assertThat(stored.accessToken().equals(linked.accessToken())).as("a new access token").isFalse();
        assertThat(stored.refreshToken().equals(linked.refreshToken())).as("the same refresh token").isTrue();
        assertThat(stored.extra(GoogleProvider.ID_TOKEN_EXTRA)).isPresent();
        assertThat(stored.expiresAt()).contains(clock.instant().plus(Duration.ofSeconds(3599)));
    }

    @Test
    void aRevokedUserIsIdentityNotValidAndTheStoreKeepsTheIdentity(FakeAuthorizationServer server) {
        server.revokeUser("alice");

        assertThatThrownBy(() -> userInfo.user())
                .isInstanceOf(IdentityNotValid.class)
                .hasMessageContaining("Token has been expired or revoked.")
                .hasMessageNotContaining(linked.refreshToken().orElseThrow())
                .hasMessageNotContaining(server.clientSecret());

        assertThat(server.apiCalls(401)).isEqualTo(1);
        assertThat(server.apiCalls(200)).isZero();
        assertThat(server.tokenRequests("refresh_token")).isEqualTo(1);
        assertThat(store.find("alice")).contains(linked);
    }
}
