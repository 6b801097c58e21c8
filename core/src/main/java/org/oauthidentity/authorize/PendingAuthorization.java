package org.oauthidentity.authorize;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An authorization that was started and not yet completed: what {@link AuthorizationFlow#complete} needs
 * to check the callback and redeem its code. Immutable and thread-safe.
 *
 * <p>It holds the state and the owner binding only as SHA-256 digests (base64url): a session id is a
 * bearer secret, and a leaked store must not let anyone forge a callback. The PKCE verifier is kept as it
 * is (the exchange needs it) and lives only as long as the record's TTL. {@link #toString()} prints neither
 * the verifier nor the digests. The builder exists so that stores can rebuild a record they persisted.
 */
public final class PendingAuthorization {
    private final String stateDigest;
    private final String providerKey;
    private final String redirectUri;
    private final String codeVerifier;
    private final String ownerDigest;
    private final List<String> scopes;
    private final Instant createdAt;

    private PendingAuthorization(Builder b) {
        this.stateDigest = AuthorizationRequest.requireText(b.stateDigest, "stateDigest");
        this.providerKey = AuthorizationRequest.requireText(b.providerKey, "providerKey");
        this.redirectUri = AuthorizationRequest.requireText(b.redirectUri, "redirectUri");
        this.codeVerifier = b.codeVerifier == null || b.codeVerifier.isEmpty() ? null : b.codeVerifier;
        this.ownerDigest = AuthorizationRequest.requireText(b.ownerDigest, "ownerDigest");
        this.scopes = List.copyOf(b.scopes);
        this.createdAt = Objects.requireNonNull(b.createdAt, "createdAt");
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Base64url SHA-256 of the {@code state} sent to the vendor. */
    public String stateDigest() {
        return stateDigest;
    }

    /** The {@link org.oauthidentity.Provider#key()} that started it. */
    public String providerKey() {
        return providerKey;
    }

    /** The redirect URI of the authorization request; the code exchange must repeat it exactly. */
    public String redirectUri() {
        return redirectUri;
    }

    /** The PKCE verifier (a secret); absent when the provider does not do PKCE. */
    public Optional<String> codeVerifier() {
        return Optional.ofNullable(codeVerifier);
    }

    /** Base64url SHA-256 of the user or session the authorization belongs to. */
    public String ownerDigest() {
        return ownerDigest;
    }

    /** The scopes asked for; empty means the provider's defaults. */
    public List<String> scopes() {
        return scopes;
    }

    public Instant createdAt() {
        return createdAt;
    }

    @Override
    public String toString() {
        return "PendingAuthorization{provider=" + providerKey + ", redirectUri=" + redirectUri + ", scopes=" + scopes
                + ", createdAt=" + createdAt + ", pkce=" + (codeVerifier != null) + '}';
    }

    /** Not thread-safe; build on one thread. */
    public static final class Builder {
        private String stateDigest;
        private String providerKey;
        private String redirectUri;
        private String codeVerifier;
        private String ownerDigest;
        private List<String> scopes = List.of();
        private Instant createdAt;

        private Builder() {
        }

        public Builder stateDigest(String stateDigest) {
            this.stateDigest = stateDigest;
            return this;
        }

        public Builder providerKey(String providerKey) {
            this.providerKey = providerKey;
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

        public Builder ownerDigest(String ownerDigest) {
            this.ownerDigest = ownerDigest;
            return this;
        }

        public Builder scopes(List<String> scopes) {
            this.scopes = List.copyOf(Objects.requireNonNull(scopes, "scopes"));
            return this;
        }

        public Builder createdAt(Instant createdAt) {
            this.createdAt = createdAt;
            return this;
        }

        public PendingAuthorization build() {
            return new PendingAuthorization(this);
        }
    }
}
