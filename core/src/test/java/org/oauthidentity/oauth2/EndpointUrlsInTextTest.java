package org.oauthidentity.oauth2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.oauthidentity.oauth2.TokenEndpoint.exampleClient;

import java.util.function.Function;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Endpoint URLs are printed by scheme, host, port and path only, and a URL that carries a user name or
 * password is refused when the settings are built, without repeating it.
 */
class EndpointUrlsInTextTest {
    private static final String WITH_QUERY = "https://auth.example.com:8443/oauth/token?api_key=query-key-4711#frag-0815";

    @Test
    void settingsAndProviderPrintTheTokenUrlWithoutQueryOrFragment() {
        OAuth2Settings settings = exampleClient().tokenUrl(WITH_QUERY).build();

        for (String text : new String[] {settings.toString(), OAuth2Provider.create(settings).toString()}) {
            assertThat(text).contains("tokenUrl=https://auth.example.com:8443/oauth/token")
                    .doesNotContain("api_key").doesNotContain("query-key-4711").doesNotContain("frag-0815");
        }
    }

    @Test
    void aDefaultPortIsLeftOut() {
        assertThat(Endpoints.display(HttpUrl.get("https://auth.example.com:443/token?x=1")))
                .isEqualTo("https://auth.example.com/token");
        assertThat(Endpoints.display(HttpUrl.get("http://[::1]:8080/token#f"))).isEqualTo("http://[::1]:8080/token");
    }

    @ParameterizedTest
    @ValueSource(strings = {"tokenUrl", "authorizationUrl", "revocationUrl"})
    void aUserNameOrPasswordInAnEndpointUrlIsRefusedWithoutBeingRepeated(String which) {
        for (String userInfo : new String[] {"svc-user-77:url-password-123@", "svc-user-77@", ":url-password-123@"}) {
            String url = "https://" + userInfo + "auth.example.com/" + which + "?api_key=query-key-4711";

            assertThatThrownBy(() -> setter(which).apply(exampleClient().tokenUrl("https://auth.example.com/token"))
                    .apply(url).build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("must not carry a user name or password")
                    .hasMessageContaining("https://auth.example.com/" + which)
                    .message().doesNotContain("svc-user-77").doesNotContain("url-password-123")
                    .doesNotContain("query-key-4711");
        }
    }

    @Test
    void theHttpsRefusalPrintsNoFragmentEither() {
        assertThatThrownBy(() -> exampleClient().tokenUrl("http://auth.example.com/token?k=query-key-4711#frag-0815").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("token URL must use https")
                .message().doesNotContain("query-key-4711").doesNotContain("frag-0815");
    }

    private static Function<OAuth2Settings.Builder, Function<String, OAuth2Settings.Builder>> setter(String which) {
        switch (which) {
            case "tokenUrl":
                return b -> b::tokenUrl;
            case "authorizationUrl":
                return b -> b::authorizationUrl;
            default:
                return b -> b::revocationUrl;
        }
    }
}
