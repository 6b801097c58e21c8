package org.oauthidentity.store.redis;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import org.oauthidentity.IdentityStoreException;
import org.oauthidentity.authorize.PendingAuthorization;

/**
 * The value stored under a pending authorization's key: one JSON object, format {@code "v":1}. Times are ISO-8601
 * instants to the nanosecond, so a record reads back exactly as it was put. Immutable.
 */
final class StoredRecord {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int FORMAT = 1;

    private final ObjectNode node;
    private final String providerKey;
    private final Instant expiresAt;

    private StoredRecord(ObjectNode node, String providerKey, Instant expiresAt) {
        this.node = node;
        this.providerKey = providerKey;
        this.expiresAt = expiresAt;
    }

    /** The value for Redis; {@code storedVerifier} is the verifier as stored (ciphertext when encrypted), or null. */
    static String encode(PendingAuthorization authorization, String storedVerifier, Instant expiresAt) {
        ObjectNode node = JSON.createObjectNode();
        node.put("v", FORMAT);
        node.put("provider", authorization.providerKey());
        node.put("stateDigest", authorization.stateDigest());
        node.put("ownerDigest", authorization.ownerDigest());
        node.put("redirectUri", authorization.redirectUri());
        node.put("verifier", storedVerifier);
        ArrayNode scopes = node.putArray("scopes");
        authorization.scopes().forEach(scopes::add);
        node.put("createdAt", authorization.createdAt().toString());
        node.put("expiresAt", expiresAt.toString());
        return node.toString();
    }

    /**
     * Reads a value back.
     *
     * @throws IdentityStoreException the value is not one this store wrote (its message never quotes the value)
     */
    static StoredRecord decode(String value) {
        try {
            JsonNode parsed = JSON.readTree(value);
            if (!(parsed instanceof ObjectNode) || parsed.path("v").asInt() != FORMAT) {
                throw unreadable("it is not a format-1 record");
            }
            ObjectNode node = (ObjectNode) parsed;
            return new StoredRecord(node, text(node, "provider"), Instant.parse(text(node, "expiresAt")));
        } catch (JsonProcessingException | DateTimeParseException e) {
            // No cause: Jackson's and java.time's messages quote the text they choked on.
            throw unreadable(e.getClass().getSimpleName());
        }
    }

    String providerKey() {
        return providerKey;
    }

    Instant expiresAt() {
        return expiresAt;
    }

    /** The verifier as stored (ciphertext when the store encrypts), or null when the record has none. */
    String storedVerifier() {
        JsonNode verifier = node.get("verifier");
        return verifier == null || verifier.isNull() ? null : verifier.asText();
    }

    /** The record, with {@code verifier} in clear (or null). */
    PendingAuthorization toAuthorization(String verifier) {
        try {
            List<String> scopes = new ArrayList<>();
            node.path("scopes").forEach(scope -> scopes.add(scope.asText()));
            return PendingAuthorization.builder()
                    .providerKey(providerKey)
                    .stateDigest(text(node, "stateDigest"))
                    .ownerDigest(text(node, "ownerDigest"))
                    .redirectUri(text(node, "redirectUri"))
                    .codeVerifier(verifier)
                    .scopes(scopes)
                    .createdAt(Instant.parse(text(node, "createdAt")))
                    .build();
        } catch (IllegalArgumentException | NullPointerException | DateTimeParseException e) {
            throw new IdentityStoreException("a pending authorization of provider " + providerKey
                    + " has a field that does not read back (" + e.getClass().getSimpleName() + ")");
        }
    }

    private static String text(ObjectNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    private static IdentityStoreException unreadable(String why) {
        return new IdentityStoreException("a pending authorization in Redis does not read back (" + why + ")");
    }
}
