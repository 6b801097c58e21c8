package org.oauthidentity.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.oauthidentity.IdentityStoreException;
import org.oauthidentity.authorize.PendingAuthorizationStore;
import org.oauthidentity.store.jdbc.AesGcmTokenCipher;
import org.oauthidentity.testkit.PendingAuthorizationStoreContract;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.params.SetParams;

/**
 * The {@link PendingAuthorizationStore} contract (the testkit's, the one the JDBC store passes on H2 and
 * PostgreSQL) on a real Redis, plus what is Redis's own: the key's TTL, Redis deleting the key itself, the prefix,
 * keys that show nothing, and a value that is not a record.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RedisPendingAuthorizationStoreTest extends PendingAuthorizationStoreContract {
    private static final String PREFIX = "test-service:pending:";
    private static final ObjectMapper JSON = new ObjectMapper();

    private TestRedis redis;
    private JedisPool pool;
    private final List<JedisPool> otherPools = new ArrayList<>();
    private RedisPendingAuthorizationStore pending;

    @BeforeAll
    void startRedis() {
        redis = TestRedis.start();
        pool = redis.newPool(16);
    }

    @AfterAll
    void stopRedis() {
        pool.close();
        redis.close();
    }

    @AfterEach
    void closeOtherPools() {
        otherPools.forEach(JedisPool::close);
        otherPools.clear();
    }

    private RedisPendingAuthorizationStore.Builder newPendingStore() {
        return RedisPendingAuthorizationStore.builder(pool).keyPrefix(PREFIX);
    }

    @Override
    protected PendingAuthorizationStore newStore() {
        redis.flush();
        pending = newPendingStore().build();
        return pending;
    }

    @Override
    protected PendingAuthorizationStore newEncryptingStore() {
        return newPendingStore().tokenCipher(newCipher()).build();
    }

    @Override
    protected PendingAuthorizationStore anotherInstance() {
        JedisPool otherPool = redis.newPool(16);
        otherPools.add(otherPool);
        return RedisPendingAuthorizationStore.builder(otherPool).keyPrefix(PREFIX).build();
    }

    @Override
    protected String storedUnder(String key) {
        try (Jedis jedis = redis.direct()) {
            String value = jedis.get(pending.redisKey(key));
            return value == null ? null : pending.redisKey(key) + value;
        }
    }

    @Override
    protected void copyStoredVerifier(String fromKey, String toKey) {
        try (Jedis jedis = redis.direct()) {
            ObjectNode from = (ObjectNode) JSON.readTree(jedis.get(pending.redisKey(fromKey)));
            ObjectNode to = (ObjectNode) JSON.readTree(jedis.get(pending.redisKey(toKey)));
            to.set("verifier", from.get("verifier"));
            jedis.set(pending.redisKey(toKey), to.toString(), SetParams.setParams().xx().keepTtl());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    protected boolean purgeDeletesExpiredRecords() {
        return false;
    }

    private static AesGcmTokenCipher newCipher() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return AesGcmTokenCipher.builder().key("test", key).build();
    }

    // ---- Redis's own -------------------------------------------------------------------------------------------

    @Test
    void theKeyLivesInRedisForTheRecordsLifetimeAndNoLonger() {
        Started s = startedWithVerifier();

        put(s);

        try (Jedis jedis = redis.direct()) {
            long ttl = jedis.pttl(pending.redisKey(s.key));
            assertThat(ttl).isBetween(FLOW_TTL.minusSeconds(30).toMillis(), FLOW_TTL.toMillis());
        }
    }

    @Test
    void redisDeletesTheKeyItselfWhenItsTtlRunsOutAndTheRecordIsGone() throws Exception {
        Started s = startedWithVerifier();
        put(s);
        String key = pending.redisKey(s.key);
        CountDownLatch subscribed = new CountDownLatch(1);
        CountDownLatch expired = new CountDownLatch(1);
        JedisPubSub listener = new JedisPubSub() {
            @Override
            public void onSubscribe(String channel, int subscribedChannels) {
                subscribed.countDown();
            }

            @Override
            public void onMessage(String channel, String message) {
                if (message.equals(key)) {
                    expired.countDown();
                    unsubscribe();
                }
            }
        };
        ExecutorService listening = Executors.newSingleThreadExecutor();
        try (Jedis control = redis.direct(); Jedis subscriber = redis.direct()) {
            control.configSet("notify-keyspace-events", "Ex");
            Future<?> subscription = listening.submit(() -> subscriber.subscribe(listener, "__keyevent@0__:expired"));
            assertThat(subscribed.await(10, TimeUnit.SECONDS)).as("subscribed to expiry events").isTrue();

            control.pexpire(key, 20); // the ten minutes, shortened: Redis's own expiry, not the caller's clock

            assertThat(expired.await(10, TimeUnit.SECONDS)).as("Redis reported the key expired").isTrue();
            subscription.get(10, TimeUnit.SECONDS);
            assertThat(control.exists(key)).isFalse();
        } finally {
            listening.shutdownNow();
        }
        assertThat(pending.consume(s.key, clock.instant())).as("the clock has not moved: only Redis expired it")
                .isEmpty();
    }

    @Test
    void keysCarryThePrefixAndNothingACallbackCouldBeMatchedWith() {
        Started s = startedWithVerifier();

        put(s);

        assertThat(redis.keys("")).hasSize(1).allSatisfy(key -> {
            assertThat(key).startsWith(PREFIX).doesNotContain("gitlab");
            assertNoPieceOf(key, s.secrets());
        });
    }

    @Test
    void twoServicesWithTheirOwnPrefixesShareOneRedisWithoutSeeingEachOther() {
        RedisPendingAuthorizationStore billing = RedisPendingAuthorizationStore.builder(pool)
                .keyPrefix("billing:pending:").build();
        Started s = startedWithVerifier();

        put(s);
        billing.put(s.key, s.record, clock.instant().plus(FLOW_TTL)); // the same key, another service

        assertThat(redis.keys("billing:pending:")).hasSize(1);
        assertThat(billing.consume(s.key, clock.instant())).isPresent();
        assertThat(storedUnder(s.key)).as("this service's record is untouched").isNotNull();
        assertThat(pending.consume(s.key, clock.instant())).isPresent();
    }

    @Test
    void aValueUnderTheKeyThatIsNotARecordIsATypedFailureThatQuotesNothing() {
        Started s = startedWithVerifier();
        try (Jedis jedis = redis.direct()) {
            jedis.set(pending.redisKey(s.key), "{\"v\":1,\"provider\":\"gitlab\",\"expiresAt\":\"" + s.verifier + "\"}");
        }

        assertThatThrownBy(() -> pending.consume(s.key, clock.instant()))
                .isInstanceOf(IdentityStoreException.class)
                .hasMessageContaining("does not read back")
                .satisfies(e -> assertNoPieceOf(stackTrace(e), s.secrets()));
        assertThat(storedUnder(s.key)).isNull();
    }

    @Test
    void aKeyHoldingAnotherTypeIsATypedFailure() {
        Started s = startedWithVerifier();
        try (Jedis jedis = redis.direct()) {
            jedis.hset(pending.redisKey(s.key), "field", "value"); // another program wrote under our prefix
        }

        assertThatThrownBy(() -> pending.consume(s.key, clock.instant()))
                .isInstanceOf(IdentityStoreException.class)
                .hasMessageStartingWith("could not consume a pending authorization: Redis failed")
                .satisfies(e -> assertNoPieceOf(stackTrace(e), s.secrets()));
        // The failed command's connection was not given back to serve another: the store still works.
        Started next = startedWithVerifier();
        put(next);
        assertThat(pending.consume(next.key, clock.instant())).isPresent();
    }

    @Test
    void theStoreSaysItsPrefixTimeoutAndWhetherItEncryptsAndNothingElse() {
        assertThat(pending.toString()).isEqualTo("RedisPendingAuthorizationStore{keyPrefix=" + PREFIX
                + ", timeout=PT2S, verifierEncrypted=false}");
        assertThat(newEncryptingStore().toString()).contains("verifierEncrypted=true");
    }

    @Test
    void theBuilderRefusesPrefixesAndTimeoutsOutOfBounds() {
        RedisPendingAuthorizationStore.Builder builder = RedisPendingAuthorizationStore.builder(pool);

        assertThatThrownBy(() -> builder.keyPrefix("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder.keyPrefix("has space:")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder.timeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder.timeout(Duration.ofMinutes(2))).isInstanceOf(IllegalArgumentException.class);
        assertThat(builder.timeout(Duration.ofMillis(1)).keyPrefix("x").build()).isNotNull();
    }

    @Test
    void theRedisTtlIsTheRecordsLifetimeRoundedUpAndAtLeastAMillisecond() {
        var t0 = clock.instant();
        assertThat(RedisPendingAuthorizationStore.lifetimeMillis(t0, t0.plus(FLOW_TTL))).isEqualTo(600_000);
        assertThat(RedisPendingAuthorizationStore.lifetimeMillis(t0, t0.plusNanos(1))).isEqualTo(1);
        assertThat(RedisPendingAuthorizationStore.lifetimeMillis(t0, t0.plusMillis(5).plusNanos(1))).isEqualTo(6);
        assertThat(RedisPendingAuthorizationStore.lifetimeMillis(t0, t0)).isEqualTo(1);
        assertThat(RedisPendingAuthorizationStore.lifetimeMillis(t0, t0.minusSeconds(5))).isEqualTo(1);
    }
}
