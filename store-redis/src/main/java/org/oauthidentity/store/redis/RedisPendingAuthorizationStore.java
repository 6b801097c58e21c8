package org.oauthidentity.store.redis;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.oauthidentity.IdentityStoreException;
import org.oauthidentity.authorize.AuthorizationFlow;
import org.oauthidentity.authorize.PendingAuthorization;
import org.oauthidentity.authorize.PendingAuthorizationStore;
import org.oauthidentity.store.jdbc.AesGcmTokenCipher;
import org.oauthidentity.store.jdbc.TokenCipher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.util.Pool;

/**
 * {@link PendingAuthorizationStore} in Redis, so that an {@link AuthorizationFlow} started on one instance of a
 * service can be completed on any other, with Redis (which many services already run for short-lived shared
 * state) expiring what nobody completes. One string key per started authorization, its value a small JSON
 * document; the connections come from the caller's Jedis pool.
 *
 * <p><b>Guarantees.</b> Thread-safe, and safe across processes sharing the Redis server.
 * <ul>
 *   <li>{@link #put} is one {@code SET key value NX PX ttl}: the whole record or nothing, and Redis itself deletes
 *       the key when the record's lifetime ({@code expiresAt - createdAt}, rounded up to the millisecond) has
 *       passed, counted from the put on Redis's own clock, so that clock never needs to agree with the caller's.
 *       A taken key is an {@link IllegalStateException} and leaves the first record as it was.</li>
 *   <li>{@link #consume} is one {@code GETDEL} (Redis 6.2 or later): of any number of concurrent callers, in any
 *       number of processes, exactly one gets the value, and never twice. The record is returned only if it has
 *       not expired at the caller's {@code now} as well: an expired record that Redis has not yet deleted is
 *       deleted by the read that finds it and never returned.</li>
 *   <li>{@link #purgeExpired} deletes nothing and sends nothing: Redis deletes each key when its lifetime is
 *       over. A record expired at the caller's clock but not yet on Redis's is never returned either.</li>
 * </ul>
 *
 * <p><b>What it stores.</b> Under {@code <prefix><base64url SHA-256 of the caller's key>} (default prefix
 * {@code "oauth-identity:pending:"}; one prefix per service lets several share one Redis): the provider key, the
 * redirect URI, the scopes, the created and expiry times, the SHA-256 digests of the state and of the owner
 * binding (never the state or the owner itself), and the PKCE code verifier, as it is or encrypted by the
 * {@link TokenCipher} when one is set (context {@code "code_verifier:<key>"}, so a ciphertext copied to another
 * key does not decrypt). The key names neither the caller's key nor the provider: a key listing, a
 * {@code MONITOR} or a slow log shows nothing a callback could be matched with.
 *
 * <p><b>Failures and time bounds.</b> Every failure of Redis or of the pool (refused connection, timeout, no
 * connection free, an error reply) is an {@link IdentityStoreException}, which {@link AuthorizationFlow} reports
 * as an {@code AuthorizationException} with reason {@code UNAVAILABLE}. No call waits longer than
 * {@link Builder#timeout} for a connection from the pool (whatever the pool's own {@code maxWait}, whose default
 * is forever), nor longer than that for the answer to its command (the pool's socket timeout when shorter). A
 * connection the pool opens for the call is bounded by the pool's own connect and socket timeouts (Jedis: 2
 * seconds each unless configured; never configure them as 0, which is forever). After a timeout during
 * {@code consume} the record may or may not have been consumed; either way the user starts again. Messages name the operation and the provider at most,
 * never a key, digest or verifier; a cause whose message echoes a piece of one is withheld. Logs (debug only)
 * name providers and times. {@link #toString()} shows the prefix, the timeout and whether the verifier is
 * encrypted.
 */
public final class RedisPendingAuthorizationStore implements PendingAuthorizationStore {
    /** The key prefix unless {@link Builder#keyPrefix} says otherwise. */
    public static final String DEFAULT_KEY_PREFIX = "oauth-identity:pending:";

    private static final Logger log = LoggerFactory.getLogger(RedisPendingAuthorizationStore.class);
    private static final String VERIFIER = "code_verifier";
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

    private final Connections redis;
    private final String prefix;
    private final TokenCipher cipher;

    private RedisPendingAuthorizationStore(Builder b) {
        this.redis = new Connections(b.pool, b.timeout);
        this.prefix = b.prefix;
        this.cipher = b.cipher;
    }

    /**
     * A builder over the caller's pool ({@code JedisPool}, or {@code JedisSentinelPool}); the store borrows one
     * connection per operation, returns it, and never closes the pool.
     *
     * @param pool the caller's pool of connections to a Redis 6.2 or later server
     * @return a builder with the default prefix, no cipher and a 2-second timeout
     */
    public static Builder builder(Pool<Jedis> pool) {
        return new Builder(pool);
    }

    /**
     * {@inheritDoc}
     *
     * @throws IdentityStoreException Redis failed or did not answer in time, or the verifier could not be
     *     encrypted; nothing was recorded unless the {@code SET} reached Redis before its answer was lost
     */
    @Override
    public void put(String key, PendingAuthorization authorization, Instant expiresAt) {
        requireKey(key);
        Objects.requireNonNull(authorization, "authorization");
        Objects.requireNonNull(expiresAt, "expiresAt");
        String provider = authorization.providerKey();
        String verifier = authorization.codeVerifier().orElse(null);
        String stored = verifier == null ? null : encrypt(verifier, key, provider);
        String value = StoredRecord.encode(authorization, stored, expiresAt);
        long ttlMillis = lifetimeMillis(authorization.createdAt(), expiresAt);
        List<String> secrets = secrets(key, authorization, verifier, stored);
        String answer = redis.call("could not record a pending authorization of provider " + provider, secrets,
                jedis -> jedis.set(redisKey(key), value, SetParams.setParams().nx().px(ttlMillis)));
        if (answer == null) {
            throw new IllegalStateException("a pending authorization of provider " + provider
                    + " with this key exists already");
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>One {@code GETDEL}: the key is deleted whether or not the record has expired, and the record returned only
     * if it has not.
     *
     * @throws IdentityStoreException Redis failed or did not answer in time (the record may or may not have been
     *     consumed), or the value could not be read back (its verifier does not decrypt); such a record is gone
     */
    @Override
    public Optional<PendingAuthorization> consume(String key, Instant now) {
        requireKey(key);
        Objects.requireNonNull(now, "now");
        String value = redis.call("could not consume a pending authorization", List.of(key),
                jedis -> jedis.getDel(redisKey(key)));
        if (value == null) {
            return Optional.empty();
        }
        StoredRecord record = StoredRecord.decode(value);
        if (!now.isBefore(record.expiresAt())) {
            log.debug("a pending authorization of provider {} had expired at {}; deleted", record.providerKey(),
                    record.expiresAt());
            return Optional.empty();
        }
        String verifier = record.storedVerifier() == null ? null : decrypt(record, key);
        return Optional.of(record.toAuthorization(verifier));
    }

    /**
     * Deletes nothing: Redis deletes each record's key when its lifetime is over.
     *
     * @param now unused but required, as by every store
     * @return 0
     */
    @Override
    public int purgeExpired(Instant now) {
        Objects.requireNonNull(now, "now");
        return 0;
    }

    /** The Redis key of the caller's {@code key}: the prefix and the key's base64url SHA-256. */
    String redisKey(String key) {
        return prefix + sha256(key);
    }

    @Override
    public String toString() {
        return "RedisPendingAuthorizationStore{keyPrefix=" + prefix + ", timeout=" + redis.timeout()
                + ", verifierEncrypted=" + (cipher != null) + '}';
    }

    /** Redis's {@code PX}: at least a millisecond (an already expired record then vanishes at once). */
    static long lifetimeMillis(Instant createdAt, Instant expiresAt) {
        Duration lifetime = Duration.between(createdAt, expiresAt);
        if (lifetime.isNegative() || lifetime.isZero()) {
            return 1;
        }
        long millis = lifetime.toMillis();
        return lifetime.equals(Duration.ofMillis(millis)) ? millis : millis + 1;
    }

    private static void requireKey(String key) {
        if (key == null || key.isBlank()) {
            throw new IllegalArgumentException("key is required");
        }
    }

    /** The values no exception may show. */
    private static List<String> secrets(String key, PendingAuthorization authorization, String verifier,
            String stored) {
        List<String> secrets = new ArrayList<>(List.of(key, authorization.stateDigest(), authorization.ownerDigest()));
        if (verifier != null) {
            secrets.add(verifier);
            secrets.add(stored);
        }
        return secrets;
    }

    private String encrypt(String verifier, String key, String provider) {
        if (cipher == null) {
            return verifier;
        }
        try {
            return cipher.encrypt(verifier, VERIFIER + ":" + key);
        } catch (RuntimeException e) {
            throw new IdentityStoreException("could not encrypt the code verifier of a pending authorization of"
                    + " provider " + provider, Connections.withoutSecrets(e, List.of(key, verifier)));
        }
    }

    private String decrypt(StoredRecord record, String key) {
        if (cipher == null) {
            return record.storedVerifier();
        }
        try {
            return cipher.decrypt(record.storedVerifier(), VERIFIER + ":" + key);
        } catch (RuntimeException e) {
            // The cause names the cipher's complaint (a bad tag, a missing key); the ciphertext is not secret.
            throw new IdentityStoreException("could not decrypt the code verifier of a pending authorization of"
                    + " provider " + record.providerKey() + " (wrong key, or a value written for another key)",
                    Connections.withoutSecrets(e, List.of(key)));
        }
    }

    private static String sha256(String text) {
        try {
            return BASE64URL.encodeToString(
                    MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** Not thread-safe; build on one thread. */
    public static final class Builder {
        private static final Duration MAX_TIMEOUT = Duration.ofMinutes(1);

        private final Pool<Jedis> pool;
        private String prefix = DEFAULT_KEY_PREFIX;
        private TokenCipher cipher;
        private Duration timeout = Duration.ofSeconds(2);

        private Builder(Pool<Jedis> pool) {
            this.pool = Objects.requireNonNull(pool, "pool");
        }

        /**
         * What every key of this store starts with, so that several services (or several flows) can share one
         * Redis, and an operator can find the store's keys. Default
         * {@value RedisPendingAuthorizationStore#DEFAULT_KEY_PREFIX}.
         *
         * @param prefix 1 to 200 characters, no whitespace or control characters
         * @return this builder
         */
        public Builder keyPrefix(String prefix) {
            Objects.requireNonNull(prefix, "prefix");
            if (prefix.isEmpty() || prefix.length() > 200
                    || prefix.codePoints().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
                throw new IllegalArgumentException("a key prefix is 1 to 200 characters without whitespace");
            }
            this.prefix = prefix;
            return this;
        }

        /**
         * Encrypts the PKCE code verifier at rest (the one secret of a pending authorization that is stored as
         * such), with the context {@code "code_verifier:<key>"}. Default: stored as it is, for at most the flow's
         * TTL. The {@link AesGcmTokenCipher} of the identity store will do.
         *
         * @param cipher thread-safe, as every {@link TokenCipher}
         * @return this builder
         */
        public Builder tokenCipher(TokenCipher cipher) {
            this.cipher = Objects.requireNonNull(cipher, "cipher");
            return this;
        }

        /**
         * The longest a call waits for a connection from the pool, and then for Redis to answer its command (the
         * pool's own socket timeout applies instead when it is shorter). Default 2 seconds.
         *
         * @param timeout more than zero, at most one minute
         * @return this builder
         */
        public Builder timeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.toMillis() < 1 || timeout.compareTo(MAX_TIMEOUT) > 0) {
                throw new IllegalArgumentException("the timeout is 1 ms to 1 minute");
            }
            this.timeout = timeout;
            return this;
        }

        /**
         * Builds the store. Sends nothing to Redis.
         *
         * @return the store
         */
        public RedisPendingAuthorizationStore build() {
            return new RedisPendingAuthorizationStore(this);
        }
    }
}
