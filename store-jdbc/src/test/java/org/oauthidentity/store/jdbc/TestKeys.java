package org.oauthidentity.store.jdbc;

import java.security.SecureRandom;

/** Keys for tests: random 32-byte keys drawn here, as a caller would draw them once and keep them in a vault. */
final class TestKeys {
    private static final SecureRandom RANDOM = new SecureRandom();

    private TestKeys() {
    }

    static byte[] newKey() {
        byte[] key = new byte[AesGcmTokenCipher.KEY_BYTES];
        RANDOM.nextBytes(key);
        return key;
    }

    /** A cipher of one fresh key, id {@code "test"}. */
    static AesGcmTokenCipher newCipher() {
        return AesGcmTokenCipher.builder().key("test", newKey()).build();
    }
}
