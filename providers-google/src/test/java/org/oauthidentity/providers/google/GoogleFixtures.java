package org.oauthidentity.providers.google;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.oauthidentity.Identity;

/** What oauth2.googleapis.com answers, with the shapes and texts Google sends. */
final class GoogleFixtures {
    static final String CLIENT_ID = "407408718192-8mdq5b0v1eh8sg6vkh3ua2fjrt0nd7qk.apps.googleusercontent.com";
    static final String CLIENT_SECRET = "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";

    static final String ACCESS_TOKEN = "ya29.a0AfB_byDold9aPq2LmN3oR4sT5uV6wX7yZ8aB9cD0eF1gH2iJ3kL4mN5oP6qR7sT8uV";
    static final String REFRESH_TOKEN = "1//0gLxWq3nY8pRzCgYIARAAGBASNwF-L9IrK2mT7vX4bN6cQ1dE5fH8jG0kS3uW9yZ";
    static final String NEW_ACCESS_TOKEN = "ya29.a0AfB_byCnew7bQ3mN4oP5qR6sT7uV8wX9yZ0aB1cD2eF3gH4iJ5kL6mN7oP8qR9s";
    static final String ID_TOKEN = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjZmOTc3N2E2ODU5MDc3OThlZjc5NDA2MmMwMGI2NWQ2NmMyNDBiMWIiLCJ0eXAiOiJKV1QifQ"
            + ".eyJpc3MiOiJodHRwczovL2FjY291bnRzLmdvb2dsZS5jb20iLCJzdWIiOiIxMTAxNjk0ODQ0NzQzODYyNzYzMzQifQ.c2lnbmF0dXJl";

    static final Instant NOW = Instant.parse("2024-05-14T09:30:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    static final String SCOPE = "openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/drive.readonly";

    /** A refresh with OpenID scopes granted: no refresh_token (Google does not rotate), an id_token. */
    static final String TOKEN = "{\n  \"access_token\": \"" + NEW_ACCESS_TOKEN + "\",\n  \"expires_in\": 3599,\n"
            + "  \"scope\": \"" + SCOPE + "\",\n  \"token_type\": \"Bearer\",\n  \"id_token\": \"" + ID_TOKEN + "\"\n}";

    /** A refresh without OpenID scopes. */
    static final String TOKEN_WITHOUT_ID_TOKEN = "{\n  \"access_token\": \"" + NEW_ACCESS_TOKEN + "\",\n"
            + "  \"expires_in\": 3599,\n  \"scope\": \"https://www.googleapis.com/auth/drive.readonly\",\n"
            + "  \"token_type\": \"Bearer\"\n}";

    private GoogleFixtures() {
    }

    /** A provider whose token and revocation endpoints are the loopback server's. */
    static GoogleProvider.Builder provider(MockWebServer google) {
        return GoogleProvider.builder()
                .clientId(CLIENT_ID)
                .clientSecret(CLIENT_SECRET)
                .tokenUrl(google.url("/token").toString())
                .revocationUrl(google.url("/revoke").toString())
                .clock(CLOCK);
    }

    static Identity.Builder identity() {
        return Identity.builder()
                .id("identity-7")
                .providerKey(GoogleProvider.DEFAULT_PROVIDER_KEY)
                .externalUserId("110169484474386276334")
                .accessToken(ACCESS_TOKEN)
                .refreshToken(REFRESH_TOKEN)
                .expiresAt(NOW.minusSeconds(30))
                .scopes(List.of("openid", "https://www.googleapis.com/auth/drive.readonly"))
                .version(2);
    }

    /** Google's token endpoint error: {"error": ..., "error_description": ...} as JSON. */
    static MockResponse json(int code, String body) {
        return new MockResponse.Builder()
                .code(code)
                .addHeader("Content-Type", "application/json; charset=utf-8")
                .addHeader("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate")
                .addHeader("Server", "scaffolding on HTTPServer2")
                .body(body)
                .build();
    }

    static String error(String error, String description) {
        return "{\n  \"error\": \"" + error + "\",\n  \"error_description\": \"" + description + "\"\n}";
    }

    /** The form fields of a recorded request, in order; a field sent twice fails the test. */
    static Map<String, String> form(RecordedRequest request) {
        Map<String, String> form = new LinkedHashMap<>();
        String body = request.getBody() == null ? "" : request.getBody().utf8();
        for (String pair : body.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            if (form.put(name, value) != null) {
                throw new AssertionError("form field sent twice: " + name);
            }
        }
        return form;
    }
}
