package org.oauthidentity.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.oauthidentity.authorize.AuthorizationFlow;
import org.oauthidentity.authorize.AuthorizationRedirect;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.store.InMemoryIdentityStore;
import org.oauthidentity.store.jdbc.AesGcmTokenCipher;
import org.oauthidentity.testkit.FakeAuthorizationServer;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.JedisPoolConfig;

/** The example at the top of the module README, as written there, against an embedded Redis and the fake vendor. */
class ReadmeExampleTest {
    private static final String BEGIN = "// ---- as in README.md";
    private static final String END = "// ----";

    @Test
    void theReadmeExampleRuns() throws Exception {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        try (TestRedis redis = TestRedis.start();
                FakeAuthorizationServer vendor = FakeAuthorizationServer.builder().clock(Clock.systemUTC()).start()) {
            JedisPoolConfig poolConfig = new JedisPoolConfig();
            poolConfig.setMaxWait(Duration.ofSeconds(1));
            String redisHost = TestRedis.HOST;
            int redisPort = redis.port;
            AesGcmTokenCipher cipher = AesGcmTokenCipher.builder().key("k1", key).build();
            OAuth2Provider gitlab = OAuth2Provider.create(vendor.oauth2Settings()
                    .authorizationUrl(vendor.authorizeUrl()).build());
            InMemoryIdentityStore identities = new InMemoryIdentityStore();

            // ---- as in README.md
            JedisPool pool = new JedisPool(poolConfig, redisHost, redisPort);          // yours, shared with the service
            RedisPendingAuthorizationStore pending = RedisPendingAuthorizationStore.builder(pool)
                    .keyPrefix("billing:oauth-pending:")                               // one prefix per service sharing Redis
                    .tokenCipher(cipher)                                               // optional: encrypt the PKCE verifier
                    .timeout(Duration.ofSeconds(2))                                    // the default: no call waits longer
                    .build();
            AuthorizationFlow flow = AuthorizationFlow.builder(gitlab)
                    .identityStore(identities)                                         // JdbcIdentityStore: durable
                    .pendingAuthorizations(pending)
                    .build();
            // ----

            try (pool) {
                AuthorizationRedirect redirect = flow.start(vendor.redirectUri(), "user-42", List.of("api"));
                assertThat(redis.keys("billing:oauth-pending:")).hasSize(1);
                assertThat(pending.consume(vendor.providerKey() + ":" + sha256(redirect.state()),
                        Instant.now())).hasValueSatisfying(p -> assertThat(p.codeVerifier()).isPresent());
            }
        }
    }

    @Test
    void theReadmeShowsTheCodeThisTestRuns() throws Exception {
        String readme = Files.readString(Path.of("README.md"), StandardCharsets.UTF_8);
        int start = readme.indexOf("```java\n") + "```java\n".length();
        String example = readme.substring(start, readme.indexOf("```\n", start));
        String test = Files.readString(Path.of("src/test/java/org/oauthidentity/store/redis/ReadmeExampleTest.java"),
                StandardCharsets.UTF_8);
        int from = test.indexOf(BEGIN + "\n") + BEGIN.length() + 1;
        String run = test.substring(from, test.indexOf(END + "\n", from));

        assertThat(strip(run)).isEqualTo(strip(example));
    }

    private static String strip(String code) {
        return code.lines().map(String::strip).filter(l -> !l.isEmpty()).collect(Collectors.joining("\n"));
    }

    private static String sha256(String text) throws Exception {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(
                MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    }
}
