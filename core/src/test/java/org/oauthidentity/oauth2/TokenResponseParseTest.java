package org.oauthidentity.oauth2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.oauthidentity.TokenResponseException;

/** {@link TokenResponse#parse}, the public way to read a token response without a JSON library's types. */
class TokenResponseParseTest {

    @Test
    void readsTheFieldsOfAJsonObject() throws Exception {
        TokenResponse response = TokenResponse.parse(
                "{\"access_token\":\"at-1\",\"refresh_token\":\"rt-1\",\"expires_in\":3600,\"id_token\":\"x.y.z\"}");

        assertThat(response.accessToken()).isEqualTo("at-1");
        assertThat(response.refreshToken()).contains("rt-1");
        assertThat(response.expiresIn()).contains(Duration.ofHours(1));
        assertThat(response.extras()).containsOnlyKeys("id_token");
    }

    @Test
    void refusesTextThatIsNotOneJsonObject() {
        for (String text : new String[] {null, "", "[]", "\"at-1\"", "{\"access_token\":\"at-1\"} {}", "{"}) {
            assertThrows(TokenResponseException.class, () -> TokenResponse.parse(text), String.valueOf(text));
        }
    }

    @Test
    void refusesAnObjectWithoutAUsableAccessToken() {
        assertThrows(TokenResponseException.class, () -> TokenResponse.parse("{\"refresh_token\":\"rt-1\"}"));
        assertThrows(TokenResponseException.class, () -> TokenResponse.parse("{\"access_token\":\"a\\nb\"}"));
    }
}
