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
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.providers.vsts.AzureDevOps;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.refresh.RetryPolicy;
import org.oauthidentity.store.InMemoryIdentityStore;
import org.oauthidentity.testing.ManualClock;
import org.oauthidentity.testkit.FakeAuthorizationServer;
import org.oauthidentity.testkit.FakeAuthorizationServer.Dialect;
import org.oauthidentity.testkit.FakeAuthorizationServerExtension;
import org.oauthidentity.testkit.TokenRequest;

/**
 * The Azure DevOps example: alice linked her account through legacy Azure DevOps OAuth (the fake's
 * AZURE_DEVOPS dialect); the service lists her organization's projects.
 */
class AzureDevOpsProjectsTest {
    private static final OkHttpClient HTTP = new OkHttpClient();
    /** Azure DevOps' answer to {@code GET _apis/projects} (trimmed from the REST API reference). */
    private static final String PROJECTS = "{\"count\":2,\"value\":["
            + "{\"id\":\"eb6e4656-77fc-42a1-9181-4c6d8e9da5d1\",\"name\":\"Fabrikam-Fiber-TFVC\","
            + "\"url\":\"https://dev.azure.com/fabrikam/_apis/projects/eb6e4656-77fc-42a1-9181-4c6d8e9da5d1\","
            + "\"state\":\"wellFormed\",\"revision\":411,\"visibility\":\"private\"},"
            + "{\"id\":\"6ce954b1-ce1f-45d1-b94d-e6bf2464ba2c\",\"name\":\"Fabrikam-Fiber-Git\","
            + "\"url\":\"https://dev.azure.com/fabrikam/_apis/projects/6ce954b1-ce1f-45d1-b94d-e6bf2464ba2c\","
            + "\"state\":\"wellFormed\",\"revision\":412,\"visibility\":\"private\"}]}";

    private final ManualClock clock = ManualClock.at("2025-03-01T10:00:00Z");
    @RegisterExtension
    final FakeAuthorizationServerExtension fake = FakeAuthorizationServerExtension.of(
            FakeAuthorizationServer.builder().dialect(Dialect.AZURE_DEVOPS).clock(clock));

    private final InMemoryIdentityStore store = new InMemoryIdentityStore();
    private VendorApi azureDevOps;
    private AzureDevOpsProjects projects;
    private Identity linked;

    @BeforeEach
    void aliceLinkedHerAzureDevOpsAccount(FakeAuthorizationServer server) throws IOException {
        OAuth2Provider provider = AzureDevOps.legacy()
                .tokenUrl(server.tokenUrl())
                .clientSecret(server.clientSecret())
                .redirectUri(server.redirectUri())
                .httpClient(HTTP)
                .clock(clock)
                .build();
        IdentityRefresher refresher = IdentityRefresher.builder(store).provider(provider)
                .retryPolicy(RetryPolicy.none()).build();
        azureDevOps = new VendorApi(server).answer("/fabrikam/_apis/projects?api-version=7.1", PROJECTS);

        RefreshingHttpClient http = RefreshingHttpClient.builder(refresher, "alice")
                .httpClient(HTTP)
                .apiOrigin(azureDevOps.url("/"))
                .clock(clock)
                .build();
        projects = new AzureDevOpsProjects(http, azureDevOps.url("/fabrikam"));
        linked = store.create(server.issueIdentity("alice", "vso.project"));
    }

    @AfterEach
    void stopTheApi() {
        azureDevOps.close();
    }

    @Test
    void listsTheProjectNamesWithTheStoredToken(FakeAuthorizationServer server) throws Exception {
        assertThat(projects.names()).containsExactly("Fabrikam-Fiber-TFVC", "Fabrikam-Fiber-Git");

        assertThat(server.tokenRequests()).isZero();
        assertThat(server.apiCalls(200)).isEqualTo(1);
        assertThat(store.find("alice")).contains(linked);
    }

    @Test
    void anExpiredTokenIsRefreshedTheAzureDevOpsWayBeforeTheCall(FakeAuthorizationServer server) throws Exception {
        clock.movePast(linked.expiresAt().orElseThrow());

        assertThat(projects.names()).containsExactly("Fabrikam-Fiber-TFVC", "Fabrikam-Fiber-Git");

        // one refresh, in Azure DevOps' shape: client assertion, refresh token as "assertion", callback URL
        assertThat(server.tokenRequests()).isEqualTo(1);
        assertThat(server.tokenRequests("refresh_token")).isEqualTo(1);
        TokenRequest refresh = server.onlyTokenRequestSeen();
        assertThat(refresh.fieldNames()).containsExactlyInAnyOrder(
                "client_assertion_type", "client_assertion", "grant_type", "assertion", "redirect_uri");
        assertThat(refresh.field("client_assertion_type"))
                .isEqualTo("urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
        assertThat(refresh.field("grant_type")).isEqualTo("refresh_token");
        assertThat(refresh.field("redirect_uri")).isEqualTo(server.redirectUri());
        assertThat(refresh.sent("client_assertion", server.clientSecret())).as("client secret as assertion").isTrue();
        assertThat(refresh.sent("assertion", linked.refreshToken().orElseThrow())).as("refresh token").isTrue();
        assertThat(refresh.sentAuthorizationHeader()).isFalse();
        // the API saw only the new token, and the store holds the rotated tokens
        assertThat(server.apiCalls(401)).isZero();
        assertThat(server.apiCalls(200)).isEqualTo(1);
        Identity stored = store.find("alice").orElseThrow();
        assertThat(stored.version()).isEqualTo(linked.version() + 1);
        assertThat(stored.accessToken().equals(linked.accessToken())).as("a new access token").isFalse();
        assertThat(stored.refreshToken()).isPresent();
        assertThat(stored.refreshToken().equals(linked.refreshToken())).as("a rotated refresh token").isFalse();
        assertThat(stored.expiresAt()).contains(clock.instant().plus(Duration.ofSeconds(3599)));
    }

    @Test
    void aRevokedUserIsIdentityNotValidAndTheStoreKeepsTheIdentity(FakeAuthorizationServer server) {
        server.revokeUser("alice");

        assertThatThrownBy(() -> projects.names())
                .isInstanceOf(IdentityNotValid.class)
                .hasMessageNotContaining(linked.refreshToken().orElseThrow())
                .hasMessageNotContaining(server.clientSecret());

        // the API refused the token, the refresh was refused, and nothing was retried or stored
        assertThat(server.apiCalls(401)).isEqualTo(1);
        assertThat(server.apiCalls(200)).isZero();
        assertThat(server.tokenRequests("refresh_token")).isEqualTo(1);
        assertThat(store.find("alice")).contains(linked);
    }
}
