package org.oauthidentity.oauth2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.RefreshException;
import org.oauthidentity.RefreshRejectedException;
import org.oauthidentity.support.TokenJson;
import org.oauthidentity.testing.ManualClock;

/** What a failed refresh says: one predictable line an operator can read and a log can hold safely. */
class OAuth2ProviderMessagesTest {
    private final Identity identity = Identity.builder().id("user-1").providerKey("example")
            .accessToken("access-token-1").refreshToken("refresh-token-1").build();

    @RegisterExtension
    final TokenEndpoint endpoint = new TokenEndpoint();
    private final MockWebServer server = endpoint.server();
    private OAuth2Provider provider;

    @BeforeEach
    void createProvider() {
        provider = OAuth2Provider.create(endpoint.settings().clock(ManualClock.at("2025-01-01T00:00:00Z")).build());
    }

    @Test
    void invalidGrantReadsLikeTheVendorSaidIt() {
        server.enqueue(TokenJson.error("invalid_grant", "Token has been expired or revoked.").response(400));

        IdentityNotValid e = assertThrows(IdentityNotValid.class, () -> provider.refresh(identity));

        assertThat(e.getMessage()).isEqualTo("HTTP 400 (invalid_grant): Token has been expired or revoked.");
    }

    @Test
    void theSubtypeFollowsTheErrorCode() {
        server.enqueue(TokenJson.error("invalid_grant", "reauth related error (invalid_rapt)")
                .field("error_subtype", "invalid_rapt").response(400));

        IdentityNotValid e = assertThrows(IdentityNotValid.class, () -> provider.refresh(identity));

        assertThat(e.getMessage()).isEqualTo("HTTP 400 (invalid_grant/invalid_rapt): reauth related error (invalid_rapt)");
    }

    @Test
    void aBareStatusSaysWhatIsMissing() {
        server.enqueue(new MockResponse.Builder().code(401).build());

        ProviderConfigurationException e = assertThrows(ProviderConfigurationException.class,
                () -> provider.refresh(identity));

        assertThat(e.getMessage()).startsWith("HTTP 401 (no error code): no description. ");
    }

    @Test
    void aConfigurationErrorTellsTheOperatorWhatToCheck() {
        server.enqueue(TokenJson.error("invalid_client", "Unknown client.").response(401));

        ProviderConfigurationException e = assertThrows(ProviderConfigurationException.class,
                () -> provider.refresh(identity));

        assertThat(e.getMessage()).isEqualTo("HTTP 401 (invalid_client): Unknown client. The vendor rejected this "
                + "application's client credentials for provider 'example': check the client id and secret; "
                + "identities are not affected");
    }

    @Test
    void controlCharactersFromTheVendorAreNeutralised() {
        // A vendor (or whoever sits in between) must not be able to forge log lines or hide text.
        String hostile = "Token revoked.\r\n2025-01-01 INFO forged line\t\u001b[31mred\u0000\u0085"
                + "\u2028\u2029\u202eevil\u200b";
        server.enqueue(TokenJson.error("invalid_grant", hostile).field("error_subtype", "x\ry").response(400));

        IdentityNotValid e = assertThrows(IdentityNotValid.class, () -> provider.refresh(identity));

        for (String text : new String[] {e.getMessage(), e.errorDescription().orElseThrow(),
            e.error().orElseThrow(), e.errorSubtype().orElseThrow()}) {
            assertThat(text.codePoints().filter(OAuth2ProviderMessagesTest::unsafe).toArray())
                    .as("unsafe characters in %s", text).isEmpty();
        }
        assertThat(e.errorDescription().orElseThrow()).startsWith("Token revoked.  2025-01-01 INFO forged line");
        assertThat(e.getMessage()).doesNotContain("\n").doesNotContain("\r");
    }

    @Test
    void aLongDescriptionIsCut() {
        server.enqueue(TokenJson.error("invalid_scope", "x".repeat(5000)).response(400));

        RefreshRejectedException e = assertThrows(RefreshRejectedException.class, () -> provider.refresh(identity));

        assertThat(e.errorDescription().orElseThrow()).hasSizeLessThanOrEqualTo(301).endsWith("…");
        assertThat(e.getMessage()).hasSizeLessThan(400);
    }

    @Test
    void aLongErrorCodeIsCutToo() {
        server.enqueue(TokenJson.error("e".repeat(5000), "short").response(400));

        RefreshException e = assertThrows(RefreshException.class, () -> provider.refresh(identity));

        assertThat(e.error().orElseThrow()).hasSizeLessThanOrEqualTo(301);
    }

    private static boolean unsafe(int c) {
        int type = Character.getType(c);
        return Character.isISOControl(c) || type == Character.FORMAT
                || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR;
    }
}
