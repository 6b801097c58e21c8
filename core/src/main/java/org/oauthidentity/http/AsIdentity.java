package org.oauthidentity.http;

import java.util.Objects;

/**
 * A request tag naming the identity a request is sent as, for a {@link RefreshingHttpClient} that serves many:
 * {@code new Request.Builder().url(...).tag(AsIdentity.class, AsIdentity.of("user-42"))}. Immutable; make one
 * per identity and reuse it ({@link RefreshingHttpClient#forIdentity} does).
 */
public final class AsIdentity {
    private final String identityId;

    private AsIdentity(String identityId) {
        if (identityId == null || identityId.isBlank()) {
            throw new IllegalArgumentException("identityId is required");
        }
        this.identityId = identityId;
    }

    public static AsIdentity of(String identityId) {
        return new AsIdentity(identityId);
    }

    public String identityId() {
        return identityId;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AsIdentity && ((AsIdentity) o).identityId.equals(identityId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(identityId);
    }

    @Override
    public String toString() {
        return "AsIdentity{" + identityId + '}';
    }
}
