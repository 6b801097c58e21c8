package org.oauthidentity.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import okhttp3.OkHttpClient;
import okhttp3.ResponseBody;
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
import retrofit2.Call;
import retrofit2.Response;
import retrofit2.Retrofit;
import retrofit2.http.GET;

/**
 * A Retrofit service on top of {@link RefreshingHttpClient#okHttpClient()}: Retrofit needs nothing of ours and
 * we need nothing of Retrofit (it is a test dependency here only). The token comes and goes underneath it.
 */
class RetrofitExampleTest {
    private static final OkHttpClient HTTP = new OkHttpClient();

    /** The service as a Retrofit user writes it. */
    interface GitLabService {
        @GET("api/v4/user")
        Call<ResponseBody> currentUser();
    }

    private final ManualClock clock = ManualClock.at("2025-03-01T10:00:00Z");
    @RegisterExtension
    final FakeAuthorizationServerExtension fake = FakeAuthorizationServerExtension.of(
            FakeAuthorizationServer.builder().dialect(Dialect.GITLAB).clock(clock));

    private final InMemoryIdentityStore store = new InMemoryIdentityStore();
    private GitLabService gitlab;
    private Identity linked;

    @BeforeEach
    void aliceLinkedHerGitLabAccount(FakeAuthorizationServer server) {
        GitLabProvider provider = GitLabProvider.builder().baseUrl(server.baseUrl())
                .clientId(server.clientId()).clientSecret(server.clientSecret()).redirectUri(server.redirectUri())
                .httpClient(HTTP).clock(clock).build();
        IdentityRefresher refresher = IdentityRefresher.builder(store).provider(provider)
                .retryPolicy(RetryPolicy.none()).build();
        RefreshingHttpClient http = RefreshingHttpClient.builder(refresher, "alice")
                .httpClient(HTTP).apiOrigin(server.baseUrl()).clock(clock).build();

        gitlab = new Retrofit.Builder()
                .baseUrl(server.baseUrl() + "/")
                .client(http.okHttpClient())
                .build()
                .create(GitLabService.class);
        linked = store.create(server.issueIdentity("alice", "read_api"));
    }

    @Test
    void aRetrofitCallIsRefreshedAndRetriedAfterTheVendorRevokedItsAccessToken(FakeAuthorizationServer server)
            throws IOException {
        server.expireAccessTokens("alice"); // our copy still looks fresh: only a 401 can tell

        Response<ResponseBody> response = gitlab.currentUser().execute();

        assertThat(response.code()).isEqualTo(200);
        response.body().close();
        assertThat(server.apiCalls(401)).isEqualTo(1);
        assertThat(server.apiCalls(200)).isEqualTo(1);
        assertThat(server.tokenRequests("refresh_token")).isEqualTo(1);
        assertThat(store.find("alice").orElseThrow().version()).isEqualTo(linked.version() + 1);
    }

    @Test
    void aRevokedIdentityComesOutOfRetrofitAsIdentityNotValid(FakeAuthorizationServer server) {
        server.revokeUser("alice");

        assertThatThrownBy(() -> gitlab.currentUser().execute()).isInstanceOf(IdentityNotValid.class);

        assertThat(store.find("alice")).contains(linked);
    }
}
