package org.oauthidentity.support;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;
import mockwebserver3.MockResponse;

/**
 * Token endpoint answers for tests: RFC 6749 §5.1 successes and §5.2 errors, as JSON text or as a ready
 * {@link MockResponse}. Fields keep the order they were added in.
 */
public final class TokenJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, Object> fields = new LinkedHashMap<>();

    private TokenJson() {
    }

    /** A success carrying {@code access_token} and {@code token_type=Bearer}. */
    public static TokenJson success(String accessToken) {
        return new TokenJson().field("access_token", accessToken).field("token_type", "Bearer");
    }

    /** An error object with {@code error} and, when not null, {@code error_description}. */
    public static TokenJson error(String error, String description) {
        TokenJson json = new TokenJson().field("error", error);
        return description == null ? json : json.field("error_description", description);
    }

    /** An empty object, to fill field by field. */
    public static TokenJson object() {
        return new TokenJson();
    }

    public TokenJson refreshToken(String refreshToken) {
        return field("refresh_token", refreshToken);
    }

    public TokenJson expiresIn(Object seconds) {
        return field("expires_in", seconds);
    }

    public TokenJson scope(String scope) {
        return field("scope", scope);
    }

    /** Any field; a null value is written as JSON null. */
    public TokenJson field(String name, Object value) {
        fields.put(name, value);
        return this;
    }

    public TokenJson without(String name) {
        fields.remove(name);
        return this;
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(fields);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** This object as a response with {@code status}. */
    public MockResponse response(int status) {
        return json(status, toJson());
    }

    /** This object as a 200 response. */
    public MockResponse response() {
        return response(200);
    }

    /** Any text as a JSON response (the text need not be valid JSON). */
    public static MockResponse json(int status, String body) {
        return new MockResponse.Builder().code(status)
                .addHeader("Content-Type", "application/json; charset=utf-8")
                .addHeader("Cache-Control", "no-store")
                .body(body)
                .build();
    }

    /** An HTML page, as proxies and firewalls send. */
    public static MockResponse html(int status) {
        return new MockResponse.Builder().code(status)
                .addHeader("Content-Type", "text/html")
                .body("<html><head><title>" + status + "</title></head><body><h1>Service unavailable</h1></body></html>")
                .build();
    }

    @Override
    public String toString() {
        return "TokenJson{fields=" + fields.keySet() + '}';
    }
}
