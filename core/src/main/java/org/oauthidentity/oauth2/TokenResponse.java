package org.oauthidentity.oauth2;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.oauthidentity.RefreshException.Details;
import org.oauthidentity.TokenResponseException;

/**
 * A successful token response (RFC 6749 §5.1), validated: it has an {@code access_token}, and
 * {@code expires_in} / {@code created_at}, when present, are numbers (or numeric strings). Immutable.
 * {@link #toString()} prints field names only.
 */
public final class TokenResponse {
    static final java.util.Set<String> MODELLED = java.util.Set.of(
            "access_token", "refresh_token", "token_type", "expires_in", "scope");

    /** The largest seconds value read, as for numeric strings (12 digits): some 31,000 years. */
    private static final long MAX_SECONDS = 999_999_999_999L;

    private final ObjectNode json;
    private final String accessToken;
    private final Duration expiresIn;
    private final Instant createdAt;

    private TokenResponse(ObjectNode json) throws TokenResponseException {
        this.json = json;
        this.accessToken = text("access_token");
        if (accessToken == null || accessToken.isEmpty()) {
            throw new TokenResponseException(Details.of("token response has no access_token"), null);
        }
        this.expiresIn = seconds("expires_in").map(Duration::ofSeconds).orElse(null);
        this.createdAt = seconds("created_at").map(Instant::ofEpochSecond).orElse(null);
    }

    /** @throws TokenResponseException if it lacks an access token or has a malformed number */
    public static TokenResponse of(ObjectNode json) throws TokenResponseException {
        return new TokenResponse(json);
    }

    public String accessToken() {
        return accessToken;
    }

    public Optional<String> refreshToken() {
        return Optional.ofNullable(text("refresh_token")).filter(s -> !s.isEmpty());
    }

    public Optional<String> tokenType() {
        return Optional.ofNullable(text("token_type"));
    }

    public Optional<Duration> expiresIn() {
        return Optional.ofNullable(expiresIn);
    }

    /** The vendor's issue time ({@code created_at}, epoch seconds), if it sent one (GitLab does). */
    public Optional<Instant> createdAt() {
        return Optional.ofNullable(createdAt);
    }

    /** The granted scopes, space-delimited as sent; absent means "as requested". */
    public Optional<String> scope() {
        return Optional.ofNullable(text("scope"));
    }

    /** A field as text: strings as they are, other values as JSON. */
    public Optional<String> field(String name) {
        return Optional.ofNullable(text(name));
    }

    /** Every field this class does not model, as text, in the order received. */
    public Map<String, String> extras() {
        Map<String, String> extras = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (!MODELLED.contains(field.getKey()) && !field.getValue().isNull()) {
                extras.put(field.getKey(), asText(field.getValue()));
            }
        }
        return extras;
    }

    @Override
    public String toString() {
        StringBuilder names = new StringBuilder();
        json.fieldNames().forEachRemaining(n -> names.append(names.length() == 0 ? "" : ", ").append(n));
        return "TokenResponse{fields=[" + names + "]}";
    }

    private String text(String name) {
        JsonNode node = json.get(name);
        return node == null || node.isNull() ? null : asText(node);
    }

    private static String asText(JsonNode node) {
        return node.isValueNode() ? node.asText() : node.toString();
    }

    private Optional<Long> seconds(String name) throws TokenResponseException {
        JsonNode node = json.get(name);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        long value;
        if (node.isIntegralNumber() && node.canConvertToLong()) {
            value = node.longValue();
        } else if (node.isNumber()) {
            value = (long) node.doubleValue();
        } else if (node.isTextual() && node.asText().trim().matches("\\d{1,12}")) {
            value = Long.parseLong(node.asText().trim());
        } else {
            throw new TokenResponseException(Details.of("token response has a malformed " + name), null);
        }
        if (value < 0) {
            throw new TokenResponseException(Details.of("token response has a negative " + name), null);
        }
        if (value > MAX_SECONDS) {
            // Would overflow Instant arithmetic (an unchecked exception) rather than mean anything.
            throw new TokenResponseException(Details.of("token response has an out-of-range " + name), null);
        }
        return Optional.of(value);
    }
}
