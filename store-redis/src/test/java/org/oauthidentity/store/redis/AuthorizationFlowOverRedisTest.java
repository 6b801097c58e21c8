package org.oauthidentity.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.oauthidentity.Identity;
import org.oauthidentity.authorize.AuthorizationException;
import org.oauthidentity.authorize.AuthorizationException.Reason;
import org.oauthidentity.authorize.AuthorizationFlow;
import org.oauthidentity.authorize.AuthorizationRedirect;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.store.jdbc.JdbcIdentityStore;
import org.oauthidentity.testing.ManualClock;
import org.oauthidentity.testkit.CallbackRace;
import org.oauthidentity.testkit.FakeAuthorizationServer;
import org.oauthidentity.testkit.FakeAuthorizationServerExtension;
import redis.clients.jedis.JedisPool;

/**
 * Linking an account with the pending authorizations in Redis and the identities in a database (H2 here), against
 * the testkit's fake vendor (generic RFC 6749 dialect, PKCE) on loopback: two instances of the service, each with
 * its own Jedis pool, flow and identity store, sharing only Redis and the database. The user's browser is an OkHttp
 * client that does not follow redirects: it GETs the authorize URL and reads the callback from {@code Location}.
 * Time comes from the test's clock, shared by the flows and the fake.
 */
class AuthorizationFlowOverRedisTest {
    private static final String ALICE = "alice";
    private static final String ALICE_USER = "user-alice";
    private static final String MALLORY_USER = "user-mallory";
    private static final Duration FLOW_TTL = Duration.ofMinutes(10);
    private static final String PREFIX = "flow-test:pending:";
    private static final OkHttpClient BROWSER = new OkHttpClient.Builder().followRedirects(false).build();

    private final ManualClock clock = ManualClock.at(Instant.now().truncatedTo(ChronoUnit.MICROS));
    /** An instance field: a fresh fake vendor per test, checked for internal failures after it. */
    @RegisterExtension
    final FakeAuthorizationServerExtension fake = FakeAuthorizationServerExtension.of(
            FakeAuthorizationServer.builder().dialect(FakeAuthorizationServer.Dialect.GENERIC).clock(clock));

    private static TestRedis redis;
    private static JdbcDataSource database;
    private FakeAuthorizationServer vendor;
    private final List<JedisPool> pools = new ArrayList<>();
    private Instance one;
    private Instance two;

    /** One instance of the service: its own pool, stores, provider and flow. */
    private final class Instance {
        final JdbcIdentityStore identities;
        final AuthorizationFlow flow;

        Instance() {
            JedisPool pool = redis.newPool(8);
            pools.add(pool);
            this.identities = JdbcIdentityStore.builder(database).clock(clock).createSchemaIfMissing().build();
            this.flow = AuthorizationFlow.builder(OAuth2Provider.create(vendor.oauth2Settings()
                            .authorizationUrl(vendor.authorizeUrl()).build()))
                    .identityStore(identities)
                    .pendingAuthorizations(RedisPendingAuthorizationStore.builder(pool).keyPrefix(PREFIX).build())
                    .clock(clock)
                    .ttl(FLOW_TTL)
                    .build();
        }
    }

    @BeforeAll
    static void startRedisAndDatabase() {
        redis = TestRedis.start();
        database = new JdbcDataSource();
        database.setURL("jdbc:h2:mem:flow-over-redis;DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=10000");
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @BeforeEach
    void startInstances() throws Exception {
        vendor = fake.server();
        vendor.signIn(ALICE);
        redis.flush();
        try (var c = database.getConnection(); var s = c.createStatement()) {
            // A fresh schema: the identities, and the history that says which versions the database has.
            s.execute("DROP TABLE IF EXISTS oauth_identity");
            s.execute("DROP TABLE IF EXISTS oauth_identity_schema_history");
        }
        one = new Instance();
        two = new Instance();
    }

    @AfterEach
    void closePools() {
        pools.forEach(JedisPool::close);
        pools.clear();
    }

    private static HttpUrl visit(HttpUrl authorizeUrl) throws Exception {
        try (Response response = BROWSER.newCall(new Request.Builder().url(authorizeUrl).build()).execute()) {
            assertThat(response.code()).as("the vendor redirects back").isEqualTo(302);
            return HttpUrl.get(response.header("Location"));
        }
    }

    private HttpUrl startAndApprove(Instance at, String user) throws Exception {
        return visit(at.flow.start(vendor.redirectUri(), user, List.of("api")).url());
    }

    private static AuthorizationException refused(ThrowingCallable completion) {
        return catchThrowableOfType(AuthorizationException.class, completion);
    }

    private int pendingKeys() {
        return redis.keys(PREFIX).size();
    }

    private int identities() throws Exception {
        return one.identities.listByOwner(ALICE_USER).size();
    }

    private long codeExchanges() {
        return vendor.tokenRequests("authorization_code");
    }

    @Test
    void aUserWhoStartsOnOneInstanceAndComesBackToTheOtherGetsAnIdentity() throws Exception {
        AuthorizationRedirect redirect = one.flow.start(vendor.redirectUri(), ALICE_USER, List.of("api"));
        assertThat(pendingKeys()).isEqualTo(1);
        clock.advance(Duration.ofSeconds(20)); // the user reads the consent page

        Identity linked = two.flow.complete(visit(redirect.url()), ALICE_USER);

        assertThat(linked.version()).isEqualTo(1);
        assertThat(linked.ownerId()).contains(ALICE_USER);
        assertThat(linked.refreshToken()).isPresent();
        assertThat(one.identities.find(linked.id())).contains(linked);
        assertThat(pendingKeys()).as("the pending authorization is spent").isZero();
        assertThat(codeExchanges()).isEqualTo(1);
    }

    @Test
    void theSameCallbackReplayedAtEitherInstanceIsRejectedAndCreatesNothing() throws Exception {
        HttpUrl callback = startAndApprove(one, ALICE_USER);
        one.flow.complete(callback, ALICE_USER);

        assertThat(refused(() -> one.flow.complete(callback, ALICE_USER)).reason()).isEqualTo(Reason.INVALID_STATE);
        assertThat(refused(() -> two.flow.complete(callback, ALICE_USER)).reason()).isEqualTo(Reason.INVALID_STATE);

        assertThat(identities()).isEqualTo(1);
        assertThat(codeExchanges()).as("the replayed code never reached the vendor").isEqualTo(1);
    }

    @Test
    void aStateStartedForAnotherUserIsRejectedAndSpentForItsOwnerToo() throws Exception {
        HttpUrl callback = startAndApprove(one, ALICE_USER);

        AuthorizationException stolen = refused(() -> two.flow.complete(callback, MALLORY_USER));
        AuthorizationException afterwards = refused(() -> one.flow.complete(callback, ALICE_USER));

        assertThat(stolen.reason()).isEqualTo(Reason.OWNER_MISMATCH);
        assertThat(afterwards.reason()).isEqualTo(Reason.INVALID_STATE);
        assertThat(identities()).isZero();
        assertThat(pendingKeys()).isZero();
        assertThat(codeExchanges()).isZero();
    }

    @Test
    void aCallbackAfterTheTtlByTheClockIsRejectedEvenThoughRedisStillHoldsTheKey() throws Exception {
        HttpUrl callback = startAndApprove(one, ALICE_USER);

        clock.advance(FLOW_TTL); // Redis's own clock has not moved: its key still lives
        assertThat(pendingKeys()).isEqualTo(1);
        AuthorizationException late = refused(() -> two.flow.complete(callback, ALICE_USER));

        assertThat(late.reason()).isEqualTo(Reason.INVALID_STATE);
        assertThat(pendingKeys()).as("the read that found it expired deleted it").isZero();
        assertThat(identities()).isZero();
        assertThat(codeExchanges()).isZero();
    }

    @Test
    void aUserWhoDeniesConsentGetsATypedAccessDeniedAndTheStateIsSpent() throws Exception {
        vendor.denyConsent(ALICE);
        HttpUrl callback = startAndApprove(one, ALICE_USER);

        AuthorizationException denied = refused(() -> two.flow.complete(callback, ALICE_USER));

        assertThat(denied.reason()).isEqualTo(Reason.ACCESS_DENIED);
        assertThat(pendingKeys()).isZero();
        assertThat(identities()).isZero();
    }

    @Test
    void oneCallbackDeliveredToTwoInstancesAtOnceOverFiftyRoundsIsCompletedByExactlyOne() throws Exception {
        int rounds = 50;
        int[] winsByInstance = new int[2];
        for (int round = 0; round < rounds; round++) {
            HttpUrl callback = startAndApprove(round % 2 == 0 ? one : two, ALICE_USER);
            List<Object> results = CallbackRace.completeAtOnce(callback, ALICE_USER, List.of(one.flow, two.flow));

            assertThat(results).as("round %d", round).filteredOn(Identity.class::isInstance).hasSize(1);
            assertThat(results).as("round %d", round).filteredOn(Reason.class::isInstance)
                    .containsExactly(Reason.INVALID_STATE);
            winsByInstance[results.get(0) instanceof Identity ? 0 : 1]++;
        }
        // The generic fake names no account: every completed link is a new identity.
        assertThat(identities()).isEqualTo(rounds);
        assertThat(codeExchanges()).as("one exchange per authorization").isEqualTo(rounds);
        assertThat(vendor.reusedCodes()).isZero();
        assertThat(pendingKeys()).isZero();
        assertThat(winsByInstance[0] + winsByInstance[1]).isEqualTo(rounds);
    }
}
