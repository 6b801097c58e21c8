package org.oauthidentity.authorize;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One redemption of an authorization code: the code from the callback, the redirect URI and PKCE verifier
 * of the authorization it answers, the scopes asked for, and the id the new identity will have.
 * Immutable; {@link #toString()} never prints the code or the verifier.
 */
public final class CodeExchange {
    private final String code;
    private final String redirectUri;
    private final String codeVerifier;
    private final List<String> scopes;
    private final String identityId;

    private CodeExchange(Builder b) {
        this.code = AuthorizationRequest.requireText(b.code, "code");
        this.redirectUri = AuthorizationRequest.requireText(b.redirectUri, "redirectUri");
        this.codeVerifier = b.codeVerifier == null || b.codeVerifier.isEmpty() ? null : b.codeVerifier;
        this.scopes = List.copyOf(b.scopes);
        this.identityId = AuthorizationRequest.requireText(b.identityId, "identityId");
    }

    public static Builder builder() {
        return new Builder();
    }

    public String code() {
        return code;
    }

    /** Exactly the redirect URI the authorization request carried (RFC 6749 §4.1.3). */
    public String redirectUri() {
        return redirectUri;
    }

    /** The PKCE verifier; absent when the authorization was started without a challenge. */
    public Optional<String> codeVerifier() {
        return Optional.ofNullable(codeVerifier);
    }

    /** The scopes asked for (empty: the provider's defaults); the identity's scopes when the vendor omits them. */
    public List<String> scopes() {
        return scopes;
    }

    /** The id the new identity gets in the store. */
    public String identityId() {
        return identityId;
    }

    @Override
    public String toString() {
        return "CodeExchange{identityId=" + identityId + ", redirectUri=" + redirectUri + ", scopes=" + scopes
                + ", code=<redacted>, codeVerifier=" + (codeVerifier == null ? "<none>" : "<redacted>") + '}';
    }

    /** Not thread-safe; build on one thread. */
    public static final class Builder {
        private String code;
        private String redirectUri;
        private String codeVerifier;
        private List<String> scopes = List.of();
        private String identityId;

        private Builder() {
        }

        public Builder code(String code) {
            this.code = code;
            return this;
        }

        public Builder redirectUri(String redirectUri) {
            this.redirectUri = redirectUri;
            return this;
        }

        /** Null for none. */
        public Builder codeVerifier(String codeVerifier) {
            this.codeVerifier = codeVerifier;
            return this;
        }

        public Builder scopes(List<String> scopes) {
            this.scopes = List.copyOf(Objects.requireNonNull(scopes, "scopes"));
            return this;
        }

        public Builder identityId(String identityId) {
            this.identityId = identityId;
            return this;
        }

        public CodeExchange build() {
            return new CodeExchange(this);
        }
    }
}
