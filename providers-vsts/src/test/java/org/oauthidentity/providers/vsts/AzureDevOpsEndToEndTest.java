package org.oauthidentity.providers.vsts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.Provider;
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
 * Azure DevOps end to end: a service calls the Azure DevOps REST API through {@link RefreshingHttpClient} as
 * alice, whose tokens the testkit's fake server issued, refreshes and revokes: once as legacy Azure DevOps
 * OAuth (AZURE_DEVOPS dialect), once as Microsoft Entra ID (ENTRA dialect). The same scenarios run for both.
 */
class AzureDevOpsEndToEndTest {
    private static final OkHttpClient HTTP = new OkHttpClient();

    @Nested
    class LegacyAzureDevOpsOAuth extends Scenarios {
        LegacyAzureDevOpsOAuth() {
            super(FakeAuthorizationServer.builder().dialect(Dialect.AZURE_DEVOPS), "vso.project");
        }

        @Override
        Provider provider(FakeAuthorizationServer server, OkHttpClient http) {
            return AzureDevOps.legacy()
                    .tokenUrl(server.tokenUrl())
                    .clientSecret(server.clientSecret())
                    .redirectUri(server.redirectUri())
                    .httpClient(http)
                    .clock(clock)
                    .build();
        }

        @Override
        void assertVendorShape(TokenRequest refresh, FakeAuthorizationServer server) {
            assertThat(refresh.fieldNames()).containsExactlyInAnyOrder(
                    "client_assertion_type", "client_assertion", "grant_type", "assertion", "redirect_uri");
            assertThat(refresh.field("client_assertion_type"))
                    .isEqualTo("urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
            assertThat(refresh.field("grant_type")).isEqualTo("refresh_token");
            assertThat(refresh.field("redirect_uri")).isEqualTo(server.redirectUri());
            assertThat(refresh.sent("client_assertion", server.clientSecret())).as("client secret as assertion").isTrue();
            assertThat(refresh.sent("assertion", linked.refreshToken().orElseThrow())).as("refresh token").isTrue();
            assertThat(refresh.sentAuthorizationHeader()).as("no Basic").isFalse();
        }
    }

    @Nested
    class EntraId extends Scenarios {
        EntraId() {
            super(FakeAuthorizationServer.builder().dialect(Dialect.ENTRA).tenant("contoso.example")
                    .providerKey(AzureDevOps.ENTRA_KEY),
                    AzureDevOps.AZURE_DEVOPS_RESOURCE_ID + "/.default", "offline_access");
        }

        @Override
        Provider provider(FakeAuthorizationServer server, OkHttpClient http) {
            return AzureDevOps.entra("contoso.example")
                    .authorityHost(server.baseUrl())
                    .clientId(server.clientId())
                    .clientSecret(server.clientSecret())
                    .httpClient(http)
                    .clock(clock)
                    .build();
        }

        @Override
        void assertVendorShape(TokenRequest refresh, FakeAuthorizationServer server) {
            assertThat(refresh.fieldNames()).containsExactlyInAnyOrder(
                    "grant_type", "refresh_token", "client_id", "client_secret", "scope");
            assertThat(refresh.field("grant_type")).isEqualTo("refresh_token");
            assertThat(refresh.field("client_id")).isEqualTo(server.clientId());
            assertThat(refresh.field("scope")).isEqualTo(AzureDevOps.DEFAULT_ENTRA_SCOPE);
            assertThat(refresh.sent("client_secret", server.clientSecret())).as("client secret").isTrue();
            assertThat(refresh.sent("refresh_token", linked.refreshToken().orElseThrow())).as("refresh token").isTrue();
            assertThat(refresh.sentAuthorizationHeader()).as("no Basic").isFalse();
        }

        @Test
        void aRevokedGrantKeepsEntrasCodeInTheError(FakeAuthorizationServer server) {
            server.revokeUser("alice");

            assertThatThrownBy(() -> callTheApi())
                    .isInstanceOfSatisfying(IdentityNotValid.class, e -> {
                        assertThat(e.error()).contains("invalid_grant");
                        assertThat(e.errorSubtype()).contains("AADSTS50173");
                    });
        }
    }

    /** Given alice linked her account (stored, version 1) and a client calling the API as her. */
    abstract static class Scenarios {
        final ManualClock clock = ManualClock.at("2025-03-01T10:00:00Z");
        @RegisterExtension
        final FakeAuthorizationServerExtension fake;
        private final String[] scopes;
        final InMemoryIdentityStore store = new InMemoryIdentityStore();
        RefreshingHttpClient client;
        String projectsUrl;
        Identity linked;

        Scenarios(FakeAuthorizationServer.Builder fake, String... scopes) {
            this.fake = FakeAuthorizationServerExtension.of(fake.clock(clock));
            this.scopes = scopes;
        }

        abstract Provider provider(FakeAuthorizationServer server, OkHttpClient http);

        /** The refresh went out exactly as this endpoint wants it. */
        abstract void assertVendorShape(TokenRequest refresh, FakeAuthorizationServer server);

        @BeforeEach
        void aliceLinkedHerAccount(FakeAuthorizationServer server) {
            IdentityRefresher refresher = IdentityRefresher.builder(store)
                    .provider(provider(server, HTTP))
                    .retryPolicy(RetryPolicy.none())
                    .build();
            client = RefreshingHttpClient.builder(refresher, "alice")
                    .httpClient(HTTP)
                    .apiOrigin(server.baseUrl())
                    .clock(clock)
                    .build();
            projectsUrl = server.apiUrl("/fabrikam/_apis/projects?api-version=7.1");
            linked = store.create(server.issueIdentity("alice", scopes));
        }

        int callTheApi() throws IOException {
            try (Response response = client.newCall(new Request.Builder().url(projectsUrl).build()).execute()) {
                return response.code();
            }
        }

        @Test
        void anExpiredTokenIsRefreshedInTheVendorsShapeThenTheCallSucceeds(FakeAuthorizationServer server)
                throws Exception {
            clock.movePast(linked.expiresAt().orElseThrow());

            assertThat(callTheApi()).isEqualTo(200);

            assertThat(server.tokenRequests()).isEqualTo(1);
            assertThat(server.tokenRequests("refresh_token")).isEqualTo(1);
            assertVendorShape(server.onlyTokenRequestSeen(), server);
            assertThat(server.apiCalls(401)).as("the expired token was never sent").isZero();
            assertThat(server.apiCalls(200)).isEqualTo(1);
            assertRefreshedAndStored();
        }

        @Test
        void aTokenTheApiNoLongerAcceptsIsRefreshedAndTheCallRetriedOnce(FakeAuthorizationServer server)
                throws Exception {
            server.expireAccessTokens("alice");
            assertThat(linked.expiresAt().orElseThrow()).as("the stored copy looks fresh").isAfter(clock.instant());

            assertThat(callTheApi()).isEqualTo(200);

            assertThat(server.apiCalls(401)).isEqualTo(1);
            assertThat(server.tokenRequests("refresh_token")).isEqualTo(1);
            assertVendorShape(server.onlyTokenRequestSeen(), server);
            assertThat(server.apiCalls(200)).isEqualTo(1);
            assertRefreshedAndStored();
        }

        @Test
        void aRevokedUserIsIdentityNotValidAndTheStoreIsUnchanged(FakeAuthorizationServer server) {
            server.revokeUser("alice");

            assertThatThrownBy(this::callTheApi)
                    .isInstanceOf(IdentityNotValid.class)
                    .hasMessageNotContaining(linked.refreshToken().orElseThrow())
                    .hasMessageNotContaining(server.clientSecret());

            assertThat(server.apiCalls(401)).isEqualTo(1);
            assertThat(server.tokenRequests()).as("IdentityNotValid is never retried").isEqualTo(1);
            assertThat(server.apiCalls(200)).isZero();
            assertThat(store.find("alice")).contains(linked);
        }

        /** The store holds the new, rotated tokens, expiring 3599 s (sent as a string by legacy) after the refresh. */
        private void assertRefreshedAndStored() {
            Identity stored = store.find("alice").orElseThrow();
            assertThat(stored.version()).isEqualTo(linked.version() + 1);
            assertThat(stored.providerKey()).isEqualTo(linked.providerKey());
            assertThat(stored.accessToken().equals(linked.accessToken())).as("a new access token").isFalse();
            assertThat(stored.refreshToken()).isPresent();
            assertThat(stored.refreshToken().equals(linked.refreshToken())).as("a rotated refresh token").isFalse();
            assertThat(stored.tokenType()).isEqualTo("Bearer");
            assertThat(stored.expiresAt()).contains(clock.instant().plus(Duration.ofSeconds(3599)));
        }
    }
}
