package org.oauthidentity.providers.google;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Base64;
import java.util.Optional;

/**
 * Reads the {@code sub} claim of an OpenID Connect ID token WITHOUT checking its signature, issuer, audience or
 * expiry: the result is a label (which Google account an identity belongs to), never a proof, and must not be
 * used to authenticate anyone. Anything malformed yields nothing; nothing here logs or echoes the token.
 */
final class IdTokens {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Google's ID tokens are about a kilobyte; a far larger one is not worth decoding. */
    private static final int MAX_TOKEN_CHARS = 16 * 1024;
    /** OpenID Connect Core §2: {@code sub} is at most 255 ASCII characters. */
    private static final int MAX_SUBJECT_CHARS = 255;

    private IdTokens() {
    }

    /** The {@code sub} claim of a compact JWS ({@code header.payload.signature}), if it has a sensible one. */
    static Optional<String> subject(String idToken) {
        if (idToken == null || idToken.length() > MAX_TOKEN_CHARS) {
            return Optional.empty();
        }
        String[] parts = idToken.split("\\.", -1);
        if (parts.length != 3) {
            return Optional.empty();
        }
        JsonNode sub;
        try {
            JsonNode claims = JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
            sub = claims == null ? null : claims.get("sub");
        } catch (IllegalArgumentException | IOException e) {
            return Optional.empty(); // not base64url, or not JSON
        }
        if (sub == null || !sub.isTextual()) {
            return Optional.empty();
        }
        String subject = sub.asText();
        boolean printableAscii = subject.chars().allMatch(c -> c > 0x20 && c < 0x7f);
        return subject.isEmpty() || subject.length() > MAX_SUBJECT_CHARS || !printableAscii
                ? Optional.empty() : Optional.of(subject);
    }
}
