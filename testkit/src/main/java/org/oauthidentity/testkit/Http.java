package org.oauthidentity.testkit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import mockwebserver3.MockResponse;

/** Small HTTP pieces shared by the endpoints. */
final class Http {
    private Http() {
    }

    /** A JSON answer, uncacheable as RFC 6749 §5.1 requires of token responses. */
    static MockResponse json(int status, ObjectNode body) {
        return new MockResponse.Builder()
                .code(status)
                .setHeader("Content-Type", "application/json; charset=utf-8")
                .setHeader("Cache-Control", "no-store")
                .setHeader("Pragma", "no-cache")
                .body(body.toString())
                .build();
    }

    static MockResponse text(int status, String contentType, String body) {
        return new MockResponse.Builder()
                .code(status)
                .setHeader("Content-Type", contentType)
                .body(body)
                .build();
    }

    /**
     * The client id and secret of an HTTP Basic header, each form-decoded (RFC 6749 §2.3.1); null when the
     * header is absent or not Basic, a pair with nulls when it is Basic but malformed.
     */
    static String[] basicCredentials(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            return null;
        }
        try {
            String decoded = new String(Base64.getDecoder().decode(authorization.substring(6).trim()),
                    StandardCharsets.UTF_8);
            int colon = decoded.indexOf(':');
            if (colon < 0) {
                return new String[] {null, null};
            }
            return new String[] {
                URLDecoder.decode(decoded.substring(0, colon), StandardCharsets.UTF_8),
                URLDecoder.decode(decoded.substring(colon + 1), StandardCharsets.UTF_8)};
        } catch (IllegalArgumentException e) {
            return new String[] {null, null};
        }
    }

    /** The token of an {@code Authorization: Bearer} header (scheme case-insensitive), or null. */
    static String bearerToken(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String token = authorization.substring(7).trim();
        return token.isEmpty() ? null : token;
    }

    /** Appends query parameters to a redirect URI of any scheme (custom app schemes included). */
    static String withQuery(String uri, Map<String, String> parameters) {
        StringBuilder sb = new StringBuilder(uri);
        char separator = uri.indexOf('?') < 0 ? '?' : '&';
        for (Map.Entry<String, String> p : parameters.entrySet()) {
            if (p.getValue() == null) {
                continue;
            }
            sb.append(separator).append(URLEncoder.encode(p.getKey(), StandardCharsets.UTF_8))
                    .append('=').append(URLEncoder.encode(p.getValue(), StandardCharsets.UTF_8));
            separator = '&';
        }
        return sb.toString();
    }
}
