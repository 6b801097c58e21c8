package org.oauthidentity.oauth2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.util.Map;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.RefreshException;
import org.oauthidentity.RefreshRejectedException;
import org.oauthidentity.support.FormBodies;
import org.oauthidentity.support.SecretLeaks;
import org.oauthidentity.support.TokenJson;
import org.oauthidentity.testing.ManualClock;

/**
 * What a vendor module builds on: the protected hooks change the request and the mapping, while the
 * request machinery (secrets redaction, body cap, https rule) stays the base class's. Also revocation.
 */
class OAuth2ProviderHooksTest {
    private static final String ASSERTION_SECRET = "client-assertion-jwt-secret";

    private final ManualClock clock = ManualClock.at("2025-01-01T00:00:00Z");

    @RegisterExtension
    final TokenEndpoint endpoint = new TokenEndpoint();
    private final MockWebServer server = endpoint.server();

    /** Like Azure DevOps: jwt-bearer, the refresh token sent as {@code assertion}, a per-identity URL. */
    private static final class AssertionVendor extends OAuth2Provider {
        AssertionVendor(OAuth2Settings settings) {
            super(settings);
        }

        @Override
        protected HttpUrl tokenUrl(Identity identity) {
            return HttpUrl.get(identity.extra("instance_url").orElseThrow()).resolve("/oauth2/token");
        }

        @Override
        protected Map<String, String> refreshParameters(Identity identity, String refreshToken) {
            return Map.of(
                    "grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer",
                    "assertion", refreshToken,
                    "client_assertion", ASSERTION_SECRET);
        }

        @Override
        protected RefreshException mapError(ErrorResponse e) {
            // A vendor may refine: this one says "gone" with a description code.
            if (e.status() == 400 && e.description().orElse("").startsWith("AADSTS700082")) {
                return new IdentityNotValid(details(e));
            }
            return super.mapError(e);
        }

        @Override
        protected Identity toIdentity(Identity previous, TokenResponse response, Instant requestStart) {
            return super.toIdentity(previous, response, requestStart).toBuilder()
                    .externalUserId(response.field("user_id").orElse(null)).build();
        }
    }

    private AssertionVendor vendor() {
        return new AssertionVendor(OAuth2Settings.builder().providerKey("vendor")
                .clientAuthentication(ClientAuthentication.NONE).clock(clock).build());
    }

    private Identity identity() {
        return Identity.builder().id("user-1").providerKey("vendor").accessToken("access-token-1")
                .refreshToken("refresh-token-1").extra("instance_url", server.url("/tenant/").toString()).build();
    }

    @Test
    void hooksShapeTheRequestAndTheResult() throws Exception {
        server.enqueue(TokenJson.success("access-token-2").field("user_id", "u-77").expiresIn(60).response());

        Identity refreshed = vendor().refresh(identity());

        RecordedRequest request = server.takeRequest();
        assertThat(request.getUrl().encodedPath()).isEqualTo("/oauth2/token");
        assertThat(FormBodies.parse(request.getBody().utf8())).containsOnly(
                Map.entry("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                Map.entry("assertion", "refresh-token-1"),
                Map.entry("client_assertion", ASSERTION_SECRET));
        assertThat(request.getHeaders().get("Authorization")).isNull();
        assertThat(refreshed.externalUserId()).contains("u-77");
    }

    @Test
    void aRefinedMappingAppliesAndTheRestFallsBackToTheTable() {
        server.enqueue(TokenJson.error("invalid_request", "AADSTS700082: The refresh token has expired").response(400));
        assertThrows(IdentityNotValid.class, () -> vendor().refresh(identity()));

        server.enqueue(TokenJson.error("invalid_request", "AADSTS9002313: Invalid request").response(400));
        assertThrows(RefreshRejectedException.class, () -> vendor().refresh(identity()));
    }

    @Test
    void secretFormFieldsOfAnyGrantAreRedactedFromWhatTheVendorEchoes() {
        server.enqueue(TokenJson.error("invalid_grant", "assertion refresh-token-1 and client_assertion "
                + ASSERTION_SECRET + " rejected").response(400));

        IdentityNotValid e = assertThrows(IdentityNotValid.class, () -> vendor().refresh(identity()));

        SecretLeaks.assertNoSecretIn(e, "refresh-token-1", ASSERTION_SECRET);
        assertThat(e.errorDescription()).contains("<withheld: it echoed a credential>");
    }

    // ---- revocation (RFC 7009) --------------------------------------------------------------------------

    @Test
    void revokeSendsTheRefreshTokenWithItsHintAndTheClientCredentials() throws Exception {
        server.enqueue(new MockResponse.Builder().code(200).build());
        OAuth2Provider provider = OAuth2Provider.create(settings().revocationUrl(server.url("/revoke").toString()).build());

        provider.revoke(identity());

        RecordedRequest request = server.takeRequest();
        assertThat(request.getUrl().encodedPath()).isEqualTo("/revoke");
        assertThat(FormBodies.parse(request.getBody().utf8())).containsOnly(
                Map.entry("token", "refresh-token-1"), Map.entry("token_type_hint", "refresh_token"),
                Map.entry("client_id", "client-1"), Map.entry("client_secret", "client-secret-1"));
    }

    @Test
    void withoutARefreshTokenTheAccessTokenIsRevoked() throws Exception {
        server.enqueue(new MockResponse.Builder().code(200).build());
        OAuth2Provider provider = OAuth2Provider.create(settings().revocationUrl(server.url("/revoke").toString()).build());

        provider.revoke(identity().toBuilder().refreshToken(null).build());

        assertThat(FormBodies.parse(server.takeRequest().getBody().utf8()))
                .containsEntry("token", "access-token-1").containsEntry("token_type_hint", "access_token");
    }

    @Test
    void aRefusedRevocationIsMappedAndRedacted() {
        server.enqueue(TokenJson.error("unsupported_token_type", "cannot revoke refresh-token-1").response(400));
        OAuth2Provider provider = OAuth2Provider.create(settings().revocationUrl(server.url("/revoke").toString()).build());

        RefreshRejectedException e = assertThrows(RefreshRejectedException.class, () -> provider.revoke(identity()));

        SecretLeaks.assertNoSecretIn(e, "refresh-token-1", "client-secret-1");
    }

    @Test
    void withoutARevocationEndpointRevokeIsUnsupported() {
        OAuth2Provider provider = OAuth2Provider.create(settings().build());

        assertThatThrownBy(() -> provider.revoke(identity())).isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("example");
        assertThat(server.getRequestCount()).isZero();
    }

    @Test
    void aVendorRevocationUrlIsHeldToTheHttpsRuleToo() {
        OAuth2Provider insecure = new OAuth2Provider(settings().build()) {
            @Override
            protected HttpUrl revocationUrl(Identity identity) {
                return HttpUrl.get("http://auth.example.com/revoke");
            }
        };

        assertThatThrownBy(() -> insecure.revoke(identity())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("revocation URL must use https");
    }

    private OAuth2Settings.Builder settings() {
        return endpoint.settings().clientAuthentication(ClientAuthentication.CLIENT_SECRET_POST).clock(clock);
    }
}
