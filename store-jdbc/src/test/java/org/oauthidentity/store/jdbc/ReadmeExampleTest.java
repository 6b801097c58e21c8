package org.oauthidentity.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import javax.sql.DataSource;
import org.oauthidentity.Identity;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.testing.DummyProvider;
import org.junit.jupiter.api.Test;

/** The example at the top of the module README, as written there, on H2. */
class ReadmeExampleTest {

    @Test
    void theReadmeExampleRuns() throws Exception {
        try (TestDatabase db = TestDatabase.h2InMemory()) {
            DataSource dataSource = db.pool;
            TokenCipher cipher = TestKeys.newCipher();
            DummyProvider gitlab = DummyProvider.create("gitlab", Clock.systemUTC());
            String accessToken = "at-" + StoreTestSupport.random(30);
            String refreshToken = "rt-" + StoreTestSupport.random(30);
            Instant expiresAt = Instant.now().minusSeconds(5);

            // ---- as in README.md
            JdbcIdentityStore store = JdbcIdentityStore.builder(dataSource)  // your pool (HikariCP, ...)
                    .migrateSchema()                                         // or apply the scripts with your migration tool
                    .tokenCipher(cipher)                                     // optional: encrypt tokens at rest
                    .build();
            IdentityRefresher refresher = IdentityRefresher.builder(store).provider(gitlab).build();
            store.create(Identity.builder().id("user-42").providerKey("gitlab")
                    .accessToken(accessToken).refreshToken(refreshToken).expiresAt(expiresAt).build());
            Identity seen = store.find("user-42").orElseThrow();
            Identity fresh = refresher.refresh(seen);  // one token request across the fleet; the others adopt it
            // ----

            assertThat(fresh.version()).isEqualTo(2);
            assertThat(fresh.accessToken()).isNotEqualTo(accessToken);
            assertThat(store.find("user-42")).contains(fresh);
            assertThat(gitlab.calls()).isEqualTo(1);
        }
    }
}
