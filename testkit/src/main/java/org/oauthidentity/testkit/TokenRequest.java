package org.oauthidentity.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import mockwebserver3.RecordedRequest;

/**
 * One request the fake's token endpoint received, as the client sent it, so a test can check a vendor's
 * request shape: the form fields in order, whether HTTP Basic (or any {@code Authorization} header) went
 * along, and the values of fields that are no secret. Secrets are only compared ({@link #sent}), never
 * returned for printing: {@link #toString()} names the fields, never a value, so a failing assertion cannot
 * put a token or a client secret into test output.
 *
 * <p>Immutable and thread-safe. Obtained from {@link FakeAuthorizationServer#tokenRequestsSeen()}.
 */
public final class TokenRequest {
    private final String url;
    private final List<Map.Entry<String, String>> form;
    private final boolean authorizationHeader;
    private final boolean basic;

    private TokenRequest(String url, List<Map.Entry<String, String>> form, boolean authorizationHeader,
                         boolean basic) {
        this.url = url;
        this.form = form;
        this.authorizationHeader = authorizationHeader;
        this.basic = basic;
    }

    static TokenRequest of(RecordedRequest request, Form form) {
        return of(request.getUrl().toString(), form.sent(), request.getHeaders().get("Authorization"));
    }

    /** {@code authorization}: the Authorization header's value, or null when none was sent. */
    static TokenRequest of(String url, List<Map.Entry<String, String>> form, String authorization) {
        return new TokenRequest(url, List.copyOf(form), authorization != null,
                Http.basicCredentials(authorization) != null);
    }

    /** The URL the request was sent to, as this server received it. */
    public String url() {
        return url;
    }

    /** The form's field names in the order sent, a field sent twice named twice; empty for no form. */
    public List<String> fieldNames() {
        List<String> names = new ArrayList<>(form.size());
        form.forEach(field -> names.add(field.getKey()));
        return List.copyOf(names);
    }

    /**
     * The value of a field that is no secret (grant type, client id, redirect URI, scope): the first one sent,
     * or null when the field was not sent. For tokens and secrets use {@link #sent}.
     */
    public String field(String name) {
        Objects.requireNonNull(name, "name");
        return form.stream().filter(f -> f.getKey().equals(name)).map(Map.Entry::getValue).findFirst().orElse(null);
    }

    /**
     * Whether the field was sent carrying exactly {@code value} (each time, if it was sent more than once).
     * For secrets: the test asserts on a boolean, so a failure never prints the secret.
     */
    public boolean sent(String name, String value) {
        Objects.requireNonNull(name, "name");
        boolean seen = false;
        boolean same = true;
        for (Map.Entry<String, String> field : form) {
            if (field.getKey().equals(name)) {
                seen = true;
                same &= Secrets.constantTimeEquals(field.getValue(), value);
            }
        }
        return seen && same;
    }

    /** The {@code grant_type} as sent (the first, if sent twice); empty when none or empty was sent. */
    public Optional<String> grantType() {
        return Optional.ofNullable(field("grant_type")).filter(g -> !g.isEmpty());
    }

    /** Whether the client authenticated with HTTP Basic: an {@code Authorization: Basic ...} header. */
    public boolean usedBasicAuthentication() {
        return basic;
    }

    /** Whether any {@code Authorization} header was sent (Basic or another scheme). */
    public boolean sentAuthorizationHeader() {
        return authorizationHeader;
    }

    /** Field names and the authentication used; never a value or the URL's query. */
    @Override
    public String toString() {
        return "TokenRequest" + fieldNames()
                + (basic ? " with Basic authentication" : authorizationHeader ? " with an Authorization header" : "");
    }
}
