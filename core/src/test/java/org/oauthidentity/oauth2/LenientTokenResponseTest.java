package org.oauthidentity.oauth2;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.oauthidentity.Identity;
import org.oauthidentity.authorize.CodeExchange;
import org.oauthidentity.support.StderrCapture;
import org.oauthidentity.support.TokenJson;
import org.oauthidentity.testing.ManualClock;

/**
 * A rotating vendor answered 200 with new tokens and a malformed side field: the tokens are kept (the old refresh
 * token is already dead), the expiry is unknown, clamped or floored, and a warning names the identity and the field.
 * Also the bounds on the lifetime: {@code created_at} held within the request, a minimum lifetime.
 */
class LenientTokenResponseTest {
    private static final Instant START = Instant.parse("2025-03-01T10:00:00Z");
    /** How long the token endpoint takes to answer, on the injected clock. */
    private static final Duration SERVER_TIME = Duration.ofSeconds(7);
    private static final Instant ARRIVED = START.plus(SERVER_TIME);
    /** The documented bounds (TokenResponse.MAX_LIFETIME and MIN_LIFETIME), spelled out as the spec. */
    private static final Duration A_YEAR = Duration.ofDays(365);
    private static final Duration HALF_A_MINUTE = Duration.ofSeconds(30);

    private final ManualClock clock = ManualClock.at(START);
    private final Identity identity = Identity.builder().id("user-7").providerKey("example")
            .accessToken("access-old-1234").refreshToken("refresh-old-1234").expiresAt(START.minusSeconds(5))
            .version(3).build();

    @RegisterExtension
    final TokenEndpoint endpoint = new TokenEndpoint();
    private final MockWebServer server = endpoint.server();
    private OAuth2Provider provider;
    private StderrCapture log;

    @BeforeEach
    void start() {
        provider = OAuth2Provider.create(endpoint.settings().clock(clock).build());
        log = StderrCapture.start();
    }

    @AfterEach
    void stop() {
        log.close();
    }

    // ---- expires_in: unknown, clamped, floored; the tokens are always kept ------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"-1", "\"-1\"", "\"3600s\"", "\"an hour\"", "true", "{}", "[3600]"})
    void anUnreadableExpiresInLeavesTheExpiryUnknownAndKeepsTheRotatedTokens(String expiresIn) throws Exception {
        answer(rotation().replace("EXPIRES", expiresIn));

        Identity refreshed = provider.refresh(identity);

        assertThat(refreshed.accessToken()).isEqualTo("access-new-5678");
        assertThat(refreshed.refreshToken()).as("the old one is dead: the new one must be saved").contains("refresh-new-5678");
        assertThat(refreshed.expiresAt()).as("unknown, not the old expiry").isEmpty();
        assertWarned("expires_in");
    }

    @ParameterizedTest
    @ValueSource(strings = {"1e400", "1e300", "\"99999999999999\"", "99999999999999", "9223372036854775807",
        "123456789012345678901234567890", "31536001"})
    void anAbsurdlyLongExpiresInIsCutToAYear(String expiresIn) throws Exception {
        answer(rotation().replace("EXPIRES", expiresIn));

        Identity refreshed = provider.refresh(identity);

        assertThat(refreshed.refreshToken()).contains("refresh-new-5678");
        assertThat(refreshed.expiresAt()).contains(START.plus(A_YEAR));
        assertWarned("expires_in");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "\"0\"", "1", "29.9"})
    void aLifetimeShorterThanHalfAMinuteIsGivenHalfAMinute(String expiresIn) throws Exception {
        // expires_in 0 would cost one token request per API call.
        answer(rotation().replace("EXPIRES", expiresIn));

        Identity refreshed = provider.refresh(identity);

        assertThat(refreshed.expiresAt()).contains(START.plus(HALF_A_MINUTE));
        assertWarned("expires_in");
    }

    @Test
    void theBoundsAreInclusiveAndOnlyALifetimeOutsideThemWarns() throws Exception {
        answer(rotation().replace("EXPIRES", "31536000"));
        assertThat(provider.refresh(identity).expiresAt()).as("a year exactly").contains(START.plus(A_YEAR));
        answer(rotation().replace("EXPIRES", "30"));
        assertThat(provider.refresh(identity).expiresAt()).as("half a minute exactly")
                .contains(clock.instant().minus(SERVER_TIME).plus(HALF_A_MINUTE));
        assertThat(log.text()).doesNotContain("WARN");

        answer(rotation().replace("EXPIRES", "29"));
        assertThat(provider.refresh(identity).expiresAt()).contains(clock.instant().minus(SERVER_TIME).plus(HALF_A_MINUTE));
        assertWarned("expires_in");
    }

    // ---- created_at: epoch seconds or ISO-8601, held within the request -------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"\"2025-03-01T10:00:04Z\"", "\"2025-03-01T11:00:04+01:00\"", "\"2025-03-01T10:00:04.250Z\""})
    void createdAtAsIsoTextIsReadAsAnInstant(String createdAt) throws Exception {
        answer(rotation().replace("EXPIRES", "7200").replace("}", ",\"created_at\":" + createdAt + "}"));

        Identity refreshed = provider.refresh(identity);

        assertThat(refreshed.expiresAt()).contains(START.plusSeconds(4 + 7200));
        assertThat(refreshed.refreshToken()).contains("refresh-new-5678");
        assertThat(log.text()).doesNotContain("WARN");
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"yesterday\"", "\"2025-03-01T10:00:04\"", "true", "{}", "1e400", "\"99999999999999\""})
    void anUnreadableCreatedAtIsIgnoredAndTheRequestStartUsed(String createdAt) throws Exception {
        answer(rotation().replace("EXPIRES", "7200").replace("}", ",\"created_at\":" + createdAt + "}"));

        Identity refreshed = provider.refresh(identity);

        assertThat(refreshed.refreshToken()).contains("refresh-new-5678");
        assertThat(refreshed.expiresAt()).contains(START.plusSeconds(7200));
        assertWarned("created_at");
    }

    @Test
    void aVendorClockBehindOursDoesNotShortenTheLifetime() throws Exception {
        // created_at two hours ago with expires_in of two hours: taken literally, already expired.
        long twoHoursAgo = START.minusSeconds(7200).getEpochSecond();
        answer(rotation().replace("EXPIRES", "7200").replace("}", ",\"created_at\":" + twoHoursAgo + "}"));

        Identity refreshed = provider.refresh(identity);

        assertThat(refreshed.expiresAt()).contains(START.plusSeconds(7200));
        assertThat(refreshed.extra("created_at")).as("kept as sent").contains(Long.toString(twoHoursAgo));
    }

    @Test
    void aVendorClockAheadOfOursDoesNotStretchTheLifetime() throws Exception {
        long inAnHour = START.plusSeconds(3600).getEpochSecond();
        answer(rotation().replace("EXPIRES", "7200").replace("}", ",\"created_at\":" + inAnHour + "}"));

        Identity refreshed = provider.refresh(identity);

        assertThat(refreshed.expiresAt()).as("no later than the answer's arrival + expires_in")
                .contains(ARRIVED.plusSeconds(7200));
    }

    @Test
    void aZeroLifetimeFromAVendorClockBehindOursStillGetsHalfAMinute() throws Exception {
        long anHourAgo = START.minusSeconds(3600).getEpochSecond();
        answer(rotation().replace("EXPIRES", "0").replace("}", ",\"created_at\":" + anHourAgo + "}"));

        assertThat(provider.refresh(identity).expiresAt()).contains(START.plus(HALF_A_MINUTE));
    }

    // ---- token_type -----------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"Bearer realm=x", "Bearer\\r\\nX-Injected: 1", "bearer-bearer-bearer-bearer-bearer-bearer-bearer-be",
        "Bäarer"})
    void anOddTokenTypeIsStoredAsBearer(String tokenType) throws Exception {
        answer(rotation().replace("EXPIRES", "3600").replace("}", ",\"token_type\":\"" + tokenType + "\"}"));

        Identity refreshed = provider.refresh(identity);

        assertThat(refreshed.tokenType()).isEqualTo("Bearer");
        assertThat(refreshed.refreshToken()).contains("refresh-new-5678");
        assertWarned("token_type");
    }

    @Test
    void fiftyCharactersFitTheStoresColumnAndFiftyOneDoNot() throws Exception {
        String fifty = "x".repeat(50);
        answer(rotation().replace("EXPIRES", "3600").replace("}", ",\"token_type\":\"" + fifty + "\"}"));
        assertThat(provider.refresh(identity).tokenType()).isEqualTo(fifty);

        answer(rotation().replace("EXPIRES", "3600").replace("}", ",\"token_type\":\"" + fifty + "x\"}"));
        assertThat(provider.refresh(identity).tokenType()).isEqualTo("Bearer");
    }

    // ---- the code exchange reads its answer the same way ----------------------------------------------------

    @Test
    void theCodeExchangeKeepsTheTokensOfAnAnswerWithAnUnreadableExpiresIn() throws Exception {
        answer(rotation().replace("EXPIRES", "\"3600s\""));

        Identity linked = provider.exchangeCode(CodeExchange.builder().identityId("identity-9")
                .code("code-123456789").redirectUri("https://app.example.com/callback").build());

        assertThat(linked.accessToken()).isEqualTo("access-new-5678");
        assertThat(linked.refreshToken()).contains("refresh-new-5678");
        assertThat(linked.expiresAt()).isEmpty();
        assertThat(log.text()).contains("identity-9").contains("expires_in");
    }

    /** A rotation answer with a placeholder EXPIRES for expires_in. */
    private static String rotation() {
        return "{\"access_token\":\"access-new-5678\",\"refresh_token\":\"refresh-new-5678\",\"expires_in\":EXPIRES}";
    }

    private void answer(String json) {
        MockResponse response = TokenJson.json(200, json);
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                clock.advance(SERVER_TIME);
                return response;
            }
        });
    }

    private void assertWarned(String field) {
        String logged = log.text();
        assertThat(logged).contains("WARN").contains("user-7").contains(field);
        assertThat(logged).doesNotContain("access-new-5678").doesNotContain("refresh-new-5678")
                .doesNotContain("3600s").doesNotContain("an hour").doesNotContain("yesterday");
    }
}
