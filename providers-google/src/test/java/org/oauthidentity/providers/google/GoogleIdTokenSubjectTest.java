package org.oauthidentity.providers.google;

import static org.assertj.core.api.Assertions.assertThat;
import static org.oauthidentity.providers.google.GoogleFixtures.ID_TOKEN;
import static org.oauthidentity.providers.google.GoogleFixtures.TOKEN;
import static org.oauthidentity.providers.google.GoogleFixtures.identity;
import static org.oauthidentity.providers.google.GoogleFixtures.json;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.oauthidentity.Identity;
import org.oauthidentity.authorize.IdTokens;

/**
 * The external user id taken from an id_token's {@code sub}: only when the identity has none, only from a
 * well-formed token; anything odd leaves it unset and the id_token is still kept.
 */
class GoogleIdTokenSubjectTest {
    private final MockWebServer google = new MockWebServer();

    @BeforeEach
    void start() throws Exception {
        google.start();
    }

    @AfterEach
    void stop() {
        google.close();
    }

    @Test
    void theSubOfAWellFormedIdTokenIsRead() {
        assertThat(IdTokens.claim(ID_TOKEN, "sub")).contains("110169484474386276334");
        assertThat(IdTokens.claim(jwt("{\"sub\":\"42\",\"email\":\"a@example.com\"}"), "sub")).contains("42");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "", "not-a-jwt", "a.b", "a.b.c.d", "eyJhbGciOiJSUzI1NiJ9.%%%.sig",
            "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.sig", // "not json"
    })
    void aMalformedIdTokenYieldsNoSubject(String idToken) {
        assertThat(IdTokens.claim(idToken, "sub")).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"{}", "[]", "{\"sub\":42}", "{\"sub\":\"\"}", "{\"sub\":null}", "{\"sub\":\"a b\"}",
            "{\"sub\":{\"id\":\"1\"}}"})
    void anIdTokenWithoutATextualPrintableSubYieldsNoSubject(String claims) {
        assertThat(IdTokens.claim(jwt(claims), "sub")).isEmpty();
    }

    @Test
    void anOverlongSubIsNotALabel() {
        assertThat(IdTokens.claim(jwt("{\"sub\":\"" + "1".repeat(256) + "\"}"), "sub")).isEmpty();
        assertThat(IdTokens.claim(jwt("{\"sub\":\"" + "1".repeat(255) + "\"}"), "sub")).isPresent();
    }

    @Test
    void aRefreshNeverReplacesTheExternalUserIdAnIdentityAlreadyHas() throws Exception {
        google.enqueue(json(200, TOKEN));
        Identity known = identity().externalUserId("linked-by-the-host").build();

        Identity refreshed = GoogleFixtures.provider(google).build().refresh(known);

        assertThat(refreshed.externalUserId()).contains("linked-by-the-host");
        assertThat(refreshed.extra(GoogleProvider.ID_TOKEN_EXTRA)).contains(ID_TOKEN);
    }

    @Test
    void anIdentityWithoutOneTakesTheSubOfTheNextIdToken() throws Exception {
        google.enqueue(json(200, TOKEN));
        Identity unnamed = identity().externalUserId(null).build();

        Identity refreshed = GoogleFixtures.provider(google).build().refresh(unnamed);

        assertThat(refreshed.externalUserId()).contains("110169484474386276334");
    }

    private static String jwt(String claims) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        return b64.encodeToString("{\"alg\":\"RS256\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8)) + ".c2ln";
    }
}
