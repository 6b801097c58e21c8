package org.oauthidentity.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.oauth2.ClientAuthentication;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.testing.ManualClock;
import org.oauthidentity.testkit.FakeAuthorizationServer.Dialect;

/** The server authenticates clients like a real one: right id and secret or nothing, compared in constant time. */
class ClientAuthenticationTest {
    private final ManualClock clock = ManualClock.at("2025-03-01T10:00:00Z");

    @Test
    void rejectsAWrongSecretAsAConfigurationErrorAndLeavesTheIdentityUsable() throws Exception {
        try (FakeAuthorizationServer server = FakeAuthorizationServer.builder().clock(clock).start()) {
            Identity identity = server.issueIdentity("alice", "read");
            OAuth2Provider wrongSecret = OAuth2Provider.create(
                    server.oauth2Settings().clientSecret("not-the-secret-at-all").build());

            assertThatThrownBy(() -> wrongSecret.refresh(identity))
                    .isInstanceOfSatisfying(ProviderConfigurationException.class, e -> {
                        assertThat(e.httpStatus()).isEqualTo(401);
                        assertThat(e.error()).contains("invalid_client");
                        assertThat(e.getMessage()).doesNotContain("not-the-secret-at-all");
                    });

            // Nothing was consumed: the right client still refreshes the same identity.
            OAuth2Provider rightSecret = OAuth2Provider.create(server.oauth2Settings().build());
            assertThat(rightSecret.refresh(identity).accessToken()).isNotEqualTo(identity.accessToken());
        }
    }

    @Test
    void comparesEveryClientIdAndTheSecretInConstantTimeWithoutShortCircuit() throws Exception {
        try (FakeAuthorizationServer server = FakeAuthorizationServer.builder().clock(clock)
                .client("app-one", "secret-one-0123456789")
                .additionalClient("app-two", "secret-two-0123456789")
                .additionalClient("app-three", "secret-three-0123456789")
                .start()) {
            Identity identity = server.issueIdentity("alice", "read");
            long before = server.clients().comparisons();

            Wire.Answer wrongSecret = Wire.postBasic(server.tokenUrl(), "app-one", "secret-one-0123456780",
                    Wire.form("grant_type", "refresh_token", "refresh_token", identity.refreshToken().get()));
            long afterWrongSecret = server.clients().comparisons();
            Wire.Answer unknownClient = Wire.postBasic(server.tokenUrl(), "app-nine", "secret-one-0123456789",
                    Wire.form("grant_type", "refresh_token", "refresh_token", identity.refreshToken().get()));
            long afterUnknownClient = server.clients().comparisons();

            assertThat(wrongSecret.status()).isEqualTo(401);
            assertThat(wrongSecret.field("error")).isEqualTo("invalid_client");
            assertThat(wrongSecret.headers().get("WWW-Authenticate")).startsWith("Basic");
            assertThat(unknownClient.status()).isEqualTo(401);
            assertThat(unknownClient.field("error")).isEqualTo("invalid_client");
            // Three ids and one secret each time: a match on the first id does not stop the loop, and an
            // unknown id still costs a secret comparison, so timing tells neither which id nor which part.
            assertThat(afterWrongSecret - before).isEqualTo(4);
            assertThat(afterUnknownClient - afterWrongSecret).isEqualTo(4);
        }
    }

    @Test
    void constantTimeEqualityIsExactEquality() {
        assertThat(Secrets.constantTimeEquals("s3cret-value", "s3cret-value")).isTrue();
        assertThat(Secrets.constantTimeEquals("s3cret-value", "s3cret-valuf")).isFalse();
        assertThat(Secrets.constantTimeEquals("s3cret-value", "s3cret-value-longer")).isFalse();
        assertThat(Secrets.constantTimeEquals("s3cret-value", "")).isFalse();
        assertThat(Secrets.constantTimeEquals("", null)).isFalse();
        assertThat(Secrets.constantTimeEquals(null, null)).isFalse();
        assertThat(Secrets.constantTimeEquals("é", "é")).isTrue();
    }

    @Test
    void acceptsBasicAndFormCredentialsButNotBothAtOnce() throws Exception {
        try (FakeAuthorizationServer server = FakeAuthorizationServer.builder().clock(clock).start()) {
            Identity identity = server.issueIdentity("alice", "read");
            OAuth2Provider basic = OAuth2Provider.create(server.oauth2Settings()
                    .clientAuthentication(ClientAuthentication.CLIENT_SECRET_BASIC).build());
            OAuth2Provider post = OAuth2Provider.create(server.oauth2Settings()
                    .clientAuthentication(ClientAuthentication.CLIENT_SECRET_POST).build());

            Identity once = basic.refresh(identity);
            Identity twice = post.refresh(once);
            Wire.Answer both = Wire.postBasic(server.tokenUrl(), server.clientId(), server.clientSecret(),
                    Wire.form("grant_type", "refresh_token", "refresh_token", twice.refreshToken().get(),
                            "client_id", server.clientId(), "client_secret", server.clientSecret()));

            assertThat(twice.accessToken()).isNotEqualTo(once.accessToken());
            assertThat(both.status()).isEqualTo(400);
            assertThat(both.field("error")).isEqualTo("invalid_request");
        }
    }

    @Test
    void refusesARequestWithoutCredentialsOrWithARepeatedParameter() throws Exception {
        try (FakeAuthorizationServer server = FakeAuthorizationServer.builder().clock(clock).start()) {
            Identity identity = server.issueIdentity("alice", "read");
            String refreshToken = identity.refreshToken().get();

            Wire.Answer anonymous = Wire.post(server.tokenUrl(),
                    Wire.form("grant_type", "refresh_token", "refresh_token", refreshToken));
            okhttp3.FormBody repeated = new okhttp3.FormBody.Builder()
                    .add("grant_type", "refresh_token")
                    .add("refresh_token", refreshToken)
                    .add("refresh_token", refreshToken)
                    .build();
            Wire.Answer twice = Wire.execute(new okhttp3.Request.Builder().url(server.tokenUrl()).post(repeated)
                    .header("Authorization", okhttp3.Credentials.basic(server.clientId(), server.clientSecret()))
                    .build());

            assertThat(anonymous.status()).isEqualTo(401);
            assertThat(anonymous.field("error")).isEqualTo("invalid_client");
            assertThat(twice.status()).isEqualTo(400);
            assertThat(twice.field("error")).isEqualTo("invalid_request");
            assertThat(twice.field("error_description")).contains("refresh_token");
        }
    }

    @Test
    void refusesAnUnknownGrantType() throws Exception {
        try (FakeAuthorizationServer server = FakeAuthorizationServer.builder().clock(clock).start()) {
            Wire.Answer answer = Wire.postBasic(server.tokenUrl(), server.clientId(), server.clientSecret(),
                    Wire.form("grant_type", "password", "username", "alice", "password", "hunter22"));

            assertThat(answer.status()).isEqualTo(400);
            assertThat(answer.field("error")).isEqualTo("unsupported_grant_type");
            assertThat(server.tokenRequests("password")).isEqualTo(1);
        }
    }

    @Test
    void eachDialectWordsAWrongSecretLikeTheVendor() throws Exception {
        try (FakeAuthorizationServer entra = FakeAuthorizationServer.builder().dialect(Dialect.ENTRA).clock(clock)
                .start();
             FakeAuthorizationServer google = FakeAuthorizationServer.builder().dialect(Dialect.GOOGLE).clock(clock)
                     .start();
             FakeAuthorizationServer gitlab = FakeAuthorizationServer.builder().dialect(Dialect.GITLAB).clock(clock)
                     .start()) {
            Wire.Answer e = wrongSecret(entra);
            Wire.Answer g = wrongSecret(google);
            Wire.Answer l = wrongSecret(gitlab);

            assertThat(e.status()).isEqualTo(401);
            assertThat(e.field("error_description")).startsWith("AADSTS7000215: Invalid client secret provided.");
            assertThat(e.json().get("error_codes").get(0).asInt()).isEqualTo(7000215);
            assertThat(g.status()).isEqualTo(401);
            assertThat(g.field("error_description")).isEqualTo("Unauthorized");
            assertThat(l.status()).isEqualTo(401);
            assertThat(l.field("error_description")).startsWith("Client authentication failed due to unknown client");
        }
    }

    private static Wire.Answer wrongSecret(FakeAuthorizationServer server) throws Exception {
        Identity identity = server.issueIdentity("alice", "openid");
        return Wire.post(server.tokenUrl(), Wire.form("grant_type", "refresh_token",
                "refresh_token", identity.refreshToken().get(),
                "client_id", server.clientId(), "client_secret", "wrong-secret-0123456789"));
    }
}
