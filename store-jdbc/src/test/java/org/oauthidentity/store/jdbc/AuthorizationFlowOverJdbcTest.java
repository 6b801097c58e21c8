package org.oauthidentity.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.authorize.AuthorizationException;
import org.oauthidentity.authorize.AuthorizationException.Reason;
import org.oauthidentity.authorize.AuthorizationFlow;
import org.oauthidentity.authorize.AuthorizationRedirect;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.testkit.CallbackRace;
import org.oauthidentity.testkit.FakeAuthorizationServer;

/**
 * Linking an account with both stores in a real database: an {@link AuthorizationFlow} keeps its pending
 * authorizations in {@link JdbcPendingAuthorizationStore} and the identities it creates in
 * {@link JdbcIdentityStore}, against the testkit's fake vendor (generic RFC 6749 dialect, PKCE) on loopback. The
 * user's browser is an OkHttp client that does not follow redirects: it GETs the authorize URL and reads the
 * callback from {@code Location}. Time comes from the test's clock, shared by the flow and the fake.
 */
abstract class AuthorizationFlowOverJdbcTest extends StoreTestSupport {
    static final String ALICE = "alice";
    static final String ALICE_SESSION = "session-alice-" + random(20);
    static final String MALLORY_SESSION = "session-mallory-" + random(20);
    static final Duration FLOW_TTL = Duration.ofMinutes(10);
    private static final OkHttpClient BROWSER = new OkHttpClient.Builder().followRedirects(false).build();

    FakeAuthorizationServer vendor;
    Instance instance;
    private final List<TestPool> morePools = new ArrayList<>();

    /** One instance of the service: its own pool, stores, provider and flow; only the database is shared. */
    final class Instance {
        final JdbcIdentityStore identities;
        final JdbcPendingAuthorizationStore pending;
        final AuthorizationFlow flow;

        Instance(JdbcIdentityStore identities, TestPool pool) {
            this.identities = identities;
            this.pending = JdbcPendingAuthorizationStore.builder(pool).createSchemaIfMissing().build();
            OAuth2Provider provider = OAuth2Provider.create(vendor.oauth2Settings()
                    .authorizationUrl(vendor.authorizeUrl())
                    .build());
            this.flow = AuthorizationFlow.builder(provider)
                    .identityStore(identities)
                    .pendingAuthorizations(pending)
                    .clock(clock)
                    .ttl(FLOW_TTL)
                    .build();
        }
    }

    @BeforeEach
    void startVendorAndInstance() throws Exception {
        vendor = FakeAuthorizationServer.builder().dialect(FakeAuthorizationServer.Dialect.GENERIC).clock(clock).start();
        vendor.signIn(ALICE);
        instance = new Instance(store, db.pool);
        db.execute("DELETE FROM " + JdbcPendingAuthorizationStore.TABLE);
    }

    @AfterEach
    void stopVendor() {
        vendor.verifyNoInternalFailures();
        vendor.close();
        morePools.forEach(TestPool::close);
    }

    /** Another instance of the service over the same database: a second pool, stores, provider and flow. */
    Instance anotherInstance() {
        TestPool pool = new TestPool(db.url, db.user, db.password, 8);
        morePools.add(pool);
        return new Instance(JdbcIdentityStore.builder(pool).clock(clock).build(), pool);
    }

    /** The user's browser at the vendor: the authorize page redirects straight back (the user approves or denies). */
    static HttpUrl visit(HttpUrl authorizeUrl) throws Exception {
        try (Response response = BROWSER.newCall(new Request.Builder().url(authorizeUrl).build()).execute()) {
            assertThat(response.code()).as("the vendor redirects back").isEqualTo(302);
            return HttpUrl.get(response.header("Location"));
        }
    }

    HttpUrl startAndApprove(Instance at, String session) throws Exception {
        return visit(at.flow.start(vendor.redirectUri(), session, List.of("api")).url());
    }

    static AuthorizationException refused(ThrowingCallable completion) {
        return catchThrowableOfType(AuthorizationException.class, completion);
    }

    int identityRows() {
        return ((Number) db.queryValue("SELECT COUNT(*) FROM oauth_identity")).intValue();
    }

    int pendingRows() {
        return ((Number) db.queryValue("SELECT COUNT(*) FROM " + JdbcPendingAuthorizationStore.TABLE)).intValue();
    }

    long codeExchanges() {
        return vendor.tokenRequests("authorization_code");
    }

    // ---- the happy path ------------------------------------------------------------------------------------

    @Test
    void aUserWhoApprovesGetsAnIdentityStoredWithExpiryAndRefreshToken() throws Exception {
        Instant started = clock.instant();
        AuthorizationRedirect redirect = instance.flow.start(vendor.redirectUri(), ALICE_SESSION, List.of("api"));
        assertThat(pendingRows()).isEqualTo(1);
        clock.advance(Duration.ofSeconds(20)); // the user reads the consent page

        HttpUrl callback = visit(redirect.url());
        Identity linked = instance.flow.complete(callback, ALICE_SESSION);

        assertThat(callback.queryParameter("state")).isEqualTo(redirect.state());
        assertThat(linked.version()).isEqualTo(1);
        assertThat(linked.providerKey()).isEqualTo(vendor.providerKey());
        assertThat(linked.refreshToken()).isPresent();
        // The generic fake's access tokens live an hour from the exchange.
        assertThat(linked.expiresAt()).contains(started.plusSeconds(20).plus(Duration.ofHours(1)));
        assertThat(store.find(linked.id())).contains(linked);
        assertThat(identityRows()).isEqualTo(1);
        assertThat(pendingRows()).as("the pending authorization is spent").isZero();
        assertThat(codeExchanges()).isEqualTo(1);
    }

    // ---- refusals: nothing is stored ----------------------------------------------------------------------

    @Test
    void theSameCallbackReplayedIsRejectedAndCreatesNoSecondIdentity() throws Exception {
        HttpUrl callback = startAndApprove(instance, ALICE_SESSION);
        instance.flow.complete(callback, ALICE_SESSION);

        AuthorizationException replay = refused(() -> instance.flow.complete(callback, ALICE_SESSION));

        assertThat(replay.reason()).isEqualTo(Reason.INVALID_STATE);
        assertThat(identityRows()).isEqualTo(1);
        assertThat(codeExchanges()).as("the replayed code never reached the vendor").isEqualTo(1);
    }

    @Test
    void aStateStartedByAnotherSessionIsRejectedAndSpentForItsOwnerToo() throws Exception {
        HttpUrl callback = startAndApprove(instance, ALICE_SESSION);

        AuthorizationException stolen = refused(() -> instance.flow.complete(callback, MALLORY_SESSION));
        AuthorizationException afterwards = refused(() -> instance.flow.complete(callback, ALICE_SESSION));

        assertThat(stolen.reason()).isEqualTo(Reason.OWNER_MISMATCH);
        assertThat(afterwards.reason()).isEqualTo(Reason.INVALID_STATE);
        assertThat(identityRows()).isZero();
        assertThat(pendingRows()).isZero();
        assertThat(codeExchanges()).isZero();
    }

    @Test
    void aCallbackAfterTheTtlIsRejectedAndItsRowIsDeleted() throws Exception {
        HttpUrl callback = startAndApprove(instance, ALICE_SESSION);

        clock.advance(FLOW_TTL);
        AuthorizationException late = refused(() -> instance.flow.complete(callback, ALICE_SESSION));

        assertThat(late.reason()).isEqualTo(Reason.INVALID_STATE);
        assertThat(pendingRows()).isZero();
        assertThat(identityRows()).isZero();
        assertThat(codeExchanges()).isZero();
    }

    @Test
    void abandonedAuthorizationsArePurgedByALaterStart() throws Exception {
        for (int i = 0; i < 3; i++) {
            instance.flow.start(vendor.redirectUri(), "session-abandoned-" + i, List.of("api"));
        }
        assertThat(pendingRows()).isEqualTo(3);

        clock.advance(FLOW_TTL);
        AuthorizationRedirect fresh = instance.flow.start(vendor.redirectUri(), ALICE_SESSION, List.of("api"));

        assertThat(pendingRows()).as("only the fresh one is left").isEqualTo(1);
        assertThat(instance.flow.complete(visit(fresh.url()), ALICE_SESSION).version()).isEqualTo(1);
    }

    @Test
    void aUserWhoDeniesConsentGetsATypedAccessDenied() throws Exception {
        vendor.denyConsent(ALICE);
        HttpUrl callback = startAndApprove(instance, ALICE_SESSION);

        AuthorizationException denied = refused(() -> instance.flow.complete(callback, ALICE_SESSION));

        assertThat(callback.queryParameter("error")).isEqualTo("access_denied");
        assertThat(denied.reason()).isEqualTo(Reason.ACCESS_DENIED);
        assertThat(denied.vendorError()).contains("access_denied");
        assertThat(identityRows()).isZero();
        assertThat(pendingRows()).isZero();
        assertThat(codeExchanges()).isZero();
    }

    @Test
    void aCodeAlreadyRedeemedIsRefusedByTheVendorAsInvalidGrant() throws Exception {
        HttpUrl first = startAndApprove(instance, ALICE_SESSION);
        instance.flow.complete(first, ALICE_SESSION);
        // The redeemed code spliced onto a callback of a fresh, live authorization: the state passes, the code not.
        AuthorizationRedirect second = instance.flow.start(vendor.redirectUri(), ALICE_SESSION, List.of("api"));
        HttpUrl spliced = first.newBuilder().setQueryParameter("state", second.state()).build();

        AuthorizationException rejected = refused(() -> instance.flow.complete(spliced, ALICE_SESSION));

        assertThat(rejected.reason()).isEqualTo(Reason.CODE_REJECTED);
        assertThat(rejected.vendorError()).contains("invalid_grant");
        assertThat(rejected.tokenEndpointError()).hasValueSatisfying(e -> assertThat(e.error()).contains("invalid_grant"));
        assertThat(vendor.reusedCodes()).isEqualTo(1);
        assertThat(identityRows()).as("no second identity").isEqualTo(1);
        assertThat(pendingRows()).isZero();
    }

    // ---- several instances sharing only the database ------------------------------------------------------

    @Test
    void theCallbackHandledByAnotherInstanceSharingOnlyTheDatabaseSucceeds() throws Exception {
        Instance other = anotherInstance();
        HttpUrl callback = startAndApprove(instance, ALICE_SESSION);

        Identity linked = other.flow.complete(callback, ALICE_SESSION);

        assertThat(instance.identities.find(linked.id())).contains(linked);
        assertThat(linked.refreshToken()).isPresent();
        assertThat(refused(() -> instance.flow.complete(callback, ALICE_SESSION)).reason())
                .as("the instance that started it sees the state spent").isEqualTo(Reason.INVALID_STATE);
        assertThat(identityRows()).isEqualTo(1);
        assertThat(codeExchanges()).isEqualTo(1);
    }

    @Test
    void oneCallbackDeliveredToTwoInstancesAtOnceLinksOneIdentity() throws Exception {
        Instance other = anotherInstance();
        int rounds = 20;
        for (int round = 0; round < rounds; round++) {
            HttpUrl callback = startAndApprove(round % 2 == 0 ? instance : other, ALICE_SESSION);
            List<Object> results = CallbackRace.completeAtOnce(callback, ALICE_SESSION,
                    List.of(instance.flow, other.flow));

            assertThat(results).as("round %d", round).filteredOn(Identity.class::isInstance).hasSize(1);
            assertThat(results).as("round %d", round).filteredOn(Reason.class::isInstance)
                    .containsExactly(Reason.INVALID_STATE);
        }
        assertThat(identityRows()).isEqualTo(rounds);
        assertThat(codeExchanges()).as("one exchange per authorization").isEqualTo(rounds);
        assertThat(vendor.reusedCodes()).isZero();
        assertThat(pendingRows()).isZero();
    }
}
