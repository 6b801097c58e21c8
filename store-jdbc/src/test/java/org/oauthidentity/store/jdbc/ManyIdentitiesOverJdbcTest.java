package org.oauthidentity.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.http.RefreshingHttpClient;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.refresh.RetryPolicy;
import org.oauthidentity.testkit.FakeAuthorizationServer;

/**
 * One client for many identities over the database: a user unlinks and links another account under the same
 * id, done by another instance; the long-lived client switches to the new account, by itself at the next 401,
 * or at once when told to forget the id.
 */
abstract class ManyIdentitiesOverJdbcTest extends StoreTestSupport {
    private static final OkHttpClient HTTP = new OkHttpClient();

    private FakeAuthorizationServer vendor;
    private RefreshingHttpClient client;

    @BeforeEach
    void oneClientForTheService() throws Exception {
        vendor = FakeAuthorizationServer.builder().rotateRefreshTokens(true).clock(clock).start();
        OAuth2Provider provider = OAuth2Provider.create(vendor.oauth2Settings().httpClient(HTTP).build());
        IdentityRefresher refresher = IdentityRefresher.builder(store).provider(provider)
                .retryPolicy(RetryPolicy.none()).build();
        client = RefreshingHttpClient.builder(refresher).httpClient(HTTP).apiOrigin(vendor.baseUrl()).clock(clock)
                .build();
        store.create(vendor.issueIdentity("alice-first-account"));
        store.create(vendor.issueIdentity("bob"));
    }

    @AfterEach
    void stopVendor() {
        vendor.close();
    }

    private String me(String identityId) throws IOException {
        Request request = new Request.Builder().url(vendor.apiUrl("/user")).build();
        try (Response response = client.forIdentity(identityId).newCall(request).execute()) {
            assertThat(response.code()).isEqualTo(200);
            return response.body().string();
        }
    }

    /** Another instance of the service: the user unlinked the first account and linked a second one. */
    private Identity relinkElsewhere() {
        JdbcIdentityStore otherInstance = newStore().build();
        otherInstance.delete("alice-first-account");
        return otherInstance.create(vendor.issueIdentity("alice-second-account").toBuilder()
                .id("alice-first-account").build());
    }

    @Test
    void aRelinkWhoseOldGrantWasEndedIsNoticedAtTheNext401() throws Exception {
        assertThat(me("alice-first-account")).contains("\"username\":\"alice-first-account\"");
        assertThat(me("bob")).contains("\"username\":\"bob\"");

        Identity relinked = relinkElsewhere();
        vendor.expireAccessTokens("alice-first-account"); // unlinking ended the old grant at the vendor

        assertThat(me("alice-first-account")).contains("\"username\":\"alice-second-account\"");
        assertThat(vendor.tokenRequests("refresh_token")).as("adopted from the store, not refreshed").isZero();
        assertThat(store.find("alice-first-account").orElseThrow()).isEqualTo(relinked);
        assertThat(me("bob")).contains("\"username\":\"bob\"");
    }

    @Test
    void invalidatingAnIdentityMakesItsNextCallReadTheNewAccount() throws Exception {
        assertThat(me("alice-first-account")).contains("\"username\":\"alice-first-account\"");

        relinkElsewhere(); // the old grant still works at the vendor: only invalidation tells this client
        client.invalidate("alice-first-account");

        assertThat(me("alice-first-account")).contains("\"username\":\"alice-second-account\"");
        assertThat(vendor.apiCalls(401)).isZero();
    }
}
