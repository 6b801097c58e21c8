package org.oauthidentity.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityStore.RefreshLease;
import org.oauthidentity.IdentityStoreException;
import org.oauthidentity.LeaseTimeoutException;
import org.oauthidentity.VersionConflictException;
import org.oauthidentity.store.jdbc.TokenCipherException.Reason;

/**
 * {@link AesGcmTokenCipher} in {@link JdbcIdentityStore}: key rotation with {@link JdbcIdentityStore#reencrypt()}
 * alongside live refreshes, and values altered or moved in the database. One subclass per real database.
 */
abstract class EncryptionAtRestContractTest extends StoreTestSupport {
    private static final String NOT_UNDER_K2 = "SELECT COUNT(*) FROM oauth_identity WHERE access_token NOT LIKE 'v1:k2:%'"
            + " OR extras NOT LIKE 'v1:k2:%' OR (refresh_token IS NOT NULL AND refresh_token NOT LIKE 'v1:k2:%')";

    byte[] k1;
    byte[] k2;
    JdbcIdentityStore underK1;
    JdbcIdentityStore rotated;

    @BeforeEach
    void twoKeys() {
        k1 = TestKeys.newKey();
        k2 = TestKeys.newKey();
        underK1 = newStore().tokenCipher(AesGcmTokenCipher.builder().key("k1", k1).build()).build();
        rotated = newStore().tokenCipher(ring()).build();
    }

    /** The ring after the rotation: k1 still readable, k2 current. */
    AesGcmTokenCipher ring() {
        return AesGcmTokenCipher.builder().key("k1", k1).key("k2", k2).currentKey("k2").build();
    }

    // ---- rotation --------------------------------------------------------------------------------------------

    @Test
    void afterAddingK2OldRowsReadNewWritesUseK2AndThePassMovesEveryRowSoK1CanGo() {
        List<Identity> created = new ArrayList<>();
        for (int i = 0; i < 230; i++) {  // more than one page of the pass
            Identity identity = identity(String.format("user-%03d", i));
            created.add(underK1.create(i == 7 ? identity.toBuilder().refreshToken(null).build() : identity));
        }

        for (Identity identity : created) {
            assertThat(rotated.find(identity.id())).contains(identity);
        }
        Identity saved = rotated.save(created.get(0).toBuilder().accessToken("at-new-" + random(30)).build());
        assertThat(raw("access_token", saved.id())).startsWith("v1:k2:");
        assertThat(raw("refresh_token", saved.id())).startsWith("v1:k2:");
        assertThat(raw("access_token", "user-001")).startsWith("v1:k1:");
        assertThat(rotated.claimUnverified(clock.instant(), clock.instant(), 300)).hasSize(230);

        Reencryption pass = rotated.reencrypt();

        assertThat(pass.examined()).isEqualTo(230);
        assertThat(pass.rewritten()).isEqualTo(229);
        assertThat(pass.done()).isTrue();
        assertThat(db.queryValue(NOT_UNDER_K2)).isEqualTo(0L);
        assertThat(rotated.reencrypt().rewritten()).as("a second pass finds nothing to do").isZero();
        JdbcIdentityStore withoutK1 = newStore()
                .tokenCipher(AesGcmTokenCipher.builder().key("k2", k2).build()).build();
        created.set(0, saved);
        for (Identity identity : created) {
            Identity read = withoutK1.find(identity.id()).orElseThrow();
            assertThat(read).usingRecursiveComparison().ignoringFields("lastVerifiedAt").isEqualTo(identity);
            assertThat(read.version()).as("the pass moves no version").isEqualTo(identity.version());
        }
        Throwable unknown = catchThrowable(() -> underK1.find("user-001"));
        assertThat(unknown).isInstanceOf(IdentityStoreException.class)
                .hasMessageContaining("could not decrypt the access_token of identity user-001")
                .cause().isInstanceOfSatisfying(TokenCipherException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.UNKNOWN_KEY_ID));
    }

    @Test
    void refreshesRunningDuringThePassLoseNothingAndKeepTheirVersions() throws Exception {
        // Enough rows that the pass outlasts a few refreshes even on a loaded machine (150 once finished first).
        int identities = 600;
        Map<String, Identity> latest = new ConcurrentHashMap<>();
        for (int i = 0; i < identities; i++) {
            Identity created = underK1.create(identity(String.format("user-%03d", i)));
            latest.put(created.id(), created);
        }
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger saves = new AtomicInteger();
        List<Future<?>> writers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            boolean underLease = t % 2 == 0;
            writers.add(threads.submit(() -> {
                while (!stop.get()) {
                    String id = String.format("user-%03d", ThreadLocalRandom.current().nextInt(identities));
                    Identity written = underLease ? refreshUnderLease(id) : refreshBySave(id);
                    if (written != null) {
                        latest.merge(id, written, (a, b) -> a.version() >= b.version() ? a : b);
                        saves.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        while (saves.get() < 20) {
            Thread.onSpinWait();
        }

        int savesBefore = saves.get();
        Reencryption pass = rotated.reencrypt();
        int savesDuringPass = saves.get() - savesBefore;
        stop.set(true);
        for (Future<?> writer : writers) {
            writer.get();
        }

        assertThat(pass.done()).isTrue();
        assertThat(pass.examined()).isEqualTo(identities);
        assertThat(savesDuringPass).as("refreshes overlapped the pass").isPositive();
        assertThat(db.queryValue(NOT_UNDER_K2)).isEqualTo(0L);
        long versions = 0;
        for (Identity last : latest.values()) {
            Identity stored = rotated.find(last.id()).orElseThrow();
            assertThat(stored).as("the last saved tokens of %s", last.id()).isEqualTo(last);
            versions += stored.version() - 1;
        }
        assertThat(versions).as("every successful save moved the version once, the pass none").isEqualTo(saves.get());
    }

    private Identity refreshBySave(String id) {
        Identity seen = rotated.find(id).orElseThrow();
        try {
            return rotated.save(seen.toBuilder().accessToken("at-" + random(30)).refreshToken("rt-" + random(30))
                    .build());
        } catch (VersionConflictException lost) {
            return null;
        }
    }

    private Identity refreshUnderLease(String id) {
        try (RefreshLease lease = rotated.acquireRefreshLease(id, Duration.ofSeconds(5))) {
            return lease.saveAndRelease(lease.identity().toBuilder().accessToken("at-" + random(30))
                    .refreshToken("rt-" + random(30)).build());
        } catch (LeaseTimeoutException | VersionConflictException busy) {
            return null;
        }
    }

    @Test
    void aSaveBetweenThePassReadingARowAndRewritingItWinsAndThePassLeavesItAlone() {
        underK1.create(identity("alice"));
        Identity[] refreshed = new Identity[1];
        // The save lands while the pass seals alice's new values: after its read, before its compare-and-set.
        JdbcIdentityStore pass = newStore().tokenCipher(interfering(ring(), "access_token:alice", () -> {
            Identity seen = rotated.find("alice").orElseThrow();
            refreshed[0] = rotated.save(seen.toBuilder().accessToken("at-refreshed-" + random(30)).build());
        })).build();

        Reencryption result = pass.reencrypt();

        assertThat(result.rewritten()).isZero();
        assertThat(result.done()).isTrue();
        assertThat(rotated.find("alice")).contains(refreshed[0]);
        assertThat(refreshed[0].version()).isEqualTo(2);
        assertThat(db.queryValue(NOT_UNDER_K2)).isEqualTo(0L);
    }

    @Test
    void aSaveUnderTheOldKeyDuringThePassIsRewrittenOnTheNextAttemptWithItsTokens() {
        underK1.create(identity("alice"));
        Identity[] refreshed = new Identity[1];
        // An instance not yet given k2 as current saves alice while the pass seals her values.
        JdbcIdentityStore pass = newStore().tokenCipher(interfering(ring(), "access_token:alice", () -> {
            Identity seen = underK1.find("alice").orElseThrow();
            refreshed[0] = underK1.save(seen.toBuilder().accessToken("at-refreshed-" + random(30)).build());
        })).build();

        Reencryption result = pass.reencrypt();

        assertThat(result.rewritten()).isEqualTo(1);
        assertThat(result.done()).isTrue();
        assertThat(rotated.find("alice")).contains(refreshed[0]);
        assertThat(db.queryValue(NOT_UNDER_K2)).isEqualTo(0L);
    }

    @Test
    void rowsThePassCannotDecryptAreCountedLoggedAndLeftAsTheyAre() {
        JdbcIdentityStore underK0 = newStore()
                .tokenCipher(AesGcmTokenCipher.builder().key("k0", TestKeys.newKey()).build()).build();
        underK0.create(identity("zed"));
        underK1.create(identity("alice"));
        underK1.create(identity("bob"));
        String zed = raw("access_token", "zed");

        Reencryption result = rotated.reencrypt();

        assertThat(result.rewritten()).isEqualTo(2);
        assertThat(result.unreadable()).isEqualTo(1);
        assertThat(result.done()).isFalse();
        assertThat(raw("access_token", "zed")).isEqualTo(zed);
        assertThat(result).hasToString("Reencryption{examined=3, rewritten=2, unreadable=1, contended=0}");
    }

    @Test
    void withoutACipherThereIsNothingToReencrypt() {
        assertThatThrownBy(() -> store.reencrypt()).isInstanceOf(IllegalStateException.class);
    }

    // ---- values altered or moved in the database ---------------------------------------------------------------

    @Test
    void aValueMovedToAnotherColumnOrRowDoesNotDecrypt() {
        Identity alice = rotated.create(identity("alice"));
        Identity bob = rotated.create(identity("bob"));
        db.execute("UPDATE oauth_identity SET refresh_token = access_token WHERE id = 'alice'");
        db.execute("UPDATE oauth_identity SET extras = (SELECT extras FROM oauth_identity WHERE id = 'alice')"
                + " WHERE id = 'bob'");

        assertNotAuthentic(catchThrowable(() -> rotated.find("alice")), "refresh_token of identity alice", alice);
        assertNotAuthentic(catchThrowable(() -> rotated.find("bob")), "extras of identity bob", alice, bob);
    }

    @Test
    void aValueAlteredInTheDatabaseIsATypedErrorWithoutPlaintext() {
        Identity alice = rotated.create(identity("alice"));
        byte[] payload = Base64.getDecoder().decode(raw("refresh_token", "alice").substring("v1:k2:".length()));
        payload[payload.length / 2] ^= 0x10;
        db.execute("UPDATE oauth_identity SET refresh_token = ? WHERE id = 'alice'",
                "v1:k2:" + Base64.getEncoder().encodeToString(payload));

        assertNotAuthentic(catchThrowable(() -> rotated.find("alice")), "refresh_token of identity alice", alice);
    }

    private static void assertNotAuthentic(Throwable failure, String what, Identity... owners) {
        assertThat(failure).isInstanceOf(IdentityStoreException.class)
                .hasMessageContaining("could not decrypt the " + what)
                .cause().isInstanceOfSatisfying(TokenCipherException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.NOT_AUTHENTIC));
        for (Identity owner : owners) {
            assertNoPieceOf(stackTrace(failure), owner.accessToken(), owner.refreshToken().get(),
                    owner.extra("id_token").get());
        }
    }

    private String raw(String column, String id) {
        return (String) db.queryValue("SELECT " + column + " FROM oauth_identity WHERE id = ?", id);
    }

    /** {@code cipher}, running {@code action} once, the first time it seals a value for {@code context}. */
    private static TokenCipher interfering(TokenCipher cipher, String context, Runnable action) {
        AtomicBoolean armed = new AtomicBoolean(true);
        return new TokenCipher() {
            @Override
            public String encrypt(String plaintext, String c) {
                if (c.equals(context) && armed.getAndSet(false)) {
                    action.run();
                }
                return cipher.encrypt(plaintext, c);
            }

            @Override
            public String decrypt(String ciphertext, String c) {
                return cipher.decrypt(ciphertext, c);
            }

            @Override
            public boolean needsReencryption(String ciphertext) {
                return cipher.needsReencryption(ciphertext);
            }
        };
    }
}
