package org.oauthidentity.providers.gitlab;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import org.oauthidentity.Identity;

/** What GitLab (Doorkeeper underneath) answers, as captured from GitLab.com and older self-managed GitLab. */
final class GitLabFixtures {
    static final String CLIENT_ID = "c3f1a9e2b7d64f0a8e5b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f";
    static final String CLIENT_SECRET = "gloas-9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c";
    static final String REDIRECT_URI = "https://sentry.example.com/extensions/gitlab/setup/";

    static final String OLD_ACCESS_TOKEN = "123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    static final String OLD_REFRESH_TOKEN = "0987654321fedcba0987654321fedcba0987654321fedcba0987654321fedcba";
    static final String NEW_ACCESS_TOKEN = "de6780bc506a0446309bd9362820ba8aed28aa506c71eedbe1c5c4f9dd350e54";
    static final String NEW_REFRESH_TOKEN = "8257e65c97202ed1726cf9571600918f3bffb2544b26e00a61df9897668c33a1";

    /** The test's "now"; GitLab's created_at in the responses is a few seconds off, as real clocks are. */
    static final Instant NOW = Instant.parse("2024-05-14T09:30:00Z");
    static final long CREATED_AT = NOW.getEpochSecond() - 3;
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    /** GitLab 15.0 and later: tokens expire after two hours. */
    static final String CURRENT_GITLAB_TOKEN = "{\"access_token\":\"" + NEW_ACCESS_TOKEN + "\",\"token_type\":\"Bearer\","
            + "\"expires_in\":7200,\"refresh_token\":\"" + NEW_REFRESH_TOKEN + "\",\"scope\":\"api read_user\","
            + "\"created_at\":" + CREATED_AT + "}";

    /** Before GitLab 15.0 (the payload of an old instance): no expires_in, lowercase token type. */
    static final String OLD_GITLAB_TOKEN = "{\"access_token\":\"" + NEW_ACCESS_TOKEN + "\",\"token_type\":\"bearer\","
            + "\"refresh_token\":\"" + NEW_REFRESH_TOKEN + "\",\"created_at\":" + CREATED_AT + ",\"scope\":\"api\"}";

    static final String INVALID_GRANT = "{\"error\":\"invalid_grant\",\"error_description\":\"The provided authorization "
            + "grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, "
            + "or was issued to another client.\"}";
    static final String INVALID_CLIENT = "{\"error\":\"invalid_client\",\"error_description\":\"Client authentication "
            + "failed due to unknown client, no client authentication included, or unsupported authentication method.\"}";
    static final String INVALID_REQUEST = "{\"error\":\"invalid_request\",\"error_description\":\"The request is missing "
            + "a required parameter, includes an unsupported parameter value, or is otherwise malformed.\"}";

    private GitLabFixtures() {
    }

    static GitLabProvider.Builder provider(String baseUrl) {
        return GitLabProvider.builder()
                .baseUrl(baseUrl)
                .clientId(CLIENT_ID)
                .clientSecret(CLIENT_SECRET)
                .redirectUri(REDIRECT_URI)
                .clock(CLOCK);
    }

    /** A linked GitLab account whose access token GitLab no longer accepts. */
    static Identity.Builder identity() {
        return Identity.builder()
                .id("identity-1")
                .providerKey(GitLabProvider.DEFAULT_PROVIDER_KEY)
                .externalUserId("gitlab123")
                .accessToken(OLD_ACCESS_TOKEN)
                .refreshToken(OLD_REFRESH_TOKEN)
                .tokenType("Bearer")
                .expiresAt(NOW.minusSeconds(60))
                .scopes(java.util.List.of("api"))
                .version(4);
    }

    static MockResponse json(int code, String body) {
        MockResponse.Builder response = new MockResponse.Builder()
                .code(code)
                .addHeader("Content-Type", "application/json; charset=utf-8")
                .addHeader("Cache-Control", "no-store")
                .body(body);
        if (code == 401) {
            response.addHeader("WWW-Authenticate", "Bearer realm=\"Doorkeeper\"");
        }
        return response.build();
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
