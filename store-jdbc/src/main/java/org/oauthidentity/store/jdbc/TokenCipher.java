package org.oauthidentity.store.jdbc;

/**
 * Encrypts credentials at rest. {@link AesGcmTokenCipher} is the implementation to use (AES-256-GCM on the JDK,
 * keys you supply, rotation); implement this interface yourself only to reach a KMS or HSM that must do the
 * sealing. Give it to {@link JdbcIdentityStore.Builder#tokenCipher}. Without one, tokens are stored as they are.
 *
 * <p>The store encrypts the access token, the refresh token and the vendor extras (an {@code id_token} is a
 * credential too) just before writing them, and decrypts them just after reading. Ids, provider keys, scopes,
 * expiry and the bookkeeping columns stay readable, so the sweep and the leases work on them in SQL.
 * {@link JdbcPendingAuthorizationStore.Builder#tokenCipher} uses it for the PKCE code verifier of pending
 * authorizations, with the context {@code "code_verifier:<pending key>"}.
 *
 * <p>Each call carries a {@code context}: the column and the identity id, as {@code "access_token:user-42"}.
 * Bind it to the ciphertext (as AES-GCM associated data) so that a ciphertext copied into another row or
 * column does not decrypt. It is not secret.
 *
 * <p>Implementations must be thread-safe, must return text that survives a {@code VARCHAR}/{@code TEXT}
 * column (Base64, say), and must throw (any {@link RuntimeException}) rather than return garbage when a
 * ciphertext does not authenticate. Their exception messages must not contain the plaintext; the store
 * withholds any that do. To rotate keys, carry a key id in the ciphertext and answer
 * {@link #needsReencryption}: {@link JdbcIdentityStore#reencrypt()} then rewrites the rows it names; otherwise
 * a row moves to the current key only when it is next saved.
 */
public interface TokenCipher {

    /**
     * @param plaintext the credential
     * @param context the column and the row, as {@code "access_token:user-42"}; not secret
     * @return the ciphertext of {@code plaintext}, as text
     */
    String encrypt(String plaintext, String context);

    /**
     * @param ciphertext what {@link #encrypt} returned
     * @param context the context {@link #encrypt} was given
     * @return the plaintext that {@link #encrypt} was given with the same {@code context}
     */
    String decrypt(String ciphertext, String context);

    /**
     * Whether a stored value was sealed otherwise than {@link #encrypt} seals now (another key, an older
     * format), so that {@link JdbcIdentityStore#reencrypt()} should rewrite it. Looks at the text only; never
     * decrypts. Default: false (a cipher without key ids has nothing to rotate).
     *
     * @param ciphertext a stored value
     * @return true when the value should be sealed again with the current key
     */
    default boolean needsReencryption(String ciphertext) {
        return false;
    }
}
