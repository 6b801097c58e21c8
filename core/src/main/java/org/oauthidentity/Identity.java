package org.oauthidentity;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One linked account at one vendor: the OAuth2 credentials the library keeps alive, plus bookkeeping.
 *
 * <p>Immutable and thread-safe. Change it with {@link #toBuilder()}. {@link #toString()} never prints the
 * access token, the refresh token, any vendor extra (an {@code id_token} is a credential too) or the owner id.
 *
 * <p>{@link #version()} guards the credentials: an {@link IdentityStore} saves a changed identity only if
 * the stored version is still the one it was read at. {@link #incarnation()} tells apart two identities stored
 * under the same id one after the other (an account unlinked and linked again): the store draws a new one at
 * every {@link IdentityStore#create}, and a save never crosses from one incarnation to another, even where the
 * versions happen to match. The verification bookkeeping ({@link #lastVerifiedAt()},
 * {@link #status()}) is written by the validation sweep and does not move the version, so a sweep never
 * makes a concurrent refresh lose its compare-and-set.
 */
public final class Identity {
    private final String id;
    private final String providerKey;
    private final String externalUserId;
    private final String ownerId;
    private final String accessToken;
    private final String refreshToken;
    private final String tokenType;
    private final Instant expiresAt;
    private final Set<String> scopes;
    private final Map<String, String> extras;
    private final Instant lastVerifiedAt;
    private final VerificationStatus status;
    private final long version;
    private final long incarnation;

    private Identity(Builder b) {
        this.id = requireText(b.id, "id");
        this.providerKey = requireText(b.providerKey, "providerKey");
        this.externalUserId = b.externalUserId;
        this.ownerId = emptyToNull(b.ownerId);
        this.accessToken = requireText(b.accessToken, "accessToken");
        this.refreshToken = emptyToNull(b.refreshToken);
        this.tokenType = b.tokenType == null || b.tokenType.isBlank() ? "Bearer" : b.tokenType;
        this.expiresAt = b.expiresAt;
        this.scopes = Collections.unmodifiableSet(new LinkedHashSet<>(b.scopes));
        this.extras = Collections.unmodifiableMap(new LinkedHashMap<>(b.extras));
        this.lastVerifiedAt = b.lastVerifiedAt;
        this.status = b.status == null ? VerificationStatus.UNVERIFIED : b.status;
        this.version = b.version;
        this.incarnation = b.incarnation;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** The store's key for this identity. */
    public String id() {
        return id;
    }

    /** Which {@link Provider} refreshes this identity (e.g. {@code gitlab}). */
    public String providerKey() {
        return providerKey;
    }

    /** The account's id at the vendor, if known. */
    public Optional<String> externalUserId() {
        return Optional.ofNullable(externalUserId);
    }

    /**
     * The host application's own user this identity was linked for (the owner an authorization was started
     * for), if known. Not a secret: a user id, never a session id. At most one identity per provider key,
     * external user id and owner exists in a store, so linking the same account again for the same owner
     * updates that identity.
     */
    public Optional<String> ownerId() {
        return Optional.ofNullable(ownerId);
    }

    public String accessToken() {
        return accessToken;
    }

    /** Absent when the vendor never issued one: such an identity cannot be refreshed. */
    public Optional<String> refreshToken() {
        return Optional.ofNullable(refreshToken);
    }

    public String tokenType() {
        return tokenType;
    }

    /** Absent when the vendor did not say: then only a 401 tells that the token is no longer good. */
    public Optional<Instant> expiresAt() {
        return Optional.ofNullable(expiresAt);
    }

    public Set<String> scopes() {
        return scopes;
    }

    /** Fields of the token response the library does not model ({@code created_at}, {@code id_token}, ...). */
    public Map<String, String> extras() {
        return extras;
    }

    public Optional<String> extra(String name) {
        return Optional.ofNullable(extras.get(name));
    }

    public Optional<Instant> lastVerifiedAt() {
        return Optional.ofNullable(lastVerifiedAt);
    }

    public VerificationStatus status() {
        return status;
    }

    /** Moves by one on every saved change of the credentials; 0 for an identity never saved. */
    public long version() {
        return version;
    }

    /**
     * Which life of this id the identity belongs to: drawn at random by the store at {@link IdentityStore#create}
     * and never changed by a save; 0 for an identity never stored (and for rows stored before incarnations
     * existed). Two identities with the same id and different incarnations are different accounts.
     */
    public long incarnation() {
        return incarnation;
    }

    /** True when {@code other} is the same life of the same id (same id and incarnation), at any version. */
    public boolean sameIncarnation(Identity other) {
        return id.equals(other.id) && incarnation == other.incarnation;
    }

    /** True when the identity has an expiry and it is at or before {@code instant}. */
    public boolean expiresBefore(Instant instant) {
        return expiresAt != null && !expiresAt.isAfter(instant);
    }

    /** Same credentials and bookkeeping; compares every field, tokens included. */
    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof Identity)) return false;
        Identity that = (Identity) o;
        return version == that.version
                && incarnation == that.incarnation
                && id.equals(that.id)
                && providerKey.equals(that.providerKey)
                && Objects.equals(externalUserId, that.externalUserId)
                && Objects.equals(ownerId, that.ownerId)
                && accessToken.equals(that.accessToken)
                && Objects.equals(refreshToken, that.refreshToken)
                && tokenType.equals(that.tokenType)
                && Objects.equals(expiresAt, that.expiresAt)
                && scopes.equals(that.scopes)
                && extras.equals(that.extras)
                && Objects.equals(lastVerifiedAt, that.lastVerifiedAt)
                && status == that.status;
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, providerKey, version);
    }

    @Override
    public String toString() {
        return "Identity{id=" + id
                + ", provider=" + providerKey
                + ", externalUserId=" + externalUserId
                // Not printed: hosts that bound flows to a session before owners were stored may pass a session id.
                + ", ownerId=" + (ownerId == null ? "<none>" : "<set>")
                + ", accessToken=<redacted>"
                + ", refreshToken=" + (refreshToken == null ? "<none>" : "<redacted>")
                + ", tokenType=" + tokenType
                + ", expiresAt=" + expiresAt
                + ", scopes=" + scopes
                + ", extras=" + extras.keySet()
                + ", lastVerifiedAt=" + lastVerifiedAt
                + ", status=" + status
                + ", version=" + version
                + ", incarnation=" + Long.toHexString(incarnation)
                + '}';
    }

    private static String requireText(String value, String name) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException(name + " is required");
        }
        return value;
    }

    private static String emptyToNull(String value) {
        return value == null || value.isEmpty() ? null : value;
    }

    /** Not thread-safe; build on one thread. */
    public static final class Builder {
        private String id;
        private String providerKey;
        private String externalUserId;
        private String ownerId;
        private String accessToken;
        private String refreshToken;
        private String tokenType;
        private Instant expiresAt;
        private final Set<String> scopes = new LinkedHashSet<>();
        private final Map<String, String> extras = new LinkedHashMap<>();
        private Instant lastVerifiedAt;
        private VerificationStatus status;
        private long version;
        private long incarnation;

        private Builder() {
        }

        private Builder(Identity i) {
            id = i.id;
            providerKey = i.providerKey;
            externalUserId = i.externalUserId;
            ownerId = i.ownerId;
            accessToken = i.accessToken;
            refreshToken = i.refreshToken;
            tokenType = i.tokenType;
            expiresAt = i.expiresAt;
            scopes.addAll(i.scopes);
            extras.putAll(i.extras);
            lastVerifiedAt = i.lastVerifiedAt;
            status = i.status;
            version = i.version;
            incarnation = i.incarnation;
        }

        public Builder id(String id) {
            this.id = id;
            return this;
        }

        public Builder providerKey(String providerKey) {
            this.providerKey = providerKey;
            return this;
        }

        public Builder externalUserId(String externalUserId) {
            this.externalUserId = externalUserId;
            return this;
        }

        /** The host application's user the identity was linked for; {@code null} or empty means "unknown". */
        public Builder ownerId(String ownerId) {
            this.ownerId = ownerId;
            return this;
        }

        public Builder accessToken(String accessToken) {
            this.accessToken = accessToken;
            return this;
        }

        /** {@code null} or empty means "none". */
        public Builder refreshToken(String refreshToken) {
            this.refreshToken = refreshToken;
            return this;
        }

        public Builder tokenType(String tokenType) {
            this.tokenType = tokenType;
            return this;
        }

        /** {@code null} means "unknown expiry". */
        public Builder expiresAt(Instant expiresAt) {
            this.expiresAt = expiresAt;
            return this;
        }

        public Builder scopes(Iterable<String> scopes) {
            this.scopes.clear();
            scopes.forEach(s -> this.scopes.add(Objects.requireNonNull(s, "scope")));
            return this;
        }

        public Builder extras(Map<String, String> extras) {
            this.extras.clear();
            extras.forEach(this::extra);
            return this;
        }

        public Builder extra(String name, String value) {
            Objects.requireNonNull(name, "name");
            if (value == null) {
                extras.remove(name);
            } else {
                extras.put(name, value);
            }
            return this;
        }

        public Builder lastVerifiedAt(Instant lastVerifiedAt) {
            this.lastVerifiedAt = lastVerifiedAt;
            return this;
        }

        public Builder status(VerificationStatus status) {
            this.status = status;
            return this;
        }

        public Builder version(long version) {
            if (version < 0) {
                throw new IllegalArgumentException("version must be >= 0");
            }
            this.version = version;
            return this;
        }

        /** Set by the store at {@link IdentityStore#create}; callers copy it with {@link Identity#toBuilder()}. */
        public Builder incarnation(long incarnation) {
            this.incarnation = incarnation;
            return this;
        }

        public Identity build() {
            return new Identity(this);
        }
    }
}
