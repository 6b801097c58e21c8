package org.oauthidentity.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import javax.sql.DataSource;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.authorize.AuthorizationFlow;
import org.oauthidentity.authorize.AuthorizationRedirect;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.testkit.FakeAuthorizationServer;

/** The pending authorizations example of the module README, as written there, on H2 and the fake vendor. */
class ReadmePendingExampleTest {

    @Test
    void thePendingAuthorizationExampleRuns() throws Exception {
        try (TestDatabase db = TestDatabase.h2InMemory();
                FakeAuthorizationServer vendor = FakeAuthorizationServer.builder().start()) {
            DataSource dataSource = db.pool;
            TokenCipher cipher = TestKeys.newCipher();
            JdbcIdentityStore store = JdbcIdentityStore.builder(dataSource).migrateSchema().build();
            OAuth2Provider provider = OAuth2Provider.create(vendor.oauth2Settings()
                    .authorizationUrl(vendor.authorizeUrl()).build());
            String redirectUri = vendor.redirectUri();
            String userId = "user-" + StoreTestSupport.random(20);
            vendor.signIn("alice");

            // ---- as in README.md
            AuthorizationFlow flow = AuthorizationFlow.builder(provider)           // an AuthorizationCodeProvider
                    .identityStore(store)                                          // the JdbcIdentityStore above
                    .pendingAuthorizations(JdbcPendingAuthorizationStore.builder(dataSource)
                            .migrateSchema()                                       // or apply the scripts yourself
                            .tokenCipher(cipher)                                   // optional: the PKCE verifier at rest
                            .build())
                    .build();
            AuthorizationRedirect redirect = flow.start(redirectUri, userId, List.of("api"));     // on any instance; your user's id
            // ----
            HttpUrl callbackUrl = AuthorizationFlowOverJdbcTest.visit(redirect.url());
            // ---- as in README.md
            Identity linked = flow.complete(callbackUrl, userId);                                 // on any instance
            // ----

            assertThat(store.find(linked.id())).contains(linked);
            assertThat(linked.refreshToken()).isPresent();
            assertThat(db.queryValue("SELECT COUNT(*) FROM " + JdbcPendingAuthorizationStore.TABLE))
                    .isEqualTo(0L);
        }
    }
}
