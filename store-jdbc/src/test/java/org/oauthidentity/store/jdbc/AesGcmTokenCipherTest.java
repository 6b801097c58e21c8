package org.oauthidentity.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.oauthidentity.store.jdbc.TokenCipherException.Reason;

/** {@link AesGcmTokenCipher} on its own: published vectors, the stored format, tampering, swaps, keys, threads. */
class AesGcmTokenCipherTest {
    private static final HexFormat HEX = HexFormat.of();

    // ---- known answers: test cases 13 to 16 (the AES-256 ones) of the GCM specification, McGrew and Viega,
    // "The Galois/Counter Mode of Operation (GCM)", as submitted to NIST for SP 800-38D. Values copied as published.

    private static final String K15 = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
    private static final String IV15 = "cafebabefacedbaddecaf888";
    private static final String P15 = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
            + "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
    private static final String C15 = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
            + "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad";

    @Test
    void testCase13EmptyPlaintextNoAssociatedData() {
        assertKnownAnswer("00".repeat(32), "00".repeat(12), "", "", "", "530f8afbc74536b9a963b4f1c4cb738b");
    }

    @Test
    void testCase14OneZeroBlock() {
        assertKnownAnswer("00".repeat(32), "00".repeat(12), "00".repeat(16), "",
                "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919");
    }

    @Test
    void testCase15FourBlocksNoAssociatedData() {
        assertKnownAnswer(K15, IV15, P15, "", C15, "b094dac5d93471bdec1a502270e3cc6c");
    }

    @Test
    void testCase16PartialBlockWithAssociatedData() {
        assertKnownAnswer(K15, IV15, P15.substring(0, 120), "feedfacedeadbeeffeedfacedeadbeefabaddad2",
                C15.substring(0, 120), "76fc6ece0f4e1768cddf8853bb2d551b");
    }

    private static void assertKnownAnswer(String key, String nonce, String plaintext, String aad, String ciphertext,
            String tag) {
        SecretKeySpec k = AesGcmTokenCipher.aesKey("vector", HEX.parseHex(key));
        byte[] sealed = AesGcmTokenCipher.seal(k, HEX.parseHex(nonce), HEX.parseHex(aad), HEX.parseHex(plaintext));
        assertThat(HEX.formatHex(sealed)).isEqualTo(ciphertext + tag);
        byte[] opened = AesGcmTokenCipher.open(k, HEX.parseHex(nonce + ciphertext + tag), HEX.parseHex(aad));
        assertThat(HEX.formatHex(opened)).isEqualTo(plaintext);
        byte[] badTag = HEX.parseHex(nonce + ciphertext + tag);
        badTag[badTag.length - 1] ^= 1;
        assertThatThrownBy(() -> AesGcmTokenCipher.open(k, badTag, HEX.parseHex(aad)))
                .isInstanceOfSatisfying(TokenCipherException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.NOT_AUTHENTIC));
    }

    // ---- the stored format, against the documented layout computed here with javax.crypto directly ----------

    @Test
    void theStoredValueIsVersionKeyIdAndBase64OfNonceCiphertextTagWithKeyIdAndContextAsAssociatedData()
            throws Exception {
        byte[] key = HEX.parseHex(K15);
        byte[] nonce = HEX.parseHex(IV15);
        AesGcmTokenCipher cipher = AesGcmTokenCipher.builder().key("2026-11", key).random(fixed(nonce)).build();

        String stored = cipher.encrypt("rt-secret-é", "refresh_token:user-42");

        Cipher jdk = Cipher.getInstance("AES/GCM/NoPadding");
        jdk.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
        jdk.updateAAD("v1:2026-11:refresh_token:user-42".getBytes(StandardCharsets.UTF_8));
        byte[] sealed = jdk.doFinal("rt-secret-é".getBytes(StandardCharsets.UTF_8));
        byte[] payload = new byte[nonce.length + sealed.length];
        System.arraycopy(nonce, 0, payload, 0, nonce.length);
        System.arraycopy(sealed, 0, payload, nonce.length, sealed.length);
        assertThat(stored).isEqualTo("v1:2026-11:" + Base64.getEncoder().encodeToString(payload));
        assertThat(cipher.decrypt(stored, "refresh_token:user-42")).isEqualTo("rt-secret-é");
    }

    @Test
    void everyValueGetsAFreshNonceAndEmptyOrUnicodeTextRoundTrips() {
        AesGcmTokenCipher cipher = TestKeys.newCipher();
        Set<String> nonces = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            String stored = cipher.encrypt("same", "access_token:alice");
            nonces.add(HEX.formatHex(payload(stored), 0, AesGcmTokenCipher.NONCE_BYTES));
        }
        assertThat(nonces).hasSize(10_000);
        for (String text : List.of("", "ü∑ 🔑 \u0000 tail", "x".repeat(100_000))) {
            assertThat(cipher.decrypt(cipher.encrypt(text, "extras:a"), "extras:a")).isEqualTo(text);
        }
    }

    // ---- tampering and swaps -----------------------------------------------------------------------------------

    @Test
    void oneFlippedBitAnywhereInTheStoredValueIsATypedErrorWithoutPlaintext() {
        // k3 is one bit away from k1 in the text: a flip there names a key that exists but did not seal the value.
        AesGcmTokenCipher cipher = AesGcmTokenCipher.builder().key("k1", TestKeys.newKey())
                .key("k3", TestKeys.newKey()).build();
        String secret = "rt-" + StoreTestSupport.random(40);
        String stored = cipher.encrypt(secret, "refresh_token:alice");
        List<Reason> seen = new ArrayList<>();

        for (int i = 0; i < stored.length(); i++) {
            for (int bit = 0; bit < 7; bit++) {
                char[] chars = stored.toCharArray();
                chars[i] ^= (char) (1 << bit);
                String tampered = new String(chars);
                Throwable failure = catchThrowable(() -> cipher.decrypt(tampered, "refresh_token:alice"));
                assertThat(failure).as("flip of bit %d of character %d", bit, i)
                        .isInstanceOf(TokenCipherException.class);
                StoreTestSupport.assertNoPieceOf(StoreTestSupport.stackTrace(failure), secret);
                seen.add(((TokenCipherException) failure).reason());
            }
        }
        assertThat(seen).contains(Reason.MALFORMED, Reason.UNKNOWN_KEY_ID, Reason.NOT_AUTHENTIC);
    }

    @Test
    void oneFlippedBitInTheNonceCiphertextOrTagDoesNotAuthenticate() {
        AesGcmTokenCipher cipher = TestKeys.newCipher();
        String stored = cipher.encrypt("at-" + StoreTestSupport.random(40), "access_token:alice");
        byte[] payload = payload(stored);

        for (int i = 0; i < payload.length * 8; i++) {
            byte[] flipped = payload.clone();
            flipped[i / 8] ^= (byte) (1 << (i % 8));
            String tampered = "v1:test:" + Base64.getEncoder().encodeToString(flipped);
            assertThatThrownBy(() -> cipher.decrypt(tampered, "access_token:alice")).as("bit %d", i)
                    .isInstanceOfSatisfying(TokenCipherException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.NOT_AUTHENTIC));
        }
    }

    @Test
    void aValueMovedToAnotherRowOrColumnOrRelabelledWithAnotherKeyIdDoesNotDecrypt() {
        byte[] key = TestKeys.newKey();
        // The same key under two ids: only the key id in the associated data tells them apart.
        AesGcmTokenCipher cipher = AesGcmTokenCipher.builder().key("a", key).key("b", key).build();
        String stored = cipher.encrypt("rt-alice", "refresh_token:alice");

        for (String context : List.of("refresh_token:bob", "access_token:alice", "extras:alice", "refresh_token:alice2",
                "code_verifier:alice", "")) {
            assertThat(reasonOf(() -> cipher.decrypt(stored, context))).as(context).isEqualTo(Reason.NOT_AUTHENTIC);
        }
        assertThat(reasonOf(() -> cipher.decrypt("v1:b:" + stored.substring(5), "refresh_token:alice")))
                .isEqualTo(Reason.NOT_AUTHENTIC);
        assertThat(cipher.decrypt(stored, "refresh_token:alice")).isEqualTo("rt-alice");
    }

    @Test
    void malformedValuesAreRefusedAsSuch() {
        AesGcmTokenCipher cipher = TestKeys.newCipher();
        for (String value : List.of("", "plain-token", "v2:test:AAAA", "v1:test", "v1::AAAA", "v1:te st:AAAA",
                "v1:test:not base64!", "v1:test:AAAAAAAA", "v1:test:" + Base64.getEncoder().encodeToString(new byte[27]))) {
            assertThat(reasonOf(() -> cipher.decrypt(value, "access_token:a"))).as(value).isEqualTo(Reason.MALFORMED);
        }
    }

    // ---- keys ------------------------------------------------------------------------------------------------

    @Test
    void aKeyThatIsNot32BytesIsRefusedWithoutShowingIt() {
        for (int size : new int[] {0, 16, 24, 31, 33, 64}) {
            byte[] key = new byte[size];
            new SecureRandom().nextBytes(key);
            Throwable failure = catchThrowable(() -> AesGcmTokenCipher.builder().key("k", key));
            assertThat(failure).isInstanceOfSatisfying(TokenCipherException.class,
                    e -> assertThat(e.reason()).isEqualTo(Reason.WRONG_KEY_SIZE));
            assertThat(failure).hasMessage("key 'k' is " + size + " bytes; AES-256 takes 32");
        }
    }

    @Test
    void aRingRotates() {
        byte[] k1 = TestKeys.newKey();
        byte[] k2 = TestKeys.newKey();
        AesGcmTokenCipher old = AesGcmTokenCipher.builder().key("k1", k1).build();
        String underK1 = old.encrypt("at-1", "access_token:a");

        AesGcmTokenCipher both = AesGcmTokenCipher.builder().key("k1", k1).key("k2", k2).currentKey("k2").build();
        assertThat(both.decrypt(underK1, "access_token:a")).isEqualTo("at-1");
        assertThat(both.needsReencryption(underK1)).isTrue();
        String underK2 = both.encrypt("at-1", "access_token:a");
        assertThat(underK2).startsWith("v1:k2:");
        assertThat(both.needsReencryption(underK2)).isFalse();
        assertThat(both.needsReencryption("plain-token")).isTrue();

        AesGcmTokenCipher onlyK2 = AesGcmTokenCipher.builder().key("k2", k2).build();
        assertThat(onlyK2.decrypt(underK2, "access_token:a")).isEqualTo("at-1");
        Throwable unknown = catchThrowable(() -> onlyK2.decrypt(underK1, "access_token:a"));
        assertThat(unknown).isInstanceOfSatisfying(TokenCipherException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.UNKNOWN_KEY_ID))
                .hasMessage("the value was sealed with key id 'k1', which is not in this cipher's ring [k2]");
    }

    @Test
    void theBuilderRefusesAnEmptyRingAMissingCurrentKeyAndBadOrDuplicateIds() {
        assertThatThrownBy(() -> AesGcmTokenCipher.builder().build()).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> AesGcmTokenCipher.builder().key("k1", TestKeys.newKey()).currentKey("k2").build())
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> AesGcmTokenCipher.builder().key("k1", TestKeys.newKey()).key("k1", TestKeys.newKey()))
                .isInstanceOf(IllegalArgumentException.class);
        for (String id : List.of("", "a:b", "a b", "x".repeat(65), "é")) {
            assertThatThrownBy(() -> AesGcmTokenCipher.builder().key(id, TestKeys.newKey())).as(id)
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void keyMaterialIsCopiedAndNeverPrinted() {
        byte[] key = TestKeys.newKey();
        byte[] kept = key.clone();
        AesGcmTokenCipher cipher = AesGcmTokenCipher.builder().key("k1", key).key("k2", TestKeys.newKey())
                .currentKey("k2").build();
        String stored = cipher.encrypt("at", "access_token:a");
        java.util.Arrays.fill(key, (byte) 0);  // the caller clears its copy

        assertThat(cipher).hasToString("AesGcmTokenCipher{current=k2, keys=[k1, k2]}");
        assertThat(cipher.toString()).doesNotContain(HEX.formatHex(kept), Base64.getEncoder().encodeToString(kept));
        assertThat(cipher.decrypt(stored, "access_token:a")).isEqualTo("at");
        assertThat(cipher.currentKeyId()).isEqualTo("k2");
    }

    // ---- threads -----------------------------------------------------------------------------------------------

    @Test
    void oneCipherServesManyThreadsAtOnce() throws Exception {
        AesGcmTokenCipher cipher = TestKeys.newCipher();
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                results.add(threads.submit(() -> {
                    int ok = 0;
                    for (int i = 0; i < 2_000; i++) {
                        String text = "at-" + thread + "-" + i;
                        String context = "access_token:user-" + thread + "-" + i;
                        if (cipher.decrypt(cipher.encrypt(text, context), context).equals(text)) {
                            ok++;
                        }
                    }
                    return ok;
                }));
            }
            for (Future<Integer> result : results) {
                assertThat(result.get()).isEqualTo(2_000);
            }
        } finally {
            threads.shutdownNow();
        }
    }

    private static byte[] payload(String stored) {
        return Base64.getDecoder().decode(stored.substring(stored.indexOf(':', 3) + 1));
    }

    private static Reason reasonOf(Runnable call) {
        Throwable failure = catchThrowable(call::run);
        assertThat(failure).isInstanceOf(TokenCipherException.class);
        return ((TokenCipherException) failure).reason();
    }

    /** A "random" source that hands out the given bytes, for a reproducible nonce. */
    private static SecureRandom fixed(byte[] bytes) {
        return new SecureRandom() {
            private static final long serialVersionUID = 1L;

            @Override
            public void nextBytes(byte[] out) {
                System.arraycopy(bytes, 0, out, 0, out.length);
            }
        };
    }
}
