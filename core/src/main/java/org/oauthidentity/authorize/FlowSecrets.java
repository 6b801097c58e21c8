package org.oauthidentity.authorize;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/** The random values and digests of the flow: state, PKCE (RFC 7636 §4.1-4.2), constant-time comparison. */
final class FlowSecrets {
    /** 256 bits: twice the 128 the state needs, and 43 base64url characters, the shortest PKCE verifier. */
    static final int RANDOM_BYTES = 32;

    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

    private FlowSecrets() {
    }

    /** {@link #RANDOM_BYTES} random bytes, base64url without padding: a valid state and a valid verifier. */
    static String randomToken(SecureRandom random) {
        byte[] bytes = new byte[RANDOM_BYTES];
        random.nextBytes(bytes);
        return BASE64URL.encodeToString(bytes);
    }

    /** Base64url SHA-256 of the UTF-8 text; for an ASCII verifier this is the S256 challenge. */
    static String sha256(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return BASE64URL.encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** Constant-time equality of two digests (their length is public). */
    static boolean sameDigest(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.US_ASCII), b.getBytes(StandardCharsets.US_ASCII));
    }
}
