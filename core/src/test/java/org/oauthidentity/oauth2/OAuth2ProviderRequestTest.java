package org.oauthidentity.oauth2;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.oauthidentity.Identity;
import org.oauthidentity.support.FormBodies;
import org.oauthidentity.support.TokenJson;
import org.oauthidentity.testing.ManualClock;

/** What a refresh puts on the wire: RFC 6749 §6 with the client authentication of §2.3.1. */
class OAuth2ProviderRequestTest {
    private static final String REFRESH_TOKEN = "refresh-1/abc+def=&x y";
    private static final String CLIENT_ID = "client id:1";
    private static final String CLIENT_SECRET = "s3cr:t/+&=é";

    private final ManualClock clock = ManualClock.at("2025-01-01T00:00:00Z");

    @RegisterExtension
    final TokenEndpoint endpoint = new TokenEndpoint();
    private final MockWebServer server = endpoint.server();

    @BeforeEach
    void answerOnce() {
        server.enqueue(TokenJson.success("access-2").expiresIn(3600).response());
    }

    @Test
    void basicAuthenticationSendsFormEncodedCredentialsInTheAuthorizationHeaderOnly() throws Exception {
        RecordedRequest request = refreshWith(ClientAuthentication.CLIENT_SECRET_BASIC);

        assertThat(request.getMethod()).isEqualTo("POST");
        assertThat(request.getUrl().encodedPath()).isEqualTo("/oauth/token");
        assertThat(form(request)).containsExactly(
                Map.entry("grant_type", "refresh_token"),
                Map.entry("refresh_token", REFRESH_TOKEN));
        String authorization = request.getHeaders().get("Authorization");
        assertThat(authorization).startsWith("Basic ");
        String decoded = new String(Base64.getDecoder().decode(authorization.substring("Basic ".length())),
                StandardCharsets.UTF_8);
        // RFC 6749 §2.3.1: id and secret are each form-encoded, then joined by ':' and Base64-encoded.
        assertThat(decoded).isEqualTo(formEncode(CLIENT_ID) + ":" + formEncode(CLIENT_SECRET));
        assertThat(decoded).isEqualTo("client+id%3A1:s3cr%3At%2F%2B%26%3D%C3%A9");
    }

    @Test
    void postAuthenticationSendsTheCredentialsAsFormFieldsAndNoAuthorizationHeader() throws Exception {
        RecordedRequest request = refreshWith(ClientAuthentication.CLIENT_SECRET_POST);

        assertThat(request.getHeaders().get("Authorization")).isNull();
        assertThat(form(request)).containsExactly(
                Map.entry("grant_type", "refresh_token"),
                Map.entry("refresh_token", REFRESH_TOKEN),
                Map.entry("client_id", CLIENT_ID),
                Map.entry("client_secret", CLIENT_SECRET));
    }

    @Test
    void noneSendsNoClientCredentialsAtAll() throws Exception {
        RecordedRequest request = refreshWith(ClientAuthentication.NONE);

        assertThat(request.getHeaders().get("Authorization")).isNull();
        assertThat(form(request)).containsOnlyKeys("grant_type", "refresh_token");
    }

    @Test
    void bodyIsFormEncodedWithItsRealLengthAndTheAnswerIsAskedForAsJson() throws Exception {
        RecordedRequest short1 = refreshWith(ClientAuthentication.CLIENT_SECRET_POST, "r-short1");
        server.enqueue(TokenJson.success("access-3").response());
        RecordedRequest long1 = refreshWith(ClientAuthentication.CLIENT_SECRET_POST, "r-" + "x".repeat(500));

        for (RecordedRequest request : new RecordedRequest[] {short1, long1}) {
            assertThat(request.getHeaders().get("Content-Type")).startsWith("application/x-www-form-urlencoded");
            assertThat(request.getHeaders().get("Accept")).contains("application/json");
            assertThat(request.getHeaders().get("Transfer-Encoding")).isNull();
            long bodyBytes = request.getBody().size();
            assertThat(request.getHeaders().get("Content-Length")).isEqualTo(Long.toString(bodyBytes));
        }
        // Not a constant: a hard-coded one is a classic bug of hand-written token requests.
        assertThat(long1.getBody().size()).isGreaterThan(short1.getBody().size() + 400);
    }

    @Test
    void anIdentityWithNonAsciiRefreshTokenIsSentAsUtf8() throws Exception {
        RecordedRequest request = refreshWith(ClientAuthentication.NONE, "jeton-été-✓");

        assertThat(request.getBody().utf8()).contains("refresh_token=jeton-%C3%A9t%C3%A9-%E2%9C%93");
        assertThat(form(request)).containsEntry("refresh_token", "jeton-été-✓");
    }

    private RecordedRequest refreshWith(ClientAuthentication authentication) throws Exception {
        return refreshWith(authentication, REFRESH_TOKEN);
    }

    private RecordedRequest refreshWith(ClientAuthentication authentication, String refreshToken) throws Exception {
        OAuth2Provider provider = OAuth2Provider.create(OAuth2Settings.builder()
                .providerKey("example")
                .tokenUrl(server.url("/oauth/token").toString())
                .clientId(CLIENT_ID).clientSecret(CLIENT_SECRET)
                .clientAuthentication(authentication)
                .clock(clock)
                .build());
        Identity identity = Identity.builder().id("user-1").providerKey("example")
                .accessToken("access-1").refreshToken(refreshToken).version(3).build();

        Identity refreshed = provider.refresh(identity);

        assertThat(refreshed.accessToken()).isNotEqualTo("access-1");
        RecordedRequest request = server.takeRequest();
        return request;
    }

    private static Map<String, String> form(RecordedRequest request) {
        return FormBodies.parse(request.getBody().utf8());
    }

    private static String formEncode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
