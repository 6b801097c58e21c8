package org.oauthidentity.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;

/** The examples of the module README's "Encrypting tokens at rest", as written there, on H2. */
class ReadmeEncryptionExampleTest {

    @Test
    void theEncryptionAndRotationExamplesRun() {
        try (TestDatabase db = TestDatabase.h2InMemory()) {
            DataSource dataSource = db.pool;
            byte[] oldKey = TestKeys.newKey();
            byte[] newKey = TestKeys.newKey();
            Map<String, String> secrets = Map.of("TOKEN_KEY_2026_11", Base64.getEncoder().encodeToString(oldKey));
            JdbcIdentityStore.builder(dataSource).migrateSchema().build();
            JdbcPendingAuthorizationStore.builder(dataSource).migrateSchema().build();

            // ---- as in README.md
            byte[] key = Base64.getDecoder().decode(secrets.get("TOKEN_KEY_2026_11"));  // System.getenv(), your vault, ...
            TokenCipher cipher = AesGcmTokenCipher.builder()
                    .key("2026-11", key)                     // a key id, and 32 random bytes
                    .build();
            Arrays.fill(key, (byte) 0);                      // the cipher keeps its own copy
            JdbcIdentityStore store = JdbcIdentityStore.builder(dataSource)
                    .tokenCipher(cipher)                     // access_token, refresh_token, extras
                    .build();
            JdbcPendingAuthorizationStore pending = JdbcPendingAuthorizationStore.builder(dataSource)
                    .tokenCipher(cipher)                     // the PKCE verifier
                    .build();
            // ----
            Identity created = store.create(Identity.builder().id("user-42").providerKey("gitlab")
                    .accessToken("at-" + StoreTestSupport.random(30)).refreshToken("rt-" + StoreTestSupport.random(30))
                    .build());
            assertThat(db.queryValue("SELECT refresh_token FROM oauth_identity")).asString().startsWith("v1:2026-11:");
            assertThat(pending.toString()).contains("verifierEncrypted=true");

            // ---- as in README.md
            AesGcmTokenCipher ring = AesGcmTokenCipher.builder()
                    .key("2026-11", oldKey)
                    .key("2027-05", newKey)
                    .currentKey("2027-05")                   // step 2 (without it, the first key added stays current)
                    .build();
            JdbcIdentityStore rotated = JdbcIdentityStore.builder(dataSource).tokenCipher(ring).build();
            Reencryption pass = rotated.reencrypt();         // step 3: repeat until pass.done()
            // ----

            assertThat(pass.done()).isTrue();
            assertThat(pass.rewritten()).isEqualTo(1);
            assertThat(db.queryValue("SELECT refresh_token FROM oauth_identity")).asString().startsWith("v1:2027-05:");
            JdbcIdentityStore withoutOldKey = JdbcIdentityStore.builder(dataSource)
                    .tokenCipher(AesGcmTokenCipher.builder().key("2027-05", newKey).build()).build();
            assertThat(withoutOldKey.find("user-42")).contains(created);
        }
    }
}
