package org.oauthidentity.providers.google;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.http.RefreshingHttpClient;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.refresh.RetryPolicy;
import org.oauthidentity.store.InMemoryIdentityStore;
import org.oauthidentity.testing.ManualClock;
import org.oauthidentity.testkit.FakeAuthorizationServer;
import org.oauthidentity.testkit.FakeAuthorizationServer.Dialect;
import org.oauthidentity.testkit.FakeAuthorizationServerExtension;
import org.oauthidentity.testkit.TokenRequest;

/**
 * Google end to end: a service calls a Google API through {@link RefreshingHttpClient} as alice, who granted
 * {@code openid email} offline access, with tokens the testkit's fake Google issues, refreshes (never
 * rotating) and revokes.
 */
class GoogleEndToEndTest {
    private static final OkHttpClient HTTP = new OkHttpClient();

    private final ManualClock clock = ManualClock.at("2025-03-01T10:00:00Z");
    @RegisterExtension
    final FakeAuthorizationServerExtension fake = FakeAuthorizationServerExtension.of(
            FakeAuthorizationServer.builder().dialect(Dialect.GOOGLE).clock(clock));

    private final InMemoryIdentityStore store = new InMemoryIdentityStore();
    private RefreshingHttpClient client;
    private String userinfoUrl;
    private Identity linked;

    @BeforeEach
    void aliceLinkedHerGoogleAccount(FakeAuthorizationServer server) {
        GoogleProvider google = GoogleProvider.builder()
                .tokenUrl(server.tokenUrl())
                .revocationUrl(server.revocationUrl().orElseThrow())
                .clientId(server.clientId())
                .clientSecret(server.clientSecret())
                .httpClient(HTTP)
                .clock(clock)
                .build();
        IdentityRefresher refresher = IdentityRefresher.builder(store).provider(google)
                .retryPolicy(RetryPolicy.none()).build();
        client = RefreshingHttpClient.builder(refresher, "alice")
                .httpClient(HTTP)
                .apiOrigin(server.baseUrl())
                .clock(clock)
                .build();
        userinfoUrl = server.apiUrl("/oauth2/v3/userinfo");
        linked = store.create(server.issueIdentity("alice", "openid", "email"));
    }

    private int callTheApi() throws IOException {
        try (Response response = client.newCall(new Request.Builder().url(userinfoUrl).build()).execute()) {
            return response.code();
        }
    }

    @Test
    void anExpiredTokenIsRefreshedInGooglesShapeThenTheCallSucceeds(FakeAuthorizationServer server) throws Exception {
        clock.movePast(linked.expiresAt().orElseThrow());

        assertThat(callTheApi()).isEqualTo(200);

        assertThat(server.tokenRequests()).isEqualTo(1);
        assertThat(server.tokenRequests("refresh_token")).isEqualTo(1);
        assertGoogleShape(server.onlyTokenRequestSeen(), server);
        assertThat(server.apiCalls(401)).as("the expired token was never sent").isZero();
        assertThat(server.apiCalls(200)).isEqualTo(1);
        assertRefreshedAndStored();
    }

    @Test
    void aTokenTheApiNoLongerAcceptsIsRefreshedAndTheCallRetriedOnce(FakeAuthorizationServer server) throws Exception {
        server.expireAccessTokens("alice");
        assertThat(linked.expiresAt().orElseThrow()).as("the stored copy looks fresh").isAfter(clock.instant());

        assertThat(callTheApi()).isEqualTo(200);

        assertThat(server.apiCalls(401)).isEqualTo(1);
        assertThat(server.tokenRequests("refresh_token")).isEqualTo(1);
        assertGoogleShape(server.onlyTokenRequestSeen(), server);
        assertThat(server.apiCalls(200)).isEqualTo(1);
        assertRefreshedAndStored();
    }

    @Test
    void aRevokedUserIsIdentityNotValidAndTheStoreIsUnchanged(FakeAuthorizationServer server) {
        server.revokeUser("alice");

        assertThatThrownBy(this::callTheApi)
                .isInstanceOfSatisfying(IdentityNotValid.class, e -> {
                    assertThat(e.error()).contains("invalid_grant");
                    assertThat(e.errorDescription()).contains("Token has been expired or revoked.");
                })
                .hasMessageNotContaining(linked.refreshToken().orElseThrow())
                .hasMessageNotContaining(server.clientSecret());

        assertThat(server.apiCalls(401)).isEqualTo(1);
        assertThat(server.tokenRequests()).as("IdentityNotValid is never retried").isEqualTo(1);
        assertThat(server.apiCalls(200)).isZero();
        assertThat(store.find("alice")).contains(linked);
    }

    @Test
    void aSuspendedAccountFoundOnAnExpiredTokenIsIdentityNotValidAndTheStoreIsUnchanged(FakeAuthorizationServer server) {
        server.suspendUser("alice");
        clock.movePast(linked.expiresAt().orElseThrow());

        assertThatThrownBy(this::callTheApi).isInstanceOf(IdentityNotValid.class);

        assertThat(server.apiCalls()).as("no call without a usable token").isZero();
        assertThat(server.tokenRequests()).isEqualTo(1);
        assertThat(store.find("alice")).contains(linked);
    }

    /** Google's refresh: credentials in the form, no redirect_uri, no Basic. */
    private void assertGoogleShape(TokenRequest refresh, FakeAuthorizationServer server) {
        assertThat(refresh.fieldNames()).containsExactlyInAnyOrder(
                "grant_type", "refresh_token", "client_id", "client_secret");
        assertThat(refresh.field("grant_type")).isEqualTo("refresh_token");
        assertThat(refresh.field("client_id")).isEqualTo(server.clientId());
        assertThat(refresh.sent("client_secret", server.clientSecret())).as("client secret").isTrue();
        assertThat(refresh.sent("refresh_token", linked.refreshToken().orElseThrow())).as("refresh token").isTrue();
        assertThat(refresh.sentAuthorizationHeader()).as("no Basic").isFalse();
    }

    /** A new access token and id_token, the same refresh token (Google never rotates), expiry start + 3599 s. */
    private void assertRefreshedAndStored() {
        Identity stored = store.find("alice").orElseThrow();
        assertThat(stored.version()).isEqualTo(linked.version() + 1);
        assertThat(stored.accessToken().equals(linked.accessToken())).as("a new access token").isFalse();
        assertThat(stored.refreshToken().equals(linked.refreshToken())).as("the same refresh token").isTrue();
        assertThat(stored.extra(GoogleProvider.ID_TOKEN_EXTRA)).as("an id_token").isPresent();
        assertThat(stored.expiresAt()).contains(clock.instant().plus(Duration.ofSeconds(3599)));
    }
}
