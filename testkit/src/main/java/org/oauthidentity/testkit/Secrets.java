package org.oauthidentity.testkit;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/** Token minting and the comparisons a real authorization server makes against secret values. */
final class Secrets {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

    private Secrets() {
    }

    /**
     * Compares two values in time that does not depend on where they first differ
     * ({@link MessageDigest#isEqual}), so a client cannot guess a secret byte by byte. Null equals nothing.
     */
    static boolean constantTimeEquals(String expected, String presented) {
        byte[] a = expected == null ? new byte[0] : expected.getBytes(StandardCharsets.UTF_8);
        byte[] b = presented == null ? new byte[0] : presented.getBytes(StandardCharsets.UTF_8);
        // Always run the comparison, also when one side is missing, so absence takes the same path.
        boolean same = MessageDigest.isEqual(a, b);
        return same && expected != null && presented != null;
    }

    /** 256 random bits, base64url: unguessable, and long enough for core's redaction (8+ characters). */
    static String newToken(String prefix) {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return prefix + BASE64URL.encodeToString(bytes);
    }

    /** RFC 7636 §4.2: {@code BASE64URL(SHA256(ASCII(code_verifier)))}. */
    static String s256(String codeVerifier) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(codeVerifier.getBytes(StandardCharsets.US_ASCII));
            return BASE64URL.encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    static String base64url(byte[] bytes) {
        return BASE64URL.encodeToString(bytes);
    }
}
