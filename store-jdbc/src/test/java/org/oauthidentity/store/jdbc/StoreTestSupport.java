package org.oauthidentity.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import org.oauthidentity.Identity;
import org.oauthidentity.testing.ManualClock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;

/**
 * One real database per test class (the subclass says which), an empty table, a hand-moved clock and a store
 * before each test, and the helpers every store test shares.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class StoreTestSupport {
    static final Duration TTL = Duration.ofSeconds(30);

    TestDatabase db;
    ManualClock clock;
    JdbcIdentityStore store;
    ExecutorService threads;

    abstract TestDatabase newDatabase();

    @BeforeAll
    void startDatabase() {
        db = newDatabase();
    }

    @AfterAll
    void closeDatabase() {
        db.close();
    }

    @BeforeEach
    void emptyTable() {
        // The database keeps microseconds: a clock finer than that would not round-trip.
        clock = ManualClock.at(Instant.now().truncatedTo(ChronoUnit.MICROS));
        store = newStore().build();
        db.execute("DELETE FROM oauth_identity");
        threads = Executors.newCachedThreadPool();
    }

    @AfterEach
    void stopThreads() {
        threads.shutdownNow();
    }

    JdbcIdentityStore.Builder newStore() {
        return JdbcIdentityStore.builder(db.pool).clock(clock).leaseTtl(TTL).createSchemaIfMissing();
    }

    /** A realistic identity: long random tokens, so a leak of any piece of one is detectable. */
    Identity identity(String id) {
        return Identity.builder()
                .id(id)
                .providerKey("gitlab")
                .externalUserId("ext-" + id)
                .accessToken("at-" + id + "-" + random(40))
                .refreshToken("rt-" + id + "-" + random(40))
                .tokenType("Bearer")
                .expiresAt(clock.instant().plus(Duration.ofMinutes(30)).plusNanos(123))
                .scopes(List.of("read_api", "openid", "email"))
                .extra("id_token", "idt-" + random(40))
                .extra("created_at", "1700000000")
                .build();
    }

    static String random(int length) {
        StringBuilder s = new StringBuilder(length);
        String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        for (int i = 0; i < length; i++) {
            s.append(alphabet.charAt(ThreadLocalRandom.current().nextInt(alphabet.length())));
        }
        return s.toString();
    }

    static String stackTrace(Throwable t) {
        StringWriter out = new StringWriter();
        t.printStackTrace(new PrintWriter(out));
        return out.toString();
    }

    /** Fails if {@code text} holds any 8-character piece of any secret (a cut-off echo counts too). */
    static void assertNoPieceOf(String text, String... secrets) {
        for (String secret : secrets) {
            for (int i = 0; i + 8 <= secret.length(); i++) {
                String piece = secret.substring(i, i + 8);
                assertThat(text).as("text must not contain a piece of a credential").doesNotContain(piece);
            }
        }
    }
}
