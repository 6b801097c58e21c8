package org.oauthidentity;

/**
 * The vendor issued new tokens but the {@link IdentityStore} could not save them, so they were not used.
 * When the vendor rotates refresh tokens, the unsaved one may have been the only valid copy: the library
 * logs this loudly (identity id only, never a token) and {@link #tokensMayBeLost()} says so.
 */
public class RefreshNotPersistedException extends RefreshException {
    private static final long serialVersionUID = 1L;

    private final boolean tokensMayBeLost;

    public RefreshNotPersistedException(Details details, boolean tokensMayBeLost, Throwable cause) {
        super(details, cause);
        this.tokensMayBeLost = tokensMayBeLost;
    }

    /** True when the vendor rotated the refresh token, so the stored one is probably dead now. */
    public boolean tokensMayBeLost() {
        return tokensMayBeLost;
    }
}
