package org.oauthidentity.oauth2;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.oauthidentity.RefreshException.Details;
import org.oauthidentity.TokenResponseException;

/**
 * A successful token response (RFC 6749 §5.1), read leniently: a vendor that answered 200 with tokens may have
 * retired the refresh token it was sent, so nothing it issued is thrown away over a malformed side field.
 * Immutable. {@link #toString()} prints field names only.
 *
 * <ul>
 *   <li>{@code access_token} must be present and usable ({@link #usableToken}); {@link #parse} refuses a response
 *       without one.</li>
 *   <li>{@code refresh_token}: {@link #refreshToken()} holds it only when it is usable; an unusable one is never
 *       handed out (it would be stored, and then refused by the vendor forever).</li>
 *   <li>{@code expires_in}, a number or a numeric string, becomes {@link #expiresIn()} within
 *       [{@link #MIN_LIFETIME}, {@link #MAX_LIFETIME}]; negative or not a number, the expiry is unknown.</li>
 *   <li>{@code created_at}: epoch seconds (number or numeric string) or ISO-8601 text with an offset; anything
 *       else is ignored.</li>
 *   <li>{@code token_type}: a usable type ({@value #MAX_TOKEN_TYPE_LENGTH} characters at most, of HTTP's token
 *       characters) or, in place of anything else, {@code Bearer}, the only scheme the client sends.</li>
 * </ul>
 * Each repair is recorded as a warning naming the field (a number may be quoted, text never: it could be a
 * token), which {@link OAuth2Provider} logs with the identity it concerns.
 */
public final class TokenResponse {
    static final Set<String> MODELLED = Set.of(
            "access_token", "refresh_token", "token_type", "expires_in", "scope");

    /**
     * The longest lifetime taken from a vendor: a longer {@code expires_in} (a vendor's way of saying "never", or
     * garbage) is cut to one year, so such a token is refreshed once a year rather than trusted forever.
     */
    public static final Duration MAX_LIFETIME = Duration.ofDays(365);
    /**
     * The shortest lifetime given to a token: with {@code expires_in} of 0 (or a few seconds) every API call
     * would first refresh. A token that really is dead sooner is caught by the API's 401.
     */
    public static final Duration MIN_LIFETIME = Duration.ofSeconds(30);
    /** The longest access or refresh token accepted, in characters: longer ones break headers and columns. */
    public static final int MAX_TOKEN_LENGTH = 16 * 1024;
    /** The longest {@code token_type} kept (the stores' column); anything longer is replaced by {@code Bearer}. */
    public static final int MAX_TOKEN_TYPE_LENGTH = 50;

    /** RFC 6749 Appendix A: tokens are VSCHARs, which is also all an HTTP header value may carry. */
    private static final Pattern VSCHARS = Pattern.compile("[\\x20-\\x7E]+");
    /** RFC 9110 §5.6.2 token characters, as an auth scheme is written. */
    private static final Pattern TOKEN_TYPE = Pattern.compile("[A-Za-z0-9!#$%&'*+.^_`|~-]{1," + MAX_TOKEN_TYPE_LENGTH + "}");
    private static final Pattern DECIMAL = Pattern.compile("[+-]?\\d+(\\.\\d*)?");
    private static final BigDecimal MAX_LIFETIME_SECONDS = BigDecimal.valueOf(MAX_LIFETIME.getSeconds());
    /** Issue times beyond this (some 31,000 years either way) are garbage, not instants. */
    private static final BigDecimal MAX_EPOCH_SECONDS = BigDecimal.valueOf(999_999_999_999L);
    private static final BigDecimal BEYOND_DOUBLE = new BigDecimal("1E+400");

    private final ObjectNode json;
    private final String accessToken;
    private final String accessTokenProblem;
    private final String refreshToken;
    private final String refreshTokenProblem;
    private final String tokenType;
    private final Duration expiresIn;
    private final Instant createdAt;
    private final List<String> warnings = new ArrayList<>(2);

    private TokenResponse(ObjectNode json) {
        this.json = json;
        String access = text("access_token");
        this.accessTokenProblem = access == null || access.isEmpty() ? "has no access_token"
                : problemOf("access_token", access);
        this.accessToken = accessTokenProblem == null ? access : null;
        String refresh = text("refresh_token");
        this.refreshTokenProblem = refresh == null || refresh.isEmpty() ? null : problemOf("refresh_token", refresh);
        this.refreshToken = refresh == null || refresh.isEmpty() || refreshTokenProblem != null ? null : refresh;
        this.tokenType = readTokenType();
        this.expiresIn = readExpiresIn();
        this.createdAt = readCreatedAt();
    }

    /**
     * Reads a token response's JSON text as {@link OAuth2Provider} reads a 200 answer.
     *
     * @param json the response body
     * @return the response, which has a usable access token
     * @throws TokenResponseException if the text is not one JSON object or it has no usable access token; nothing
     *     else makes it fail (see the class comment)
     */
    public static TokenResponse parse(String json) throws TokenResponseException {
        ObjectNode object = json == null ? null : OAuth2Provider.parseObject(json.getBytes(StandardCharsets.UTF_8));
        if (object == null) {
            throw new TokenResponseException(Details.of("token response is not a JSON object"), null);
        }
        TokenResponse response = new TokenResponse(object);
        if (response.accessTokenProblem != null) {
            throw new TokenResponseException(Details.of("token response " + response.accessTokenProblem), null);
        }
        return response;
    }

    /** Reads any 200 answer; the caller checks {@link #accessTokenProblem()} before it uses the tokens. */
    static TokenResponse read(ObjectNode json) {
        return new TokenResponse(json);
    }

    /** True for a token that can be stored and sent: 1 to {@value #MAX_TOKEN_LENGTH} VSCHARs (RFC 6749 Appendix A). */
    public static boolean usableToken(String token) {
        return token != null && !token.isEmpty() && token.length() <= MAX_TOKEN_LENGTH && VSCHARS.matcher(token).matches();
    }

    public String accessToken() {
        return accessToken;
    }

    /** The new refresh token, if the vendor issued a usable one (rotation). */
    public Optional<String> refreshToken() {
        return Optional.ofNullable(refreshToken);
    }

    /** The token type as sent when it is usable, {@code Bearer} in place of an unusable one; empty when not sent. */
    public Optional<String> tokenType() {
        return Optional.ofNullable(tokenType);
    }

    /** The lifetime, within [{@link #MIN_LIFETIME}, {@link #MAX_LIFETIME}]; empty when not sent or unreadable. */
    public Optional<Duration> expiresIn() {
        return Optional.ofNullable(expiresIn);
    }

    /**
     * The vendor's issue time ({@code created_at}: epoch seconds, or ISO-8601 text), if it sent a readable one
     * (GitLab does). As read: {@link OAuth2Provider} bounds it by the request's own start and end.
     */
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

    /** Why the access token cannot be used ("has no access_token", ...); empty when it can. */
    Optional<String> accessTokenProblem() {
        return Optional.ofNullable(accessTokenProblem);
    }

    /** Why the refresh token the vendor sent cannot be stored; empty when it can, or none was sent. */
    Optional<String> refreshTokenProblem() {
        return Optional.ofNullable(refreshTokenProblem);
    }

    /** What was repaired while reading, one sentence each, free of token text. */
    List<String> warnings() {
        return Collections.unmodifiableList(warnings);
    }

    @Override
    public String toString() {
        StringBuilder names = new StringBuilder();
        json.fieldNames().forEachRemaining(n -> names.append(names.length() == 0 ? "" : ", ").append(n));
        return "TokenResponse{fields=[" + names + "]}";
    }

    private static String problemOf(String field, String token) {
        if (token.length() > MAX_TOKEN_LENGTH) {
            return "has an " + field + " of " + token.length() + " characters (at most " + MAX_TOKEN_LENGTH + " accepted)";
        }
        if (!VSCHARS.matcher(token).matches()) {
            return "has an " + field + " with line breaks, control or non-ASCII characters";
        }
        return null;
    }

    private String readTokenType() {
        String type = text("token_type");
        if (type == null || type.isEmpty() || TOKEN_TYPE.matcher(type).matches()) {
            return type;
        }
        warnings.add("token_type (" + type.length() + " characters) is not a usable token type: Bearer is stored");
        return "Bearer";
    }

    private Duration readExpiresIn() {
        JsonNode node = json.get("expires_in");
        if (node == null || node.isNull()) {
            return null;
        }
        BigDecimal seconds = number(node);
        if (seconds == null) {
            warnings.add("expires_in is not a number: the expiry is unknown");
            return null;
        }
        if (seconds.signum() < 0) {
            warnings.add("expires_in is negative: the expiry is unknown");
            return null;
        }
        if (seconds.compareTo(MAX_LIFETIME_SECONDS) > 0) {
            warnings.add("expires_in is longer than the " + MAX_LIFETIME.toDays() + "-day maximum: cut to "
                    + MAX_LIFETIME.toDays() + " days");
            return MAX_LIFETIME;
        }
        // A fraction is cut: never later than the vendor meant.
        Duration lifetime = Duration.ofSeconds(seconds.longValue());
        if (lifetime.compareTo(MIN_LIFETIME) < 0) {
            warnings.add("expires_in of " + lifetime.getSeconds() + " s is shorter than the " + MIN_LIFETIME.getSeconds()
                    + " s minimum: " + MIN_LIFETIME.getSeconds() + " s is used");
            return MIN_LIFETIME;
        }
        return lifetime;
    }

    private Instant readCreatedAt() {
        JsonNode node = json.get("created_at");
        if (node == null || node.isNull()) {
            return null;
        }
        BigDecimal seconds = number(node);
        if (seconds != null && seconds.abs().compareTo(MAX_EPOCH_SECONDS) <= 0) {
            return Instant.ofEpochSecond(seconds.longValue());
        }
        if (seconds == null && node.isTextual()) {
            try {
                // Whole seconds, as epoch seconds are read.
                return ZonedDateTime.parse(node.asText().trim(), DateTimeFormatter.ISO_DATE_TIME).toInstant()
                        .truncatedTo(ChronoUnit.SECONDS);
            } catch (DateTimeParseException e) {
                // unreadable: ignored below
            }
        }
        warnings.add("created_at is neither epoch seconds nor an ISO-8601 time with an offset: ignored, the"
                + " request's start is used");
        return null;
    }

    /** The node as a decimal number (a JSON number or a numeric string); null when it is neither. */
    private static BigDecimal number(JsonNode node) {
        if (node.isIntegralNumber()) {
            return new BigDecimal(node.bigIntegerValue());
        }
        if (node.isNumber()) {
            double value = node.doubleValue();
            if (Double.isNaN(value)) {
                return null;
            }
            if (Double.isInfinite(value)) {
                // 1e400: past a double's range, but a number, and only its sign matters here.
                return value > 0 ? BEYOND_DOUBLE : BEYOND_DOUBLE.negate();
            }
            return node.decimalValue();
        }
        if (node.isTextual()) {
            String text = node.asText().trim();
            if (text.length() <= 400 && DECIMAL.matcher(text).matches()) {
                return new BigDecimal(text);
            }
        }
        return null;
    }

    private String text(String name) {
        JsonNode node = json.get(name);
        return node == null || node.isNull() ? null : asText(node);
    }

    private static String asText(JsonNode node) {
        return node.isValueNode() ? node.asText() : node.toString();
    }
}
