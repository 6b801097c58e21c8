package org.oauthidentity.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import okhttp3.OkHttpClient;
import okhttp3.Response;
import okio.Buffer;
import okio.BufferedSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.oauthidentity.testing.ManualClock;
import org.oauthidentity.testkit.FakeAuthorizationServer.Dialect;
import org.oauthidentity.testkit.FakeAuthorizationServer.Fault;

/**
 * Faults that answer (or start to answer) a token request, seen over real HTTP with a plain OkHttp client:
 * what the client receives, and whether the server processed the request (the presented refresh token was
 * rotated away) before the fault showed. Assertions compare tokens as booleans, so a failure never prints one.
 */
class AnswerFaultTest {
    private final ManualClock clock = ManualClock.at("2025-03-01T10:00:00Z");
    private FakeAuthorizationServer server;
    private String refreshToken;

    @BeforeEach
    void start() throws Exception {
        server = FakeAuthorizationServer.builder().dialect(Dialect.GENERIC).clock(clock).start();
        refreshToken = server.issueIdentity("alice", "read").refreshToken().orElseThrow();
    }

    @AfterEach
    void stop() {
        server.verifyNoInternalFailures();
        server.close();
    }

    static Stream<Arguments> rewrittenFields() {
        return Stream.of(
                Arguments.of("expires_in", "-1"),
                Arguments.of("expires_in", "\"3600s\""),
                Arguments.of("expires_in", "1e400"),
                Arguments.of("expires_in", "\"99999999999999\""),
                Arguments.of("expires_in", "0"),
                Arguments.of("created_at", "\"2026-11-30T10:00:00Z\""),
                Arguments.of("token_type", "\"" + "x".repeat(80) + "\""),
                Arguments.of("access_token", "\"abc\\r\\nX-Injected: 1\""));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @MethodSource("rewrittenFields")
    void aRewrittenFieldGoesOnTheWireAsWrittenAfterTheServerRotated(String name, String rawJson) throws Exception {
        server.failNextTokenRequests(1, Fault.tokenField(name, rawJson));

        Wire.Answer answer = refresh(refreshToken);

        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.body().contains('"' + name + "\":" + rawJson))
                .as("%s is sent as the raw JSON text the test gave", name).isTrue();
        assertThat(answer.headers().get("X-Injected")).isNull();
        String rotated = answer.field("refresh_token");
        assertThat(rotated).as("the answer still carries the new refresh token").isNotNull();
        assertThat(rotated.equals(refreshToken)).as("rotated").isFalse();
        assertRotatedAway(refreshToken);
        assertThat(refresh(rotated).status()).as("the new refresh token works").isEqualTo(200);
    }

    @Test
    void anInjectedLineBreakArrivesAsPartOfTheJsonString() throws Exception {
        server.failNextTokenRequests(1, Fault.tokenField("access_token", "\"abc\\r\\nX-Injected: 1\""));

        Wire.Answer answer = refresh(refreshToken);

        assertThat(answer.field("access_token")).isEqualTo("abc\r\nX-Injected: 1");
    }

    @Test
    void aRemovedRefreshTokenIsLostWithTheRotation() throws Exception {
        server.failNextTokenRequests(1, Fault.tokenFieldRemoved("refresh_token"));

        Wire.Answer answer = refresh(refreshToken);

        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.has("refresh_token")).isFalse();
        assertThat(answer.has("access_token")).isTrue();
        assertRotatedAway(refreshToken);
    }

    @Test
    void aRemovedAccessTokenStillRotates() throws Exception {
        server.failNextTokenRequests(1, Fault.tokenFieldRemoved("access_token"));

        Wire.Answer answer = refresh(refreshToken);

        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.has("access_token")).isFalse();
        assertThat(refresh(answer.field("refresh_token")).status()).isEqualTo(200);
        assertRotatedAway(refreshToken);
    }

    @Test
    void aRawValueMustBeOneJsonValueAndIsNeverEchoed() {
        assertThatThrownBy(() -> Fault.tokenField("expires_in", "3600s"))
                .isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("3600s"));
        assertThatThrownBy(() -> Fault.tokenField("expires_in", "1 2")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Fault.tokenField("expires_in", "")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Fault.tokenField("access_token", "\"a\r\nb\""))
                .as("a raw line break is not JSON; the escaped one is").isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void faultsNameTheFieldButNeverPrintATokenValue() {
        assertThat(Fault.tokenField("expires_in", "-1")).hasToString("Fault{200 with expires_in = -1}");
        assertThat(Fault.tokenField("access_token", "\"abc\\r\\nX-Injected: 1\"").toString())
                .contains("access_token").doesNotContain("abc");
        assertThat(Fault.tokenField("refresh_token", "\"rt-secret\"").toString()).doesNotContain("rt-secret");
        assertThat(Fault.tokenFieldRemoved("refresh_token")).hasToString("Fault{200 without refresh_token}");
        assertThat(Fault.unauthorizedChallenge()).hasToString("Fault{401 challenge, text/html; charset=utf-8 body}");
        assertThat(Fault.drip(16, Duration.ofMillis(20))).hasToString("Fault{drip 16 bytes per PT0.02S}");
        assertThat(Fault.truncatedBody()).hasToString("Fault{truncated body}");
    }

    static Stream<Arguments> challenges() {
        return Stream.of(
                Arguments.of(Fault.unauthorizedChallenge(), "text/html; charset=utf-8", "401 Authorization Required"),
                Arguments.of(Fault.unauthorizedChallenge("text/plain", "Unauthorized"), "text/plain", "Unauthorized"),
                Arguments.of(Fault.unauthorizedChallenge("application/json", ""), "application/json", ""),
                Arguments.of(Fault.unauthorizedChallenge(null, ""), null, ""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("challenges")
    void anUnauthorizedChallengeIsNotProcessed(Fault fault, String contentType, String bodyPart) throws Exception {
        server.failNextTokenRequests(1, fault);

        Wire.Answer answer = refresh(refreshToken);

        assertThat(answer.status()).isEqualTo(401);
        assertThat(answer.headers().get("WWW-Authenticate")).isEqualTo("Basic realm=\"token\"");
        assertThat(answer.headers().get("Content-Type")).isEqualTo(contentType);
        assertThat(answer.json()).as("no structured error").isNull();
        if (bodyPart.isEmpty()) {
            assertThat(answer.body()).isEmpty();
        } else {
            assertThat(answer.body()).contains(bodyPart);
        }
        assertThat(refresh(refreshToken).status()).as("the refresh token is still current").isEqualTo(200);
        assertThat(server.reusedRefreshTokens()).isZero();
    }

    @Test
    void aDrippedBodyArrivesWholeInPiecesAfterTheServerRotated() throws Exception {
        server.failNextTokenRequests(1, Fault.drip(16, Duration.ofMillis(20)));

        int reads = 0;
        Buffer received = new Buffer();
        try (Response response = Wire.CLIENT.newCall(refreshRequest(refreshToken)).execute()) {
            assertThat(response.code()).isEqualTo(200);
            long length = Long.parseLong(response.header("Content-Length"));
            BufferedSource source = response.body().source();
            while (source.read(received, 8192) != -1) {
                reads++;
            }
            assertThat(received.size()).isEqualTo(length);
        }

        assertThat(reads).as("the body came in several pieces").isGreaterThan(1);
        String rotated = DialectRules.JSON.readTree(received.readUtf8()).get("refresh_token").asText();
        assertRotatedAway(refreshToken);
        assertThat(refresh(rotated).status()).isEqualTo(200);
    }

    @Test
    void aDripOutlastsACallTimeoutThatNoReadTimeoutCatches() throws Exception {
        // Each byte comes 100x sooner than the read timeout; the whole body takes 30x the call timeout.
        OkHttpClient client = Wire.CLIENT.newBuilder()
                .readTimeout(Duration.ofSeconds(5))
                .callTimeout(Duration.ofMillis(300))
                .build();
        server.failNextTokenRequests(1, Fault.drip(1, Duration.ofMillis(50)));

        assertThatThrownBy(() -> {
            try (Response response = client.newCall(refreshRequest(refreshToken)).execute()) {
                response.body().string();
            }
        }).isInstanceOf(InterruptedIOException.class);

        assertRotatedAway(refreshToken);
    }

    @Test
    void aTruncatedBodyFailsTheReadAfterTheServerRotated() throws Exception {
        server.failNextTokenRequests(1, Fault.truncatedBody());

        Buffer received = new Buffer();
        try (Response response = Wire.CLIENT.newCall(refreshRequest(refreshToken)).execute()) {
            assertThat(response.code()).isEqualTo(200);
            assertThat(response.header("Content-Type")).startsWith("application/json");
            long length = Long.parseLong(response.header("Content-Length"));
            BufferedSource source = response.body().source();

            assertThatThrownBy(() -> {
                while (source.read(received, 8192) != -1) {
                    // read until the cut
                }
            }).isInstanceOf(IOException.class);

            assertThat(received.size()).as("about half of %s bytes arrived", length)
                    .isBetween(1L, length - 1);
        }

        assertRotatedAway(refreshToken);
        assertThat(server.faultsServed()).isEqualTo(1);
    }

    /** The presented refresh token was rotated away: it answers invalid_grant, counted as a reuse. */
    private void assertRotatedAway(String oldRefreshToken) throws IOException {
        long reusedBefore = server.reusedRefreshTokens();
        Wire.Answer reuse = refresh(oldRefreshToken);
        assertThat(reuse.status()).isEqualTo(400);
        assertThat(reuse.field("error")).isEqualTo("invalid_grant");
        assertThat(server.reusedRefreshTokens()).isEqualTo(reusedBefore + 1);
    }

    private Wire.Answer refresh(String token) throws IOException {
        return Wire.post(server.tokenUrl(), refreshForm(token));
    }

    private okhttp3.Request refreshRequest(String token) {
        return Wire.formPost(server.tokenUrl(), refreshForm(token));
    }

    private Map<String, String> refreshForm(String token) {
        return Wire.form("grant_type", "refresh_token", "refresh_token", token,
                "client_id", server.clientId(), "client_secret", server.clientSecret());
    }
}
