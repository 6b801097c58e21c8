package org.oauthidentity.oauth2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockResponseBody;
import mockwebserver3.MockWebServer;
import okhttp3.OkHttpClient;
import okio.BufferedSink;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.RefreshException;
import org.oauthidentity.RefreshOutcomeUnknownException;
import org.oauthidentity.RefreshRejectedException;
import org.oauthidentity.TokenResponseException;
import org.oauthidentity.TransientRefreshException;
import org.oauthidentity.support.TokenJson;
import org.oauthidentity.testing.ManualClock;

/** Every row of OAuth2Provider's error-mapping table, against a real token endpoint on loopback. */
class OAuth2ProviderErrorMappingTest {
    private static final Instant NOW = Instant.parse("2025-05-05T12:00:00Z");

    private final ManualClock clock = ManualClock.at(NOW);
    private final Identity identity = Identity.builder().id("user-1").providerKey("example")
            .accessToken("access-token-1").refreshToken("refresh-token-1").version(2).build();

    @RegisterExtension
    final TokenEndpoint endpoint = new TokenEndpoint();
    private final MockWebServer server = endpoint.server();
    private OAuth2Provider provider;

    @BeforeEach
    void createProvider() {
        provider = providerFor(endpoint.tokenUrl(), new OkHttpClient());
    }

    // ---- IdentityNotValid: the identity is gone for good -----------------------------------------
    @Test
    void noRefreshTokenFailsWithoutAnyRequest() {
        Identity withoutRefreshToken = identity.toBuilder().refreshToken(null).build();

        IdentityNotValid e = assertThrows(IdentityNotValid.class, () -> provider.refresh(withoutRefreshToken));

        assertThat(server.getRequestCount()).isZero();
        assertThat(e.httpStatus()).isZero();
        assertThat(e.getMessage()).contains("user-1").contains("no refresh token");
    }

    @ParameterizedTest
    @ValueSource(ints = {400, 401})
    void invalidGrant(int status) {
        server.enqueue(TokenJson.error("invalid_grant", "Token has been expired or revoked.").response(status));

        IdentityNotValid e = assertThrows(IdentityNotValid.class, () -> provider.refresh(identity));

        assertThat(e.httpStatus()).isEqualTo(status);
        assertThat(e.error()).contains("invalid_grant");
        assertThat(e.errorDescription()).contains("Token has been expired or revoked.");
        assertThat(e.errorSubtype()).isEmpty();
    }

    @Test
    void invalidGrantWithASubtypeKeepsTheSubtype() {
        server.enqueue(TokenJson.error("invalid_grant", "reauth related error (invalid_rapt)")
                .field("error_uri", "https://support.google.com/a/answer/9368756")
                .field("error_subtype", "invalid_rapt").response(400));

        IdentityNotValid e = assertThrows(IdentityNotValid.class, () -> provider.refresh(identity));

        assertThat(e.error()).contains("invalid_grant");
        assertThat(e.errorSubtype()).contains("invalid_rapt");
    }

    @Test
    void azureDevOpsPascalCaseErrorBody() {
        server.enqueue(TokenJson.json(400, "{\"Error\":\"invalid_grant\",\"ErrorDescription\":\"Refresh token expired\"}"));

        IdentityNotValid e = assertThrows(IdentityNotValid.class, () -> provider.refresh(identity));

        assertThat(e.error()).contains("invalid_grant");
        assertThat(e.errorDescription()).contains("Refresh token expired");
    }

    @Test
    void anErrorObjectSentWithStatus200() {
        server.enqueue(TokenJson.error("invalid_grant", "Bad refresh token").response(200));

        IdentityNotValid e = assertThrows(IdentityNotValid.class, () -> provider.refresh(identity));

        assertThat(e.error()).contains("invalid_grant");
    }

    // ---- configuration error: our client is misconfigured, the identity is fine ------------------
    @ParameterizedTest
    @CsvSource({
        "400, invalid_client", "401, invalid_client",
        "400, unauthorized_client", "401, unauthorized_client",
        "400, deleted_client", "401, deleted_client"})
    void clientErrorsNeverInvalidateTheIdentity(int status, String error) {
        server.enqueue(TokenJson.error(error, "The OAuth client was not found.").response(status));

        RefreshException e = assertThrows(RefreshException.class, () -> provider.refresh(identity));

        assertThat(e).isInstanceOf(ProviderConfigurationException.class).isNotInstanceOf(IdentityNotValid.class);
        assertThat(e.httpStatus()).isEqualTo(status);
        assertThat(e.error()).contains(error);
        assertThat(e.errorDescription()).contains("The OAuth client was not found.");
        assertThat(e.getMessage()).contains("example").contains("client");
    }

    /** RFC 6749 §5.2: 401 is client authentication; only a structured invalid_grant speaks of the identity. */
    @Test
    void unauthorizedWithoutABodyIsOurConfiguration() {
        server.enqueue(new MockResponse.Builder().code(401).build());

        ProviderConfigurationException e = assertThrows(ProviderConfigurationException.class,
                () -> provider.refresh(identity));

        assertThat(e.httpStatus()).isEqualTo(401);
        assertThat(e.error()).isEmpty();
        assertThat(e.concernsOneIdentity()).as("it halts a sweep pass").isFalse();
        assertThat(e.getMessage()).contains("example").contains("client authentication");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{}", "<html><body>401 Authorization Required</body></html>"})
    void aGatewaysBasicChallengeIsOurConfigurationNotARevocation(String body) {
        // A wrong client secret behind a gateway: the identity is fine.
        server.enqueue(new MockResponse.Builder().code(401)
                .addHeader("WWW-Authenticate", "Basic realm=\"token\"")
                .addHeader("Content-Type", body.startsWith("<") ? "text/html" : "application/json")
                .body(body).build());

        RefreshException e = assertThrows(RefreshException.class, () -> provider.refresh(identity));

        assertThat(e).isInstanceOf(ProviderConfigurationException.class).isNotInstanceOf(IdentityNotValid.class);
    }

    @Test
    void azureDevOpsPascalCaseClientError() {
        server.enqueue(TokenJson.json(401, "{\"Error\":\"invalid_client\",\"ErrorDescription\":\"Bad assertion\"}"));

        ProviderConfigurationException e = assertThrows(ProviderConfigurationException.class,
                () -> provider.refresh(identity));

        assertThat(e.errorDescription()).contains("Bad assertion");
    }

    // ---- transient: try again later --------------------------------------------------------------
    @ParameterizedTest
    @ValueSource(ints = {408, 429, 500, 502, 503, 504})
    void statusesThatMeanTryLater(int status) {
        server.enqueue(new MockResponse.Builder().code(status).addHeader("Retry-After", "120").build());

        TransientRefreshException e = assertThrows(TransientRefreshException.class, () -> provider.refresh(identity));

        assertThat(e).isNotInstanceOf(TokenResponseException.class).isNotInstanceOf(RefreshOutcomeUnknownException.class);
        assertThat(e.httpStatus()).isEqualTo(status);
        assertThat(e.retryAfter()).contains(Duration.ofSeconds(120));
    }

    @ParameterizedTest
    @ValueSource(strings = {"server_error", "temporarily_unavailable"})
    void errorCodesThatMeanTryLater(String error) {
        server.enqueue(TokenJson.error(error, "Busy").response(400).newBuilder().addHeader("Retry-After", "15").build());

        TransientRefreshException e = assertThrows(TransientRefreshException.class, () -> provider.refresh(identity));

        assertThat(e.error()).contains(error);
        assertThat(e.retryAfter()).contains(Duration.ofSeconds(15));
    }

    @Test
    void withoutRetryAfterNoneIsMadeUp() {
        server.enqueue(TokenJson.error("temporarily_unavailable", "Busy").response(400));

        TransientRefreshException e = assertThrows(TransientRefreshException.class, () -> provider.refresh(identity));

        assertThat(e.retryAfter()).isEmpty();
    }

    @Test
    void serverErrorWithAJsonErrorKeepsIt() {
        server.enqueue(TokenJson.error("temporarily_unavailable", "Maintenance").response(503));

        TransientRefreshException e = assertThrows(TransientRefreshException.class, () -> provider.refresh(identity));

        assertThat(e.error()).contains("temporarily_unavailable");
        assertThat(e.errorDescription()).contains("Maintenance");
    }

    @Test
    void retryAfterAsAnHttpDateIsTheTimeLeftOnTheInjectedClock() {
        String in90Seconds = DateTimeFormatter.RFC_1123_DATE_TIME.format(NOW.plusSeconds(90).atOffset(ZoneOffset.UTC));
        server.enqueue(new MockResponse.Builder().code(429).addHeader("Retry-After", in90Seconds).build());

        TransientRefreshException e = assertThrows(TransientRefreshException.class, () -> provider.refresh(identity));

        assertThat(e.retryAfter()).contains(Duration.ofSeconds(90));
    }

    @Test
    void retryAfterInThePastMeansNow() {
        server.enqueue(new MockResponse.Builder().code(503)
                .addHeader("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT").build());

        TransientRefreshException e = assertThrows(TransientRefreshException.class, () -> provider.refresh(identity));

        assertThat(e.retryAfter()).contains(Duration.ZERO);
    }

    @Test
    void anUnreadableRetryAfterIsIgnored() {
        server.enqueue(new MockResponse.Builder().code(503).addHeader("Retry-After", "soon").build());

        TransientRefreshException e = assertThrows(TransientRefreshException.class, () -> provider.refresh(identity));

        assertThat(e.retryAfter()).isEmpty();
    }

    @Test
    void connectionRefused() {
        OAuth2Provider nowhere = providerFor(TokenEndpoint.refusingTokenUrl(), new OkHttpClient());

        TransientRefreshException e = assertThrows(TransientRefreshException.class, () -> nowhere.refresh(identity));

        assertThat(e).isNotInstanceOf(RefreshOutcomeUnknownException.class);
        assertThat(e.httpStatus()).isZero();
        assertThat(e.getCause()).isInstanceOf(IOException.class);
        assertThat(e.getMessage()).contains("127.0.0.1");
    }

    @Test
    void noAnswerWithinTheReadTimeout() {
        OAuth2Provider impatient = providerFor(endpoint.tokenUrl(), shortTimeouts());
        server.enqueue(TokenJson.success("access-2").response().newBuilder()
                .headersDelay(5, TimeUnit.SECONDS).build());

        RefreshOutcomeUnknownException e = assertThrows(RefreshOutcomeUnknownException.class,
                () -> impatient.refresh(identity));

        assertThat(e.httpStatus()).isZero();
        assertThat(e.getMessage()).contains("timed out");
    }

    @Test
    void aBodyThatStopsArrivingWithinTheReadTimeout() {
        OAuth2Provider impatient = providerFor(endpoint.tokenUrl(), shortTimeouts());
        server.enqueue(TokenJson.success("access-2").response().newBuilder()
                .bodyDelay(5, TimeUnit.SECONDS).build());

        assertThrows(RefreshOutcomeUnknownException.class, () -> impatient.refresh(identity));
    }

    @ParameterizedTest
    @ValueSource(ints = {400, 403, 404, 405})
    void otherClientErrorsWithoutAStructuredErrorAreAProxyTalking(int status) {
        server.enqueue(TokenJson.html(status));

        TransientRefreshException e = assertThrows(TransientRefreshException.class, () -> provider.refresh(identity));

        assertThat(e.httpStatus()).isEqualTo(status);
    }

    @Test
    void aJsonObjectWithoutAnErrorCodeIsNotAStructuredError() {
        server.enqueue(TokenJson.json(403, "{\"message\":\"blocked by policy\"}"));

        assertThrows(TransientRefreshException.class, () -> provider.refresh(identity));
    }

    // ---- protocol error (transient): a 200 that is no usable token response ----------------------
    @Test
    void htmlWithStatus200() {
        server.enqueue(TokenJson.html(200));

        TokenResponseException e = assertThrows(TokenResponseException.class, () -> provider.refresh(identity));

        assertThat(e).as("a complete answer, not a lost one").isNotInstanceOf(RefreshOutcomeUnknownException.class);
        assertThat(e.getMessage()).contains("not a JSON object").contains("text/html");
    }

    @Test
    void emptyBody() {
        server.enqueue(new MockResponse.Builder().code(200).addHeader("Content-Type", "application/json").build());

        TokenResponseException e = assertThrows(TokenResponseException.class, () -> provider.refresh(identity));

        assertThat(e.getMessage()).contains("empty body");
    }

    @Test
    void truncatedJson() {
        server.enqueue(TokenJson.json(200, "{\"access_token\":\"access-2\",\"expires_in\":36"));

        assertThrows(TokenResponseException.class, () -> provider.refresh(identity));
    }

    @Test
    void jsonWithTrailingGarbage() {
        server.enqueue(TokenJson.json(200, "{\"access_token\":\"access-2\"} <html>"));

        assertThrows(TokenResponseException.class, () -> provider.refresh(identity));
    }

    @Test
    void jsonThatIsNotAnObject() {
        server.enqueue(TokenJson.json(200, "[\"access-2\"]"));

        assertThrows(TokenResponseException.class, () -> provider.refresh(identity));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"token_type\":\"Bearer\",\"expires_in\":3600}",
        "{\"access_token\":\"\",\"token_type\":\"Bearer\"}",
        "{\"access_token\":null}"})
    void jsonWithoutAnAccessToken(String body) {
        server.enqueue(TokenJson.json(200, body));

        TokenResponseException e = assertThrows(TokenResponseException.class, () -> provider.refresh(identity));

        assertThat(e.getMessage()).contains("no access_token");
    }

    @Test
    void tenMebibytesWithAContentLengthAreRefusedUnread() {
        server.enqueue(TokenJson.json(200, hugeTokenJson()));

        TokenResponseException e = assertThrows(TokenResponseException.class, () -> provider.refresh(identity));

        assertThat(e.getMessage()).contains("larger than " + OAuth2Settings.DEFAULT_MAX_RESPONSE_BYTES + " bytes");
    }

    @Test
    void tenMebibytesChunkedAreReadOnlyUpToTheCap() {
        server.enqueue(new MockResponse.Builder().code(200).addHeader("Content-Type", "application/json")
                .chunkedBody(hugeTokenJson(), 64 * 1024).build());

        TokenResponseException e = assertThrows(TokenResponseException.class, () -> provider.refresh(identity));

        assertThat(e.getMessage()).contains("larger than");
    }

    @Test
    @Timeout(20)
    void anEndlessBodyIsCutAtTheCap() {
        // If the provider read to the end, this would never return (or run out of memory).
        EndlessBody endless = new EndlessBody();
        server.enqueue(new MockResponse.Builder().code(200).addHeader("Content-Type", "application/json")
                .body(endless).build());

        TokenResponseException e = assertThrows(TokenResponseException.class, () -> provider.refresh(identity));

        assertThat(e.getMessage()).contains("larger than");
    }

    @Test
    void anOversizedErrorBodyLeavesTheStatusToDecide() {
        server.enqueue(TokenJson.json(503, hugeTokenJson()));

        assertThrows(TransientRefreshException.class, () -> provider.refresh(identity));
    }

    private String hugeTokenJson() {
        return "{\"access_token\":\"access-2\",\"padding\":\"" + "x".repeat(10 * 1024 * 1024) + "\"}";
    }

    // ---- other structured refusals ---------------------------------------------------------------
    @ParameterizedTest
    @CsvSource({
        "400, invalid_request, Missing required parameter: refresh_token",
        "400, invalid_scope, The requested scope is invalid",
        "400, unsupported_grant_type, Grant type not allowed",
        "403, access_denied, Access denied by policy"})
    void structuredErrorsAreRejectionsWithTheVendorsWords(int status, String error, String description) {
        server.enqueue(TokenJson.error(error, description).response(status));

        RefreshRejectedException e = assertThrows(RefreshRejectedException.class, () -> provider.refresh(identity));

        assertThat(e.httpStatus()).isEqualTo(status);
        assertThat(e.error()).contains(error);
        assertThat(e.errorDescription()).contains(description);
        assertThat(e).isNotInstanceOf(IdentityNotValid.class);
    }

    private OAuth2Provider providerFor(String tokenUrl, OkHttpClient client) {
        return OAuth2Provider.create(TokenEndpoint.exampleClient().tokenUrl(tokenUrl)
                .httpClient(client).clock(clock).build());
    }

    private static OkHttpClient shortTimeouts() {
        return new OkHttpClient.Builder().readTimeout(Duration.ofMillis(300)).build();
    }

    /** Writes JSON-looking bytes until the client hangs up. */
    private static final class EndlessBody implements MockResponseBody {
        @Override
        public long getContentLength() {
            return -1;
        }

        @Override
        public void writeTo(BufferedSink sink) throws IOException {
            sink.writeUtf8("{\"access_token\":\"access-2\",\"padding\":\"");
            byte[] chunk = "x".repeat(8192).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            while (true) {
                sink.write(chunk);
                sink.flush();
            }
        }
    }
}
