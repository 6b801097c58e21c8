package org.oauthidentity.oauth2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.FormBody;
import okio.Buffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.support.SecretLeaks;
import org.oauthidentity.support.TokenJson;
import org.oauthidentity.testing.ManualClock;

/**
 * A vendor that quotes our request back in its error text, whole or in part, as sent or encoded, never gets a
 * credential into an exception: the text is withheld and the message keeps the status and error code.
 */
class OAuth2ProviderEchoedSecretsTest {
    private static final String WITHHELD = "<withheld: it echoed a credential>";
    // Characters a form body must encode (/ + : = ~ % space and a non-ASCII letter) break every run of 8.
    private static final String REFRESH = "rt/AbC+dEf:gh=Ij~kL%mN0 pQ1éRsTu/VwXyZ";
    private static final String CLIENT_SECRET = "cs!$'()*,;xYz-Secret/42";

    private final Identity identity = Identity.builder().id("user-1").providerKey("example")
            .accessToken("access-token-1").refreshToken(REFRESH).build();

    @RegisterExtension
    final TokenEndpoint endpoint = new TokenEndpoint();
    private final MockWebServer server = endpoint.server();
    private OAuth2Provider provider;

    @BeforeEach
    void createProvider() {
        provider = OAuth2Provider.create(endpoint.settings().clientSecret(CLIENT_SECRET)
                .clientAuthentication(ClientAuthentication.CLIENT_SECRET_POST)
                .clock(ManualClock.at("2025-01-01T00:00:00Z")).build());
    }

    @Test
    void anExactCopyOfTheRefreshTokenIsWithheld() {
        IdentityNotValid e = refreshWhileTheVendorSays(body -> "refresh token " + REFRESH + " was revoked");

        assertWithheld(e);
    }

    @Test
    void theFormBodyEchoedAsItWasSentIsWithheld() throws Exception {
        IdentityNotValid e = refreshWhileTheVendorSays(body -> "malformed request: " + body);

        assertThat(server.takeRequest().getBody().utf8()).as("the body is form-encoded as OkHttp sends it")
                .contains("refresh_token=" + formEncoded(REFRESH)).contains("%2F").contains("+");
        assertWithheld(e);
    }

    @Test
    void anEchoWithLowerCaseHexIsWithheld() {
        IdentityNotValid e = refreshWhileTheVendorSays(body -> "malformed request: " + lowerCaseHex(body));

        assertWithheld(e);
    }

    @Test
    void anEchoOfOneEncodedFieldIsWithheld() {
        IdentityNotValid e = refreshWhileTheVendorSays(body -> "bad client_secret " + formEncoded(CLIENT_SECRET));

        assertWithheld(e);
    }

    @Test
    void aTruncatedTokenIsWithheld() {
        IdentityNotValid e = refreshWhileTheVendorSays(body -> "unknown token " + REFRESH.substring(0, 12) + "...");

        assertWithheld(e);
    }

    @Test
    void aTokenCutUpByControlCharactersIsWithheld() {
        // Every piece is shorter than 8 characters; the sanitiser would print the token with spaces in it.
        IdentityNotValid e = refreshWhileTheVendorSays(body -> "token " + REFRESH.replaceAll("(.{5})", "$1\r\n"));

        assertThat(e.getMessage().replace(" ", "")).doesNotContain(REFRESH.replace(" ", "").substring(0, 10));
        assertWithheld(e);
    }

    @Test
    void aSevenCharacterFragmentIsShown() {
        String fragment = REFRESH.substring(0, 7);

        IdentityNotValid e = refreshWhileTheVendorSays(body -> "token starting " + fragment + " is unknown");

        assertThat(e.errorDescription()).contains("token starting " + fragment + " is unknown");
    }

    @Test
    void ordinaryTextIsShown() {
        IdentityNotValid e = refreshWhileTheVendorSays(
                body -> "Token has been expired or revoked; refresh_token and client_secret were checked.");

        assertThat(e.getMessage()).isEqualTo("HTTP 400 (invalid_grant): Token has been expired or revoked; "
                + "refresh_token and client_secret were checked.");
    }

    private IdentityNotValid refreshWhileTheVendorSays(UnaryOperator<String> description) {
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                return TokenJson.error("invalid_grant", description.apply(request.getBody().utf8())).response(400);
            }
        });
        return assertThrows(IdentityNotValid.class, () -> provider.refresh(identity));
    }

    private static void assertWithheld(IdentityNotValid e) {
        SecretLeaks.assertNoSecretIn(e, REFRESH, CLIENT_SECRET);
        for (String secret : new String[] {REFRESH, CLIENT_SECRET}) {
            for (int i = 0; i + 8 <= secret.length(); i++) {
                String piece = secret.substring(i, i + 8);
                assertThat(e.getMessage()).doesNotContain(piece).doesNotContain(formEncoded(piece))
                        .doesNotContain(lowerCaseHex(formEncoded(piece)));
            }
        }
        assertThat(e.errorDescription()).contains(WITHHELD);
        assertThat(e.getMessage()).isEqualTo("HTTP 400 (invalid_grant): " + WITHHELD);
    }

    /** The value as OkHttp's FormBody writes it: upper-case hex, {@code +} for a space. */
    private static String formEncoded(String value) {
        FormBody body = new FormBody.Builder(StandardCharsets.UTF_8).add("v", value).build();
        try (Buffer buffer = new Buffer()) {
            body.writeTo(buffer);
            return buffer.readUtf8().substring("v=".length());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static String lowerCaseHex(String text) {
        Matcher m = Pattern.compile("%[0-9A-F]{2}").matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, m.group().toLowerCase());
        }
        return m.appendTail(out).toString();
    }
}
