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
import org.oauthidentity.providers.gitlab.GitLabProvider;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.refresh.RetryPolicy;
import org.oauthidentity.store.InMemoryIdentityStore;
import org.oauthidentity.testing.ManualClock;
import org.oauthidentity.testkit.FakeAuthorizationServer;
import org.oauthidentity.testkit.FakeAuthorizationServer.Dialect;
import org.oauthidentity.testkit.FakeAuthorizationServerExtension;
import org.oauthidentity.testkit.TokenRequest;

/** The GitLab example: alice linked her GitLab account (the fake's GITLAB dialect); the service reads who she is and her projects. */
class GitLabApiTest {
    private static final OkHttpClient HTTP = new OkHttpClient();
    private static final String USER = "{\"id\":1,\"username\":\"alice\",\"name\":\"Alice Example\",\"state\":\"active\","
            + "\"web_url\":\"https://gitlab.example.com/alice\"}";
    private static final String PROJECTS = "[{\"id\":4,\"name\":\"Diaspora Client\",\"path\":\"diaspora-client\","
            + "\"path_with_namespace\":\"diaspora/diaspora-client\",\"default_branch\":\"main\"},"
            + "{\"id\":6,\"name\":\"Puppet\",\"path\":\"puppet\",\"path_with_namespace\":\"alice/puppet\","
            + "\"default_branch\":\"main\"}]";

    private final ManualClock clock = ManualClock.at("2025-03-01T10:00:00Z");
    @RegisterExtension
    final FakeAuthorizationServerExtension fake = FakeAuthorizationServerExtension.of(
            FakeAuthorizationServer.builder().dialect(Dialect.GITLAB).clock(clock));

    private final InMemoryIdentityStore store = new InMemoryIdentityStore();
    private VendorApi gitlabApi;
    private GitLabApi gitlab;
    private Identity linked;

    @BeforeEach
    void aliceLinkedHerGitLabAccount(FakeAuthorizationServer server) throws IOException {
        GitLabProvider provider = GitLabProvider.builder()
                .baseUrl(server.baseUrl())
                .clientId(server.clientId())
                .clientSecret(server.clientSecret())
                .redirectUri(server.redirectUri())
                .httpClient(HTTP)
                .clock(clock)
                .build();
        IdentityRefresher refresher = IdentityRefresher.builder(store).provider(provider)
                .retryPolicy(RetryPolicy.none()).build();
        gitlabApi = new VendorApi(server)
                .answer("/api/v4/user", USER)
                .answer("/api/v4/projects?membership=true", PROJECTS);

        RefreshingHttpClient http = RefreshingHttpClient.builder(refresher, "alice")
                .httpClient(HTTP)
                .apiOrigin(gitlabApi.url("/"))
                .clock(clock)
                .build();
        gitlab = new GitLabApi(http, gitlabApi.url("/"));
        linked = store.create(server.issueIdentity("alice", "read_api"));
    }

    @AfterEach
    void stopTheApi() {
        gitlabApi.close();
    }

    @Test
    void readsTheUserAndTheirProjectsWithTheStoredToken(FakeAuthorizationServer server) throws Exception {
        assertThat(gitlab.username()).isEqualTo("alice");
        assertThat(gitlab.projectPaths()).containsExactly("diaspora/diaspora-client", "alice/puppet");

        assertThat(server.tokenRequests()).isZero();
        assertThat(server.apiCalls(200)).isEqualTo(2);
        assertThat(store.find("alice")).contains(linked);
    }

    @Test
    void anExpiredTokenIsRefreshedTheGitLabWayBeforeTheCall(FakeAuthorizationServer server) throws Exception {
        clock.movePast(linked.expiresAt().orElseThrow());

        assertThat(gitlab.username()).isEqualTo("alice");
        assertThat(gitlab.projectPaths()).containsExactly("diaspora/diaspora-client", "alice/puppet");

        // one refresh for both calls, in GitLab's shape: credentials and callback URL in the form
        assertThat(server.tokenRequests()).isEqualTo(1);
        assertThat(server.tokenRequests("refresh_token")).isEqualTo(1);
        TokenRequest refresh = server.onlyTokenRequestSeen();
        assertThat(refresh.fieldNames()).containsExactlyInAnyOrder(
                "grant_type", "refresh_token", "client_id", "client_secret", "redirect_uri");
        assertThat(refresh.field("grant_type")).isEqualTo("refresh_token");
        assertThat(refresh.field("client_id")).isEqualTo(server.clientId());
        assertThat(refresh.field("redirect_uri")).isEqualTo(server.redirectUri());
        assertThat(refresh.sent("client_secret", server.clientSecret())).as("client secret").isTrue();
        assertThat(refresh.sent("refresh_token", linked.refreshToken().orElseThrow())).as("refresh token").isTrue();
        assertThat(refresh.sentAuthorizationHeader()).isFalse();
        // the API saw only the new token; the store holds the rotated tokens, expiring created_at + 7200 s
        assertThat(server.apiCalls(401)).isZero();
        assertThat(server.apiCalls(200)).isEqualTo(2);
        Identity stored = store.find("alice").orElseThrow();
        assertThat(stored.version()).isEqualTo(linked.version() + 1);
        assertThat(stored.accessToken().equals(linked.accessToken())).as("a new access token").isFalse();
        assertThat(stored.refreshToken()).isPresent();
        assertThat(stored.refreshToken().equals(linked.refreshToken())).as("a rotated refresh token").isFalse();
        assertThat(stored.extra("created_at")).contains(Long.toString(clock.instant().getEpochSecond()));
        assertThat(stored.expiresAt()).contains(clock.instant().plus(Duration.ofHours(2)));
        assertThat(server.reusedRefreshTokens()).isZero();
    }

    @Test
    void aRevokedUserIsIdentityNotValidAndTheStoreKeepsTheIdentity(FakeAuthorizationServer server) {
        server.revokeUser("alice");

        assertThatThrownBy(() -> gitlab.username())
                .isInstanceOf(IdentityNotValid.class)
                .hasMessageNotContaining(linked.refreshToken().orElseThrow())
                .hasMessageNotContaining(server.clientSecret());

        assertThat(server.apiCalls(401)).isEqualTo(1);
        assertThat(server.apiCalls(200)).isZero();
        assertThat(server.tokenRequests("refresh_token")).isEqualTo(1);
        assertThat(store.find("alice")).contains(linked);
    }
}
