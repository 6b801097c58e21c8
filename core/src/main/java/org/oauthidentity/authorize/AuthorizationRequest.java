package org.oauthidentity.authorize;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What one authorization asks the vendor for: the redirect URI, scopes, {@code state} and the PKCE
 * challenge. Built by {@link AuthorizationFlow#start}; vendor tests build their own. Immutable;
 * {@link #toString()} never prints the state.
 */
public final class AuthorizationRequest {
    /** The only PKCE method this library sends (RFC 7636 §4.2). */
    public static final String S256 = "S256";

    private final String redirectUri;
    private final String state;
    private final List<String> scopes;
    private final String codeChallenge;

    private AuthorizationRequest(Builder b) {
        this.redirectUri = requireText(b.redirectUri, "redirectUri");
        this.state = requireText(b.state, "state");
        this.scopes = List.copyOf(b.scopes);
        this.codeChallenge = b.codeChallenge == null || b.codeChallenge.isEmpty() ? null : b.codeChallenge;
    }

    public static Builder builder() {
        return new Builder();
    }

    public String redirectUri() {
        return redirectUri;
    }

    public String state() {
        return state;
    }

    /** The scopes asked for; empty means "the provider's defaults". */
    public List<String> scopes() {
        return scopes;
    }

    /** The S256 challenge of the flow's code verifier; absent when the provider does not do PKCE. */
    public Optional<String> codeChallenge() {
        return Optional.ofNullable(codeChallenge);
    }

    /** {@value #S256} when there is a challenge. */
    public Optional<String> codeChallengeMethod() {
        return codeChallenge == null ? Optional.empty() : Optional.of(S256);
    }

    @Override
    public String toString() {
        return "AuthorizationRequest{redirectUri=" + redirectUri + ", scopes=" + scopes + ", state=<redacted>, pkce="
                + (codeChallenge != null) + '}';
    }

    static String requireText(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " is required");
        }
        return value;
    }

    /** Not thread-safe; build on one thread. */
    public static final class Builder {
        private String redirectUri;
        private String state;
        private List<String> scopes = List.of();
        private String codeChallenge;

        private Builder() {
        }

        public Builder redirectUri(String redirectUri) {
            this.redirectUri = redirectUri;
            return this;
        }

        public Builder state(String state) {
            this.state = state;
            return this;
        }

        public Builder scopes(List<String> scopes) {
            this.scopes = List.copyOf(Objects.requireNonNull(scopes, "scopes"));
            return this;
        }

        /** The S256 challenge ({@code BASE64URL(SHA256(verifier))}); null for none. */
        public Builder codeChallenge(String codeChallenge) {
            this.codeChallenge = codeChallenge;
            return this;
        }

        public AuthorizationRequest build() {
            return new AuthorizationRequest(this);
        }
    }
}
