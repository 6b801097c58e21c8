package org.oauthidentity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The value everything passes around: validated, immutable, compared in full, printed without tokens. */
class IdentityTest {
    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");

    private final Identity identity = Identity.builder().id("user-1").providerKey("example")
            .accessToken("access-secret-1").refreshToken("refresh-secret-1").expiresAt(T0)
            .scopes(List.of("read", "api")).extras(Map.of("id_token", "id-token-secret-1")).build();

    @Test
    void idProviderAndAccessTokenAreRequired() {
        assertThatThrownBy(() -> identity.toBuilder().id("").build()).hasMessageContaining("id is required");
        assertThatThrownBy(() -> identity.toBuilder().providerKey(null).build())
                .hasMessageContaining("providerKey is required");
        assertThatThrownBy(() -> identity.toBuilder().accessToken("").build())
                .hasMessageContaining("accessToken is required");
        assertThatThrownBy(() -> identity.toBuilder().version(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void defaultsAreSpelledOut() {
        Identity minimal = Identity.builder().id("u").providerKey("p").accessToken("a").refreshToken("").build();

        assertThat(minimal.refreshToken()).as("empty means none").isEmpty();
        assertThat(minimal.tokenType()).isEqualTo("Bearer");
        assertThat(minimal.expiresAt()).isEmpty();
        assertThat(minimal.status()).isEqualTo(VerificationStatus.UNVERIFIED);
        assertThat(minimal.version()).isZero();
        assertThat(minimal.expiresBefore(T0)).as("unknown expiry never counts as expired").isFalse();
    }

    @Test
    void expiresBeforeIncludesTheInstantItself() {
        assertThat(identity.expiresBefore(T0)).isTrue();
        assertThat(identity.expiresBefore(T0.minusMillis(1))).isFalse();
    }

    @Test
    void itIsImmutable() {
        assertThatThrownBy(() -> identity.scopes().add("write")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> identity.extras().put("x", "y")).isInstanceOf(UnsupportedOperationException.class);
        Identity changed = identity.toBuilder().extra("id_token", null).accessToken("access-secret-2").build();
        assertThat(changed.extras()).isEmpty();
        assertThat(identity.extra("id_token")).contains("id-token-secret-1");
        assertThat(identity.accessToken()).isEqualTo("access-secret-1");
    }

    @Test
    void equalsComparesEveryFieldTokensIncluded() {
        assertThat(identity.toBuilder().build()).isEqualTo(identity).hasSameHashCodeAs(identity);
        assertThat(identity.toBuilder().accessToken("other").build()).isNotEqualTo(identity);
        assertThat(identity.toBuilder().refreshToken("other").build()).isNotEqualTo(identity);
        assertThat(identity.toBuilder().extra("id_token", "other").build()).isNotEqualTo(identity);
        assertThat(identity.toBuilder().lastVerifiedAt(T0).build()).isNotEqualTo(identity);
        assertThat(identity.toBuilder().version(1).build()).isNotEqualTo(identity);
    }

    @Test
    void toStringNamesTheIdentityButNoTokenOrExtraValue() {
        String text = identity.toString();

        assertThat(text).contains("user-1").contains("example").contains("id_token").contains("<redacted>");
        assertThat(text).doesNotContain("access-secret-1").doesNotContain("refresh-secret-1")
                .doesNotContain("id-token-secret-1");
        assertThat(identity.toBuilder().refreshToken(null).build().toString()).contains("refreshToken=<none>");
    }

    @Test
    void refreshExceptionDetailsBuildTheStandardMessage() {
        RefreshException plain = new IdentityNotValid(RefreshException.Details.of("identity user-1 has no refresh token"));
        RefreshException http = new RefreshRejectedException(
                RefreshException.Details.http(400, "invalid_scope", "Bad scope").subtype("x").hint("Check the scopes"));
        RefreshException bare = new TransientRefreshException(RefreshException.Details.http(502, null, null), null);

        assertThat(plain.getMessage()).isEqualTo("identity user-1 has no refresh token");
        assertThat(plain.httpStatus()).isZero();
        assertThat(http.getMessage()).isEqualTo("HTTP 400 (invalid_scope/x): Bad scope. Check the scopes");
        assertThat(bare.getMessage()).isEqualTo("HTTP 502 (no error code): no description");
        assertThat(http).isInstanceOf(java.io.IOException.class);
    }
}
