package org.oauthidentity.authorize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Base64;
import java.util.Optional;

/**
 * Reads a claim of an OpenID Connect ID token WITHOUT checking its signature, issuer, audience or expiry. That
 * is acceptable for one use only: naming the account of a token response that came straight from the vendor's
 * token endpoint over TLS, whose server certificate vouches for the token (OpenID Connect Core §3.1.3.7 allows
 * skipping the signature check in exactly that case). Never use it on an ID token received any other way, and
 * never to authenticate anyone. Anything malformed yields nothing; nothing here logs or echoes the token.
 */
public final class IdTokens {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Vendors' ID tokens are a few kilobytes; a far larger one is not worth decoding. */
    private static final int MAX_TOKEN_CHARS = 16 * 1024;
    /** OpenID Connect Core §2: {@code sub} is at most 255 ASCII characters; no account id needs more. */
    private static final int MAX_CLAIM_CHARS = 255;

    private IdTokens() {
    }

    /**
     * The claim {@code name} of a compact JWS ({@code header.payload.signature}) when it is a string of 1 to 255
     * printable ASCII characters; empty otherwise.
     */
    public static Optional<String> claim(String idToken, String name) {
        if (idToken == null || idToken.length() > MAX_TOKEN_CHARS) {
            return Optional.empty();
        }
        String[] parts = idToken.split("\\.", -1);
        if (parts.length != 3) {
            return Optional.empty();
        }
        JsonNode value;
        try {
            JsonNode claims = JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
            value = claims == null ? null : claims.get(name);
        } catch (IllegalArgumentException | IOException e) {
            return Optional.empty(); // not base64url, or not JSON
        }
        return value == null || !value.isTextual() ? Optional.empty() : AccountLookup.accountId(value.asText());
    }
}
