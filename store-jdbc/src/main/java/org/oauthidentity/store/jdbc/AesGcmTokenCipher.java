package org.oauthidentity.store.jdbc;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.oauthidentity.store.jdbc.TokenCipherException.Reason;

/**
 * The {@link TokenCipher} to use: AES-256-GCM from the JDK ({@code javax.crypto}, no other dependency), over a
 * ring of keys that you supply, each under a key id, one of them current.
 *
 * <pre>{@code
 * TokenCipher cipher = AesGcmTokenCipher.builder()
 *         .key("2026-11", Base64.getDecoder().decode(System.getenv("TOKEN_KEY_2026_11")))  // 32 bytes each
 *         .build();
 * JdbcIdentityStore store = JdbcIdentityStore.builder(dataSource).tokenCipher(cipher).build();
 * }</pre>
 *
 * <p><b>Stored format.</b> {@code v1:<key id>:<Base64(nonce || ciphertext || tag)>}: a format version, the id of
 * the key that sealed the value, then a fresh random 96-bit nonce from {@link SecureRandom}, the ciphertext (as
 * long as the UTF-8 plaintext) and the 128-bit tag, in standard Base64 with padding. The associated data is the
 * UTF-8 bytes of {@code "v1:<key id>:<context>"}, where the store's context is the column and the row
 * ({@code "refresh_token:user-42"}); so a value copied into another row or column, given another key id, or
 * altered in any bit does not decrypt.
 *
 * <p><b>Guarantees.</b> {@link #encrypt} always seals with the current key; {@link #decrypt} opens a value
 * sealed with any key of the ring. Every refusal is a {@link TokenCipherException} whose
 * {@link TokenCipherException#reason() reason} says why (a wrong key size at {@link Builder#build()}, an unknown
 * key id, a value that does not authenticate, a malformed value) and whose message never holds key material,
 * plaintext or the stored value; no unauthenticated plaintext is ever returned. The library never generates,
 * stores or logs a key: keys come from you (an environment variable, a secrets manager, a KMS data key), and
 * {@link #toString()} shows key ids only. Key bytes are copied at {@link Builder#key}; clear your array after.
 *
 * <p><b>Thread safety.</b> Immutable after {@link Builder#build()}, and thread-safe: each call uses its own
 * {@link Cipher}; the {@link SecureRandom} is shared (it is thread-safe).
 *
 * <p><b>Rotating keys.</b>
 * <ol>
 *   <li>Add the new key to every instance's ring, still with the old key current, and deploy: every instance
 *       can now read values sealed by either.</li>
 *   <li>Make the new key {@linkplain Builder#currentKey current} and deploy: new writes use it; old values
 *       still read.</li>
 *   <li>Run {@link JdbcIdentityStore#reencrypt()} until it reports {@linkplain Reencryption#done() done}: it
 *       rewrites the rows still under another key, alongside live traffic.</li>
 *   <li>Wait at least the authorization flow's TTL (pending authorizations are not re-encrypted; they expire),
 *       then remove the old key.</li>
 * </ol>
 * Random nonces bound how much one key may seal: rotate well before 2<sup>32</sup> values (each save of an
 * identity seals two or three).
 */
public final class AesGcmTokenCipher implements TokenCipher {
    static final String VERSION = "v1";
    static final int KEY_BYTES = 32;
    static final int NONCE_BYTES = 12;
    static final int TAG_BYTES = 16;
    private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final String TRANSFORMATION = "AES/GCM/NoPadding";

    private final Map<String, SecretKeySpec> keys;
    private final String currentKeyId;
    private final SecretKeySpec currentKey;
    private final String currentPrefix;
    private final SecureRandom random;

    private AesGcmTokenCipher(Map<String, SecretKeySpec> keys, String currentKeyId, SecureRandom random) {
        this.keys = keys;
        this.currentKeyId = currentKeyId;
        this.currentKey = keys.get(currentKeyId);
        this.currentPrefix = VERSION + ":" + currentKeyId + ":";
        this.random = random;
    }

    /** @return a builder for a ring of one or more keys */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the id of the key new values are sealed with */
    public String currentKeyId() {
        return currentKeyId;
    }

    /**
     * Seals {@code plaintext} with the current key and a fresh random nonce, {@code context} bound as associated
     * data. Cost: one AES-GCM pass over the plaintext and 12 bytes from {@link SecureRandom}.
     */
    @Override
    public String encrypt(String plaintext, String context) {
        Objects.requireNonNull(plaintext, "plaintext");
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        byte[] sealed = seal(currentKey, nonce, associatedData(currentKeyId, context),
                plaintext.getBytes(StandardCharsets.UTF_8));
        byte[] payload = new byte[NONCE_BYTES + sealed.length];
        System.arraycopy(nonce, 0, payload, 0, NONCE_BYTES);
        System.arraycopy(sealed, 0, payload, NONCE_BYTES, sealed.length);
        return currentPrefix + Base64.getEncoder().encodeToString(payload);
    }

    /**
     * Opens a value sealed by any key of the ring for the same {@code context}.
     *
     * @throws TokenCipherException {@link Reason#MALFORMED}, {@link Reason#UNKNOWN_KEY_ID} or
     *     {@link Reason#NOT_AUTHENTIC}
     */
    @Override
    public String decrypt(String ciphertext, String context) {
        Objects.requireNonNull(ciphertext, "ciphertext");
        String keyId = keyIdOf(ciphertext);
        if (keyId == null) {
            throw new TokenCipherException(Reason.MALFORMED, "not a " + VERSION + ":<key id>:<base64> value");
        }
        SecretKeySpec key = keys.get(keyId);
        if (key == null) {
            throw new TokenCipherException(Reason.UNKNOWN_KEY_ID, "the value was sealed with key id '" + keyId
                    + "', which is not in this cipher's ring " + keys.keySet());
        }
        String text = ciphertext.substring(VERSION.length() + keyId.length() + 2);
        byte[] payload;
        try {
            payload = Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new TokenCipherException(Reason.MALFORMED, "the value is not valid Base64 after its key id");
        }
        // Only the canonical encoding is accepted, so that no character of a stored value can change unnoticed.
        if (!Base64.getEncoder().encodeToString(payload).equals(text)) {
            throw new TokenCipherException(Reason.MALFORMED, "the value is not canonical Base64 after its key id");
        }
        if (payload.length < NONCE_BYTES + TAG_BYTES) {
            throw new TokenCipherException(Reason.MALFORMED, "the value is too short to hold a nonce and a tag");
        }
        byte[] plaintext = open(key, payload, associatedData(keyId, context));
        return new String(plaintext, StandardCharsets.UTF_8);
    }

    /** True unless {@code ciphertext} was sealed with the current key (a malformed value needs it too). */
    @Override
    public boolean needsReencryption(String ciphertext) {
        return !ciphertext.startsWith(currentPrefix);
    }

    /** Names the key ids and the current one; never key material. */
    @Override
    public String toString() {
        return "AesGcmTokenCipher{current=" + currentKeyId + ", keys=" + keys.keySet() + '}';
    }

    /** The key id of a {@code v1} value, or null when the value is not one. */
    static String keyIdOf(String ciphertext) {
        if (!ciphertext.startsWith(VERSION + ":")) {
            return null;
        }
        int end = ciphertext.indexOf(':', VERSION.length() + 1);
        if (end < 0) {
            return null;
        }
        String keyId = ciphertext.substring(VERSION.length() + 1, end);
        return KEY_ID.matcher(keyId).matches() ? keyId : null;
    }

    static byte[] associatedData(String keyId, String context) {
        return (VERSION + ":" + keyId + ":" + Objects.requireNonNull(context, "context"))
                .getBytes(StandardCharsets.UTF_8);
    }

    /** AES-GCM encryption with a 128-bit tag: ciphertext || tag. The primitive the known-answer tests check. */
    static byte[] seal(SecretKeySpec key, byte[] nonce, byte[] associatedData, byte[] plaintext) {
        try {
            Cipher cipher = Cipher.getInstance(TRANSFORMATION);
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BYTES * 8, nonce));
            cipher.updateAAD(associatedData);
            return cipher.doFinal(plaintext);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available in this JDK", e);
        }
    }

    /** AES-GCM decryption of nonce || ciphertext || tag; a value that does not authenticate returns nothing. */
    static byte[] open(SecretKeySpec key, byte[] payload, byte[] associatedData) {
        Cipher cipher;
        try {
            cipher = Cipher.getInstance(TRANSFORMATION);
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BYTES * 8, payload, 0, NONCE_BYTES));
            cipher.updateAAD(associatedData);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available in this JDK", e);
        }
        try {
            return cipher.doFinal(payload, NONCE_BYTES, payload.length - NONCE_BYTES);
        } catch (AEADBadTagException e) {
            throw new TokenCipherException(Reason.NOT_AUTHENTIC, "the value does not authenticate (altered, sealed"
                    + " for another row or column, or under another key)");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM decryption failed", e);
        }
    }

    static SecretKeySpec aesKey(String keyId, byte[] key) {
        if (key.length != KEY_BYTES) {
            throw new TokenCipherException(Reason.WRONG_KEY_SIZE, "key '" + keyId + "' is " + key.length
                    + " bytes; AES-256 takes " + KEY_BYTES);
        }
        return new SecretKeySpec(key, "AES");
    }

    /**
     * Collects the ring. Not thread-safe; build on one thread. Each {@link #key} is copied, so the caller may
     * clear its array once it has been added.
     */
    public static final class Builder {
        private final Map<String, SecretKeySpec> keys = new LinkedHashMap<>();
        private String current;
        private SecureRandom random;

        private Builder() {
        }

        /**
         * Adds a key to the ring. The first key added is the current one unless {@link #currentKey} names
         * another.
         *
         * @param keyId 1 to 64 characters of {@code A-Z a-z 0-9 . _ -}; stored in clear with every value, so
         *     never derive it from the key; never reuse an id for different key bytes
         * @param key exactly 32 random bytes (AES-256)
         * @return this builder
         * @throws TokenCipherException {@link Reason#WRONG_KEY_SIZE} when {@code key} is not 32 bytes
         * @throws IllegalArgumentException the id is malformed or already in the ring
         */
        public Builder key(String keyId, byte[] key) {
            Objects.requireNonNull(keyId, "keyId");
            Objects.requireNonNull(key, "key");
            if (!KEY_ID.matcher(keyId).matches()) {
                throw new IllegalArgumentException("a key id is 1 to 64 characters of A-Z a-z 0-9 . _ -");
            }
            if (keys.containsKey(keyId)) {
                throw new IllegalArgumentException("key id '" + keyId + "' is already in the ring");
            }
            keys.put(keyId, aesKey(keyId, key));
            return this;
        }

        /**
         * Which key new values are sealed with. Default: the first key added.
         *
         * @param keyId the id of a key added to this builder
         * @return this builder
         */
        public Builder currentKey(String keyId) {
            this.current = Objects.requireNonNull(keyId, "keyId");
            return this;
        }

        /** The nonce source. Default: a new {@link SecureRandom}. For tests that need fixed nonces. */
        Builder random(SecureRandom random) {
            this.random = Objects.requireNonNull(random, "random");
            return this;
        }

        /**
         * @return the cipher, immutable
         * @throws IllegalStateException no key was added, or the current key id is not in the ring
         */
        public AesGcmTokenCipher build() {
            if (keys.isEmpty()) {
                throw new IllegalStateException("add at least one key");
            }
            String currentId = current != null ? current : keys.keySet().iterator().next();
            if (!keys.containsKey(currentId)) {
                throw new IllegalStateException("the current key id '" + currentId + "' is not in the ring "
                        + keys.keySet());
            }
            return new AesGcmTokenCipher(Collections.unmodifiableMap(new LinkedHashMap<>(keys)), currentId, random != null ? random : new SecureRandom());
        }
    }
}
