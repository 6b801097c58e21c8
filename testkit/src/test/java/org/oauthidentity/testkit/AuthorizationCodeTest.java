package org.oauthidentity.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.testing.ManualClock;
import org.oauthidentity.testkit.FakeAuthorizationServer.Dialect;

/**
 * The authorization code is single-use, bound to its client and redirect URI, short-lived and, with PKCE,
 * bound to the verifier (RFC 6749 §4.1, RFC 7636).
 */
class AuthorizationCodeTest {
    private static final String CALLBACK = "https://app.example.test/callback";
    private static final String OTHER_CALLBACK = "https://app.example.test/other-callback";
    /** RFC 7636 Appendix B: a verifier and its S256 challenge, computed independently of the fake. */
    private static final String VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    private static final String CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    private final ManualClock clock = ManualClock.at("2025-03-01T10:00:00Z");
    private FakeAuthorizationServer server;

    @BeforeEach
    void start() throws Exception {
        server = FakeAuthorizationServer.builder().clock(clock)
                .client("web-app", "web-app-secret-0123456789")
                .additionalClient("other-app", "other-app-secret-0123456789")
                .redirectUris(CALLBACK, OTHER_CALLBACK)
                .start();
    }

    @AfterEach
    void stop() {
        server.verifyNoInternalFailures();
        server.close();
    }

    @Test
    void exchangesACodeForTokensThatWork() throws Exception {
        String code = server.approve("alice", "web-app", CALLBACK, null, "read", "write");

        Wire.Answer answer = exchange("web-app", code, CALLBACK, null);

        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.field("token_type")).isEqualTo("Bearer");
        assertThat(answer.json().get("expires_in").asLong()).isEqualTo(3600);
        assertThat(answer.field("scope")).isEqualTo("read write");
        assertThat(answer.field("refresh_token")).isNotBlank();
        assertThat(Wire.get(server.apiUrl("/user"), answer.field("access_token")).field("id")).isEqualTo("alice");
        assertThat(server.tokenRequests("authorization_code")).isEqualTo(1);
    }

    @Test
    void rejectsAReusedCodeAndRevokesTheTokensItIssued() throws Exception {
        String code = server.approve("alice", "web-app", CALLBACK, null, "read");
        Wire.Answer first = exchange("web-app", code, CALLBACK, null);

        Wire.Answer second = exchange("web-app", code, CALLBACK, null);

        assertThat(first.status()).isEqualTo(200);
        assertThat(second.status()).isEqualTo(400);
        assertThat(second.field("error")).isEqualTo("invalid_grant");
        assertThat(server.reusedCodes()).isEqualTo(1);
        // RFC 6749 §4.1.2: a replayed code suggests it was stolen; what it issued is revoked.
        assertThat(Wire.get(server.apiUrl("/user"), first.field("access_token")).status()).isEqualTo(401);
        assertThat(refresh("web-app", first.field("refresh_token")).field("error")).isEqualTo("invalid_grant");
    }

    @Test
    void rejectsACodeWithAnotherRedirectUriAndKeepsItForTheRightOne() throws Exception {
        String code = server.approve("alice", "web-app", CALLBACK, null, "read");

        Wire.Answer wrong = exchange("web-app", code, OTHER_CALLBACK, null);
        Wire.Answer missing = exchange("web-app", code, null, null);
        Wire.Answer right = exchange("web-app", code, CALLBACK, null);

        assertThat(wrong.status()).isEqualTo(400);
        assertThat(wrong.field("error")).isEqualTo("invalid_grant");
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.field("error")).isEqualTo("invalid_request");
        assertThat(right.status()).isEqualTo(200);
    }

    @Test
    void rejectsACodePresentedByAnotherClient() throws Exception {
        String code = server.approve("alice", "web-app", CALLBACK, null, "read");

        Wire.Answer stolen = exchange("other-app", code, CALLBACK, null);
        Wire.Answer own = exchange("web-app", code, CALLBACK, null);

        assertThat(stolen.status()).isEqualTo(400);
        assertThat(stolen.field("error")).isEqualTo("invalid_grant");
        assertThat(own.status()).isEqualTo(200);
    }

    @Test
    void rejectsACodeOlderThanTenMinutes() throws Exception {
        String fresh = server.approve("alice", "web-app", CALLBACK, null, "read");
        String stale = server.approve("bob", "web-app", CALLBACK, null, "read");

        clock.advance(Duration.ofMinutes(10).minusSeconds(1));
        Wire.Answer justInTime = exchange("web-app", fresh, CALLBACK, null);
        clock.advance(Duration.ofSeconds(1));
        Wire.Answer tooLate = exchange("web-app", stale, CALLBACK, null);

        assertThat(justInTime.status()).isEqualTo(200);
        assertThat(tooLate.status()).isEqualTo(400);
        assertThat(tooLate.field("error")).isEqualTo("invalid_grant");
        assertThat(tooLate.field("error_description")).contains("expired");
    }

    @Test
    void checksThePkceVerifierAgainstTheChallenge() throws Exception {
        String code = server.approve("alice", "web-app", CALLBACK, CHALLENGE, "read");

        Wire.Answer noVerifier = exchange("web-app", code, CALLBACK, null);
        Wire.Answer wrongVerifier = exchange("web-app", code, CALLBACK, VERIFIER.replace('d', 'e'));
        Wire.Answer rightVerifier = exchange("web-app", code, CALLBACK, VERIFIER);

        assertThat(noVerifier.status()).isEqualTo(400);
        assertThat(noVerifier.field("error")).isEqualTo("invalid_grant");
        assertThat(wrongVerifier.status()).isEqualTo(400);
        assertThat(wrongVerifier.field("error")).isEqualTo("invalid_grant");
        assertThat(rightVerifier.status()).isEqualTo(200);
    }

    @Test
    void rejectsAVerifierForACodeIssuedWithoutChallenge() throws Exception {
        String code = server.approve("alice", "web-app", CALLBACK, null, "read");

        Wire.Answer answer = exchange("web-app", code, CALLBACK, VERIFIER);

        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.field("error")).isEqualTo("invalid_grant");
    }

    @Test
    void authorizeEndpointRedirectsWithCodeAndStateForTheSignedInUser() throws Exception {
        server.signIn("alice");

        Wire.Answer redirect = Wire.get(authorizeUrl("web-app", CALLBACK, "st-123", CHALLENGE), null);
        HttpUrl location = HttpUrl.get(redirect.headers().get("Location"));
        Wire.Answer tokens = exchange("web-app", location.queryParameter("code"), CALLBACK, VERIFIER);

        assertThat(redirect.status()).isEqualTo(302);
        assertThat(location.toString()).startsWith(CALLBACK + "?");
        assertThat(location.queryParameter("state")).isEqualTo("st-123");
        assertThat(tokens.status()).isEqualTo(200);
        assertThat(tokens.field("scope")).isEqualTo("read write");
        assertThat(Wire.get(server.apiUrl("/user"), tokens.field("access_token")).field("id")).isEqualTo("alice");
        assertThat(server.authorizations()).isEqualTo(1);
    }

    @Test
    void authorizeEndpointAnswersAccessDeniedWhenTheUserDenies() throws Exception {
        server.signIn("alice");
        server.denyConsent("alice");

        Wire.Answer redirect = Wire.get(authorizeUrl("web-app", CALLBACK, "st-9", null), null);
        HttpUrl location = HttpUrl.get(redirect.headers().get("Location"));

        assertThat(redirect.status()).isEqualTo(302);
        assertThat(location.queryParameter("error")).isEqualTo("access_denied");
        assertThat(location.queryParameter("state")).isEqualTo("st-9");
        assertThat(location.queryParameter("code")).isNull();
        assertThat(server.authorizations()).isZero();
    }

    @Test
    void authorizeEndpointActsForTheLoginHintAndDeniesASuspendedUser() throws Exception {
        server.signIn("alice");
        server.suspendUser("bob");

        HttpUrl forCarol = HttpUrl.get(Wire.get(authorizeUrl("web-app", CALLBACK, "s", null)
                + "&login_hint=carol", null).headers().get("Location"));
        HttpUrl forBob = HttpUrl.get(Wire.get(authorizeUrl("web-app", CALLBACK, "s", null)
                + "&login_hint=bob", null).headers().get("Location"));
        HttpUrl blankHint = HttpUrl.get(Wire.get(authorizeUrl("web-app", CALLBACK, "s", null)
                + "&login_hint=", null).headers().get("Location"));
        Wire.Answer carolsTokens = exchange("web-app", forCarol.queryParameter("code"), CALLBACK, null);

        assertThat(Wire.get(server.apiUrl("/user"), carolsTokens.field("access_token")).field("id")).isEqualTo("carol");
        assertThat(forBob.queryParameter("error")).isEqualTo("access_denied");
        assertThat(blankHint.queryParameter("code")).as("a blank hint means the signed-in user").isNotNull();
    }

    @Test
    void authorizeEndpointNeverRedirectsToAnUnregisteredUriOrForAnUnknownClient() throws Exception {
        server.signIn("alice");

        Wire.Answer evil = Wire.get(authorizeUrl("web-app", "https://evil.example/steal", "s", null), null);
        Wire.Answer unknown = Wire.get(authorizeUrl("no-such-app", CALLBACK, "s", null), null);

        assertThat(evil.status()).isEqualTo(400);
        assertThat(evil.headers().get("Location")).isNull();
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.headers().get("Location")).isNull();
    }

    @Test
    void googleWordsARedirectMismatchItsOwnWay() throws Exception {
        try (FakeAuthorizationServer google = FakeAuthorizationServer.builder().dialect(Dialect.GOOGLE).clock(clock)
                .redirectUris(CALLBACK, OTHER_CALLBACK).start()) {
            String code = google.approve("alice", google.clientId(), CALLBACK, null, "openid", "email");

            Wire.Answer wrong = Wire.post(google.tokenUrl(), Wire.form("grant_type", "authorization_code",
                    "code", code, "redirect_uri", OTHER_CALLBACK,
                    "client_id", google.clientId(), "client_secret", google.clientSecret()));
            Wire.Answer right = Wire.post(google.tokenUrl(), Wire.form("grant_type", "authorization_code",
                    "code", code, "redirect_uri", CALLBACK,
                    "client_id", google.clientId(), "client_secret", google.clientSecret()));

            assertThat(wrong.status()).isEqualTo(400);
            assertThat(wrong.field("error")).isEqualTo("redirect_uri_mismatch");
            assertThat(right.status()).isEqualTo(200);
            assertThat(right.field("refresh_token")).as("the first exchange issues one").isNotBlank();
            assertThat(right.field("id_token")).isNotBlank();
        }
    }

    private String authorizeUrl(String clientId, String redirectUri, String state, String challenge) {
        HttpUrl.Builder url = HttpUrl.get(server.authorizeUrl()).newBuilder()
                .addQueryParameter("response_type", "code")
                .addQueryParameter("client_id", clientId)
                .addQueryParameter("redirect_uri", redirectUri)
                .addQueryParameter("scope", "read write")
                .addQueryParameter("state", state);
        if (challenge != null) {
            url.addQueryParameter("code_challenge", challenge).addQueryParameter("code_challenge_method", "S256");
        }
        return url.build().toString();
    }

    private Wire.Answer exchange(String clientId, String code, String redirectUri, String verifier) throws Exception {
        Map<String, String> form = Wire.form("grant_type", "authorization_code", "code", code);
        if (redirectUri != null) {
            form.put("redirect_uri", redirectUri);
        }
        if (verifier != null) {
            form.put("code_verifier", verifier);
        }
        return Wire.postBasic(server.tokenUrl(), clientId, clientId + "-secret-0123456789", form);
    }

    private Wire.Answer refresh(String clientId, String refreshToken) throws Exception {
        return Wire.postBasic(server.tokenUrl(), clientId, clientId + "-secret-0123456789",
                Wire.form("grant_type", "refresh_token", "refresh_token", refreshToken));
    }
}
