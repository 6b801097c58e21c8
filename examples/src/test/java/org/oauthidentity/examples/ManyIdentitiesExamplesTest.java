package org.oauthidentity.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.http.HttpClient;
import java.time.Duration;
import okhttp3.OkHttpClient;
import okhttp3.ResponseBody;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.http.AsIdentity;
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
import retrofit2.http.Tag;

/**
 * One client for every linked account of a service, used two ways against the fake GitLab: a Retrofit service
 * that names the identity per call ({@code @Tag AsIdentity}), and the JDK's {@code java.net.http} client fed
 * with tokens ({@link JdkHttpGitLab}).
 */
class ManyIdentitiesExamplesTest {
    private static final OkHttpClient HTTP = new OkHttpClient();

    /** The service as a Retrofit user writes it: the identity is a parameter of each call. */
    interface GitLabService {
        @GET("api/v4/user")
        Call<ResponseBody> currentUser(@Tag AsIdentity as);
    }

    private final ManualClock clock = ManualClock.at("2025-03-01T10:00:00Z");
    @RegisterExtension
    final FakeAuthorizationServerExtension fake = FakeAuthorizationServerExtension.of(
            FakeAuthorizationServer.builder().dialect(Dialect.GITLAB).rotateRefreshTokens(true).clock(clock));

    private final InMemoryIdentityStore store = new InMemoryIdentityStore();
    private RefreshingHttpClient client;

    @BeforeEach
    void threeUsersLinkedTheirAccounts(FakeAuthorizationServer server) {
        GitLabProvider provider = GitLabProvider.builder().baseUrl(server.baseUrl())
                .clientId(server.clientId()).clientSecret(server.clientSecret()).redirectUri(server.redirectUri())
                .httpClient(HTTP).clock(clock).build();
        IdentityRefresher refresher = IdentityRefresher.builder(store).provider(provider)
                .retryPolicy(RetryPolicy.none()).build();
        client = RefreshingHttpClient.builder(refresher).httpClient(HTTP).apiOrigin(server.baseUrl()).clock(clock)
                .build();
        for (String user : new String[] {"alice", "bob", "carol"}) {
            store.create(server.issueIdentity(user, "read_api"));
        }
    }

    @Test
    void aRetrofitServiceCallsAsTheIdentityEachCallNames(FakeAuthorizationServer server) throws IOException {
        GitLabService gitlab = new Retrofit.Builder().baseUrl(server.baseUrl() + "/").client(client.okHttpClient())
                .build().create(GitLabService.class);
        server.expireAccessTokens("bob"); // only a 401 tells

        for (String user : new String[] {"alice", "bob", "carol"}) {
            Response<ResponseBody> response = gitlab.currentUser(AsIdentity.of(user)).execute();
            assertThat(response.code()).isEqualTo(200);
            assertThat(response.body().string()).contains("\"username\":\"" + user + "\"");
        }
        assertThat(server.tokenRequests("refresh_token")).as("bob's 401, refreshed once").isEqualTo(1);
        assertThat(server.apiCalls(401)).isEqualTo(1);
    }

    @Test
    void javaNetHttpGetsValidTokensAndOneNewTokenAfterA401(FakeAuthorizationServer server) throws Exception {
        JdkHttpGitLab gitlab = new JdkHttpGitLab(HttpClient.newHttpClient(), client, server.baseUrl());

        assertThat(gitlab.currentUser("alice")).contains("\"username\":\"alice\"");
        assertThat(server.tokenRequests("refresh_token")).isZero();

        // dropped by the vendor while our copy looks fresh: one 401, one refresh, one retry
        server.expireAccessTokens("alice");
        assertThat(gitlab.currentUser("alice")).contains("\"username\":\"alice\"");
        assertThat(server.apiCalls(401)).isEqualTo(1);
        assertThat(server.tokenRequests("refresh_token")).isEqualTo(1);

        // expired by the clock: refreshed before the call, no 401
        clock.advance(Duration.ofHours(3));
        assertThat(gitlab.currentUser("bob")).contains("\"username\":\"bob\"");
        assertThat(server.tokenRequests("refresh_token")).isEqualTo(2);
        assertThat(server.apiCalls(401)).isEqualTo(1);
        assertThat(server.reusedRefreshTokens()).isZero();

        // revoked: IdentityNotValid, nothing sent with a dead token
        server.revokeUser("carol");
        clock.advance(Duration.ofHours(3));
        long apiCalls = server.apiCalls();
        assertThatThrownBy(() -> gitlab.currentUser("carol")).isInstanceOf(IdentityNotValid.class);
        assertThat(server.apiCalls()).isEqualTo(apiCalls);
    }
}
