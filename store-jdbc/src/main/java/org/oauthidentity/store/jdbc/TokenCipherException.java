package org.oauthidentity.store.jdbc;

import java.util.Objects;

/**
 * Why {@link AesGcmTokenCipher} refused a key or a stored value; callers branch on {@link #reason()}, never on
 * the message. The message names key ids and lengths only: never key material, never plaintext, never the
 * stored value. When the failure happens inside a store it arrives as the cause of an
 * {@link org.oauthidentity.IdentityStoreException} that names the identity and the column. Immutable.
 */
public final class TokenCipherException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What went wrong. */
    public enum Reason {
        /** A key given to the builder is not 32 bytes (AES-256). A configuration error. */
        WRONG_KEY_SIZE,
        /** The stored value names a key id the cipher does not hold: a key removed too early, or another ring. */
        UNKNOWN_KEY_ID,
        /**
         * The value does not authenticate: it was altered, or it was written for another row or column, or its
         * key id names a different key than the one it was written with.
         */
        NOT_AUTHENTIC,
        /** The value is not in a format this cipher writes (no {@code v1:} prefix, bad key id, bad Base64, too short). */
        MALFORMED
    }

    /** Why the key or value was refused. */
    private final Reason reason;

    TokenCipherException(Reason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** @return why the key or value was refused */
    public Reason reason() {
        return reason;
    }
}
