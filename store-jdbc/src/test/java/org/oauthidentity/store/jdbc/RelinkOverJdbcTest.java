package org.oauthidentity.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityStoreException;
import org.oauthidentity.RefreshException;
import org.oauthidentity.authorize.AccountLookup;
import org.oauthidentity.authorize.AuthorizationException;
import org.oauthidentity.authorize.AuthorizationException.GrantRevocation;
import org.oauthidentity.authorize.AuthorizationException.Reason;
import org.oauthidentity.authorize.AuthorizationFlow;
import org.oauthidentity.authorize.CodeExchange;
import org.oauthidentity.authorize.InMemoryPendingAuthorizationStore;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.oauth2.OAuth2Settings;
import org.oauthidentity.oauth2.TokenResponse;
import org.oauthidentity.testkit.FakeAuthorizationServer;

/**
 * Linking the same vendor account again, in a real database: given a user who linked account "alice" at the
 * testkit's vendor (the account named by the {@code sub} of its id_token), when the same owner links it again,
 * then the one row is updated; another owner gets a row of their own; two instances completing for the same
 * account at once leave one row; a store that refuses the identity gets the new grant revoked at the vendor.
 */
abstract class RelinkOverJdbcTest extends StoreTestSupport {
    private static final String ALICE = "alice";
    private static final OkHttpClient BROWSER = new OkHttpClient.Builder().followRedirects(false).build();

    private FakeAuthorizationServer vendor;
    private OAuth2Provider provider;
    private final AtomicInteger ids = new AtomicInteger();
    private final List<TestPool> morePools = new ArrayList<>();

    @BeforeEach
    void startVendor() throws Exception {
        vendor = FakeAuthorizationServer.builder().dialect(FakeAuthorizationServer.Dialect.GENERIC).clock(clock).start();
        vendor.signIn(ALICE);
        provider = new SubjectNamingProvider(vendor.oauth2Settings().authorizationUrl(vendor.authorizeUrl()).build());
    }

    @AfterEach
    void stopVendor() {
        vendor.verifyNoInternalFailures();
        vendor.close();
        morePools.forEach(TestPool::close);
    }

    @Test
    void linkingTheSameAccountAgainForTheSameOwnerUpdatesItsRow() throws Exception {
        AuthorizationFlow flow = flow(store);
        Identity first = link(flow, "owner-1");

        Identity again = link(flow, "owner-1");

        assertThat(again.id()).isEqualTo(first.id());
        assertThat(again.version()).isEqualTo(first.version() + 1);
        assertThat(again.incarnation()).isEqualTo(first.incarnation());
        assertThat(again.accessToken()).isNotEqualTo(first.accessToken());
        assertThat(store.find(first.id()).orElseThrow().accessToken()).isEqualTo(again.accessToken());
        assertThat(store.findByExternalUser(vendor.providerKey(), ALICE, "owner-1")).map(Identity::id)
                .contains(first.id());
        assertThat(rows()).isEqualTo(1);
    }

    @Test
    void theSameAccountLinkedByAnotherOwnerIsAnotherRow() throws Exception {
        AuthorizationFlow flow = flow(store);
        Identity first = link(flow, "owner-1");

        Identity second = link(flow, "owner-2");

        assertThat(second.id()).isNotEqualTo(first.id());
        assertThat(second.version()).isEqualTo(1);
        assertThat(store.listByOwner("owner-1")).extracting(Identity::id).containsExactly(first.id());
        assertThat(store.listByOwner("owner-2")).extracting(Identity::id).containsExactly(second.id());
        assertThat(rows()).isEqualTo(2);
    }

    @Test
    void twoInstancesCompletingForTheSameAccountAtOnceLeaveOneRow() throws Exception {
        AuthorizationFlow here = flow(store);
        TestPool pool = new TestPool(db.url, db.user, db.password, 8);
        morePools.add(pool);
        AuthorizationFlow there = flow(JdbcIdentityStore.builder(pool).clock(clock).build());
        int rounds = 10;
        for (int round = 0; round < rounds; round++) {
            String owner = "owner-" + round;
            List<HttpUrl> callbacks = List.of(approve(here, owner), approve(there, owner));
            CyclicBarrier together = new CyclicBarrier(2);
            List<Future<Identity>> outcomes = new ArrayList<>();
            List<AuthorizationFlow> flows = List.of(here, there);
            for (int i = 0; i < 2; i++) {
                AuthorizationFlow flow = flows.get(i);
                HttpUrl callback = callbacks.get(i);
                outcomes.add(threads.submit(() -> {
                    together.await();
                    return flow.complete(callback, owner);
                }));
            }
            List<Identity> linked = new ArrayList<>();
            for (Future<Identity> outcome : outcomes) {
                linked.add(outcome.get(30, TimeUnit.SECONDS));
            }

            assertThat(linked).as("round %d", round).extracting(Identity::id).containsOnly(linked.get(0).id());
            assertThat(linked).as("round %d", round).extracting(Identity::version).containsExactlyInAnyOrder(1L, 2L);
            assertThat(store.listByOwner(owner)).as("round %d", round).hasSize(1);
        }
        assertThat(rows()).isEqualTo(rounds);
    }

    @Test
    void theDatabaseRefusesASecondRowForOneAccountAndOwner() {
        store.create(account("row-1", "owner-1"));

        assertThatThrownBy(() -> store.create(account("row-2", "owner-1")))
                .isInstanceOf(IdentityStoreException.class).hasMessageContaining("row-1");
        store.create(account("row-3", "owner-2"));
        store.create(account("row-4", null));
        store.create(account("row-5", null));
        assertThat(rows()).isEqualTo(4);
    }

    @Test
    void aVersionThreeTableIsUpgradedAndItsRowsKeepWorkingWithoutAnOwner() {
        db.execute("DROP TABLE oauth_identity");
        db.execute("DROP TABLE " + Schema.HISTORY); // that release had no history
        for (String script : List.of("V1__oauth_identity.sql", "V3__incarnation.sql")) {
            Schema.statements(store.dialect(), script).forEach(db::execute);
        }
        for (String id : List.of("legacy-1", "legacy-2")) {
            db.execute("INSERT INTO oauth_identity (id, provider_key, external_user_id, access_token, token_type,"
                    + " scopes, extras, status, version, incarnation, created_at, updated_at) VALUES ('" + id
                    + "', 'gitlab', '42', 'at-" + id + "', 'Bearer', '[]', '{}', 'VALID', 1, 7,"
                    + " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)");
        }

        JdbcIdentityStore upgraded = newStore().build();

        Identity legacy = upgraded.find("legacy-1").orElseThrow();
        assertThat(legacy.ownerId()).isEmpty();
        assertThat(upgraded.save(legacy.toBuilder().accessToken("at-new").build()).version()).isEqualTo(2);
        assertThat(upgraded.findByExternalUser("gitlab", "42", "owner-1")).isEmpty();
        Identity owned = upgraded.create(account("owned", "owner-1"));
        assertThat(upgraded.findByExternalUser("gitlab", "42", "owner-1")).contains(owned);
        assertThat(rows()).isEqualTo(3);
    }

    @Test
    void aStoreRefusalAfterTheExchangeRevokesTheNewGrantAtTheVendorAndSaysSo() throws Exception {
        // The id the flow will draw is taken already: the store refuses the new identity.
        store.create(Identity.builder().id("identity-" + (ids.get() + 1)).providerKey("other").accessToken("x").build());
        AuthorizationFlow flow = flow(store);
        HttpUrl callback = approve(flow, "owner-1");
        long revocationsBefore = vendor.revocations();

        Throwable thrown = catchThrowable(() -> flow.complete(callback, "owner-1"));
        assertThat(thrown).isInstanceOf(AuthorizationException.class);
        AuthorizationException e = (AuthorizationException) thrown;

        assertThat(e.reason()).isEqualTo(Reason.NOT_STORED);
        assertThat(e.grantRevocation()).isEqualTo(GrantRevocation.REVOKED);
        assertThat(e).hasMessageContaining("the new grant was revoked at the vendor");
        assertThat(vendor.revocations() - revocationsBefore).isEqualTo(1);
        assertThat(store.listByOwner("owner-1")).isEmpty();
    }

    private AuthorizationFlow flow(JdbcIdentityStore identities) {
        return AuthorizationFlow.builder(provider)
                .identityStore(identities)
                .pendingAuthorizations(sharedPending)
                .clock(clock)
                .idGenerator(() -> "identity-" + ids.incrementAndGet())
                .build();
    }

    private final InMemoryPendingAuthorizationStore sharedPending = new InMemoryPendingAuthorizationStore();

    private HttpUrl approve(AuthorizationFlow flow, String owner) throws Exception {
        HttpUrl authorize = flow.start(vendor.redirectUri(), owner, List.of("openid", "api")).url();
        try (Response response = BROWSER.newCall(new Request.Builder().url(authorize).build()).execute()) {
            assertThat(response.code()).as("the vendor redirects back").isEqualTo(302);
            return HttpUrl.get(response.header("Location"));
        }
    }

    private Identity link(AuthorizationFlow flow, String owner) throws Exception {
        return flow.complete(approve(flow, owner), owner);
    }

    private int rows() {
        return ((Number) db.queryValue("SELECT COUNT(*) FROM oauth_identity")).intValue();
    }

    private Identity account(String id, String owner) {
        return Identity.builder().id(id).providerKey("gitlab").externalUserId("42").ownerId(owner)
                .accessToken("at-" + id).build();
    }

    /** A vendor module's way: the account is the {@code sub} of the id_token from the token endpoint. */
    private static final class SubjectNamingProvider extends OAuth2Provider {
        SubjectNamingProvider(OAuth2Settings settings) {
            super(settings);
        }

        @Override
        protected Identity newIdentity(CodeExchange exchange, TokenResponse response) throws RefreshException {
            Identity issued = super.newIdentity(exchange, response).toBuilder()
                    .refreshToken(response.refreshToken().orElse(null)).build();
            return AccountLookup.fromIdToken(response.field("id_token").orElse(null), issued, "sub");
        }
    }
}
