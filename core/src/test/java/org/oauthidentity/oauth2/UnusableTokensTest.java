package org.oauthidentity.oauth2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.oauthidentity.Identity;
import org.oauthidentity.TokenResponseException;
import org.oauthidentity.authorize.CodeExchange;
import org.oauthidentity.support.SecretLeaks;
import org.oauthidentity.support.TokenJson;
import org.oauthidentity.testing.ManualClock;

/**
 * A 200 whose access or refresh token could be neither sent nor stored (line breaks, control characters, absurd
 * length): nothing unusable becomes the identity's token, and {@link TokenResponseException#issued()} holds what
 * the refresher must save so that a rotated refresh token is not lost.
 */
class UnusableTokensTest {
    private static final Instant NOW = Instant.parse("2025-05-05T12:00:00Z");
    /** The documented cap (TokenResponse.MAX_TOKEN_LENGTH), spelled out as the spec. */
    private static final int SIXTEEN_KB = 16 * 1024;

    private final ManualClock clock = ManualClock.at(NOW);
    private final Identity previous = Identity.builder().id("user-1").providerKey("example")
            .accessToken("access-old-1234").refreshToken("refresh-old-1234").expiresAt(NOW.plusSeconds(20))
            .version(6).build();

    @RegisterExtension
    final TokenEndpoint endpoint = new TokenEndpoint();
    private final MockWebServer server = endpoint.server();
    private OAuth2Provider provider;

    @BeforeEach
    void createProvider() {
        provider = OAuth2Provider.create(endpoint.settings().clock(clock).build());
    }

    @ParameterizedTest
    @ValueSource(strings = {"access-new\r\nX-Evil: 1", "access-new\n", "access\u0000new", "accèss-new", "\t"})
    void anAccessTokenThatCannotBeSentIsNotSavedButTheRotatedRefreshTokenIs(String accessToken) {
        server.enqueue(TokenJson.success(accessToken).refreshToken("refresh-new-5678").expiresIn(3600).response());

        TokenResponseException e = assertThrows(TokenResponseException.class, () -> provider.refresh(previous));

        Identity issued = e.issued().orElseThrow();
        assertThat(issued.refreshToken()).contains("refresh-new-5678");
        assertThat(issued.accessToken()).as("the previous one, not the garbage").isEqualTo("access-old-1234");
        assertThat(issued.expiresAt()).as("the previous expiry goes with it").contains(NOW.plusSeconds(20));
        assertThat(issued.version()).isEqualTo(previous.version());
        assertThat(e.getMessage()).contains("user-1").contains("access_token");
        SecretLeaks.assertNoSecretIn(e, "refresh-new-5678", "access-new");
    }

    @Test
    void anAccessTokenOverSixteenKilobytesWithoutANewRefreshTokenLeavesNothingToSave() throws Exception {
        String longest = "a".repeat(SIXTEEN_KB);
        server.enqueue(TokenJson.success(longest).expiresIn(3600).response());
        assertThat(provider.refresh(previous).accessToken()).as("16 KB is still fine").isEqualTo(longest);

        server.enqueue(TokenJson.success(longest + "a").expiresIn(3600).response());
        TokenResponseException e = assertThrows(TokenResponseException.class, () -> provider.refresh(previous));

        assertThat(e.issued()).isEmpty();
        assertThat(e.getMessage()).contains(Integer.toString(SIXTEEN_KB));
    }

    @Test
    void aRotatedRefreshTokenWithoutAnAccessTokenIsStillKept() {
        server.enqueue(TokenJson.object().refreshToken("refresh-new-5678").field("expires_in", 3600).response());

        TokenResponseException e = assertThrows(TokenResponseException.class, () -> provider.refresh(previous));

        assertThat(e.getMessage()).contains("no access_token");
        assertThat(e.issued().orElseThrow().refreshToken()).contains("refresh-new-5678");
        assertThat(e.issued().orElseThrow().accessToken()).isEqualTo("access-old-1234");
    }

    @ParameterizedTest
    @ValueSource(strings = {"refresh-new\r\n", "refresh\u007fnew", "refresh-näw"})
    void aGarbageRefreshTokenIsNotSavedAndTheMessageSaysTheOldOneIsProbablyDead(String refreshToken) {
        server.enqueue(TokenJson.success("access-new-5678").refreshToken(refreshToken).expiresIn(3600).response());

        TokenResponseException e = assertThrows(TokenResponseException.class, () -> provider.refresh(previous));

        Identity issued = e.issued().orElseThrow();
        assertThat(issued.accessToken()).as("the new access token is good until it expires").isEqualTo("access-new-5678");
        assertThat(issued.expiresAt()).contains(NOW.plusSeconds(3600));
        assertThat(issued.refreshToken()).as("garbage is never stored").contains("refresh-old-1234");
        assertThat(e.getMessage()).contains("refresh_token").contains("probably retired the previous refresh token");
    }

    @Test
    void anAbsurdlyLongRefreshTokenIsNotSavedEither() {
        server.enqueue(TokenJson.success("access-new-5678").refreshToken("r".repeat(SIXTEEN_KB + 1)).response());

        TokenResponseException e = assertThrows(TokenResponseException.class, () -> provider.refresh(previous));

        assertThat(e.issued().orElseThrow().refreshToken()).contains("refresh-old-1234");
    }

    @Test
    void whenBothTokensAreGarbageNothingIsSaved() {
        server.enqueue(TokenJson.success("access\nnew").refreshToken("refresh\nnew").response());

        TokenResponseException e = assertThrows(TokenResponseException.class, () -> provider.refresh(previous));

        assertThat(e.issued()).isEmpty();
        assertThat(e.getMessage()).contains("access_token").contains("refresh_token").contains("linked again");
    }

    @Test
    void aCodeExchangeWithAnUnusableAccessTokenCreatesNothing() {
        server.enqueue(TokenJson.success("access\r\nnew").refreshToken("refresh-new-5678").response());

        TokenResponseException e = assertThrows(TokenResponseException.class, () -> provider.exchangeCode(
                CodeExchange.builder().identityId("identity-9").code("code-123456789")
                        .redirectUri("https://app.example.com/cb").build()));

        assertThat(e.issued()).isEmpty();
        assertThat(e.getMessage()).contains("identity-9");
    }

    @Test
    void aCodeExchangeWithAnUnusableRefreshTokenCreatesNothing() {
        server.enqueue(TokenJson.success("access-new-5678").refreshToken("refresh\r\nnew").response());

        TokenResponseException e = assertThrows(TokenResponseException.class, () -> provider.exchangeCode(
                CodeExchange.builder().identityId("identity-9").code("code-123456789")
                        .redirectUri("https://app.example.com/cb").build()));

        assertThat(e.issued()).isEmpty();
    }
}
