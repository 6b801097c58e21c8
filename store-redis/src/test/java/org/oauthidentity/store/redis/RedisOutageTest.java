package org.oauthidentity.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.oauthidentity.IdentityStoreException;
import org.oauthidentity.authorize.AuthorizationException;
import org.oauthidentity.authorize.AuthorizationException.Reason;
import org.oauthidentity.authorize.AuthorizationFlow;
import org.oauthidentity.authorize.AuthorizationRedirect;
import org.oauthidentity.authorize.PendingAuthorization;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.store.InMemoryIdentityStore;
import org.oauthidentity.testing.ManualClock;
import org.oauthidentity.testkit.FakeAuthorizationServer;
import org.oauthidentity.testkit.FakeAuthorizationServerExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;

/**
 * Redis going away or going quiet: every call ends within its bound with an {@link IdentityStoreException}, which
 * the flow reports as {@link Reason#UNAVAILABLE}, and nothing is half-written (no identity, no code exchanged, no
 * partial record). Each test has its own Redis, which it stops or pauses.
 */
class RedisOutageTest {
    private static final String ALICE = "alice";
    private static final String ALICE_USER = "user-alice";
    private static final String PREFIX = "outage-test:pending:";
    private static final Duration STORE_TIMEOUT = Duration.ofMillis(200);
    /** Far above the store's bound, far below a hang: a call that overruns it fails the test instead of blocking. */
    private static final Duration NO_HANG = Duration.ofSeconds(10);
    private static final OkHttpClient BROWSER = new OkHttpClient.Builder().followRedirects(false).build();

    private final ManualClock clock = ManualClock.at(Instant.now().truncatedTo(ChronoUnit.MICROS));
    @RegisterExtension
    final FakeAuthorizationServerExtension fake = FakeAuthorizationServerExtension.of(
            FakeAuthorizationServer.builder().dialect(FakeAuthorizationServer.Dialect.GENERIC).clock(clock));

    private TestRedis redis;
    private JedisPool pool;
    private RedisPendingAuthorizationStore pending;
    private InMemoryIdentityStore identities;
    private FakeAuthorizationServer vendor;
    private AuthorizationFlow flow;

    @BeforeEach
    void startRedisAndFlow() {
        redis = TestRedis.start();
        pool = redis.newPool(4);
        pending = RedisPendingAuthorizationStore.builder(pool).keyPrefix(PREFIX).timeout(STORE_TIMEOUT).build();
        identities = new InMemoryIdentityStore();
        vendor = fake.server();
        vendor.signIn(ALICE);
        flow = AuthorizationFlow.builder(OAuth2Provider.create(vendor.oauth2Settings()
                        .authorizationUrl(vendor.authorizeUrl()).build()))
                .identityStore(identities)
                .pendingAuthorizations(pending)
                .clock(clock)
                .build();
    }

    @AfterEach
    void stopRedis() {
        pool.close();
        redis.close();
    }

    private static HttpUrl visit(HttpUrl authorizeUrl) throws Exception {
        try (Response response = BROWSER.newCall(new Request.Builder().url(authorizeUrl).build()).execute()) {
            return HttpUrl.get(response.header("Location"));
        }
    }

    private static AuthorizationException unavailable(AuthorizationException e) {
        assertThat(e).isNotNull();
        assertThat(e.reason()).isEqualTo(Reason.UNAVAILABLE);
        assertThat(e.getCause()).isInstanceOf(IdentityStoreException.class);
        assertThat(e.tokenEndpointError()).isEmpty();
        return e;
    }

    @Test
    void redisStoppedWhileTheUserIsAtTheVendorFailsTheCallbackAsUnavailableAndNothingIsWritten() throws Exception {
        AuthorizationRedirect redirect = flow.start(vendor.redirectUri(), ALICE_USER, List.of("api"));
        HttpUrl callback = visit(redirect.url());

        redis.stop();
        AuthorizationException down = assertTimeoutPreemptively(NO_HANG,
                () -> catchThrowableOfType(AuthorizationException.class, () -> flow.complete(callback, ALICE_USER)));

        unavailable(down);
        assertThat(down.getMessage()).doesNotContain(redirect.state()).doesNotContain(callback.queryParameter("code"));
        assertThat(vendor.tokenRequests("authorization_code")).as("the code never reached the vendor").isZero();
        assertThat(identities.listByOwner(ALICE_USER)).isEmpty();

        // Back, empty (no persistence): the old callback is an unknown state, not half a record; a new link works.
        redis.restart();
        assertThat(catchThrowableOfType(AuthorizationException.class, () -> flow.complete(callback, ALICE_USER))
                .reason()).isEqualTo(Reason.INVALID_STATE);
        AuthorizationRedirect again = flow.start(vendor.redirectUri(), ALICE_USER, List.of("api"));
        assertThat(flow.complete(visit(again.url()), ALICE_USER).ownerId()).contains(ALICE_USER);
        assertThat(redis.keys(PREFIX)).isEmpty();
    }

    @Test
    void redisStoppedBeforeAStartFailsTheStartAsUnavailableAndRecordsNothing() {
        redis.stop();

        AuthorizationException down = assertTimeoutPreemptively(NO_HANG, () -> catchThrowableOfType(
                AuthorizationException.class, () -> flow.start(vendor.redirectUri(), ALICE_USER, List.of("api"))));

        unavailable(down);
        assertThat(down.getCause()).hasMessageStartingWith("could not record a pending authorization of provider "
                + vendor.providerKey() + ": Redis unavailable");
        redis.restart();
        assertThat(redis.keys("")).isEmpty();
    }

    @Test
    void aPoolWithNoFreeConnectionFailsWithinTheTimeoutThoughThePoolWouldWaitForever() throws Exception {
        JedisPool one = redis.newPool(1); // commons-pool's default maxWait: forever
        RedisPendingAuthorizationStore store = RedisPendingAuthorizationStore.builder(one).keyPrefix(PREFIX)
                .timeout(STORE_TIMEOUT).build();
        try (Jedis held = one.getResource()) {
            IdentityStoreException exhausted = assertTimeoutPreemptively(NO_HANG, () -> catchThrowableOfType(
                    IdentityStoreException.class, () -> store.consume("gitlab:some-digest", clock.instant())));

            assertThat(exhausted).hasMessageContaining("no connection free within " + STORE_TIMEOUT);
            held.ping();
        } finally {
            one.close();
        }
    }

    @Test
    void redisThatStopsAnsweringFailsTheCallWithinTheTimeoutAndTheStoreRecoversAfterwards() throws Exception {
        PendingAuthorization record = PendingAuthorization.builder().stateDigest("digest-of-a-state")
                .providerKey("gitlab").redirectUri("https://app.example.test/cb").ownerDigest("digest-of-an-owner")
                .createdAt(clock.instant()).build();
        pending.put("gitlab:warm", record, clock.instant().plusSeconds(60)); // an idle pooled connection, handshake done

        try (Jedis control = redis.direct()) {
            control.clientPause(1000); // every client's commands wait a second: Redis busy or a network stall
            IdentityStoreException stalled = assertTimeoutPreemptively(NO_HANG, () -> catchThrowableOfType(
                    IdentityStoreException.class, () -> pending.consume("gitlab:warm", clock.instant())));

            assertThat(stalled).hasMessageStartingWith("could not consume a pending authorization: Redis failed");
            assertThat(control.ping()).as("answered once the pause is over").isEqualTo("PONG");
        }
        // The stalled connection was dropped, not given back; the record may or may not have been consumed.
        pending.put("gitlab:after", record, clock.instant().plusSeconds(60));
        assertThat(pending.consume("gitlab:after", clock.instant())).isPresent();
    }
}
