package org.oauthidentity;

/**
 * Refreshes identities at one vendor. The one extension point a vendor module implements (usually by
 * extending {@link org.oauthidentity.oauth2.OAuth2Provider}).
 *
 * <p>Implementations must be thread-safe and must not touch any {@link IdentityStore}: persisting, single
 * flight and retries are the caller's job ({@link org.oauthidentity.refresh.IdentityRefresher}).
 */
public interface Provider {

    /** The key identities name in {@link Identity#providerKey()}. */
    String key();

    /**
     * Asks the vendor for new tokens.
     *
     * @return the identity with the new credentials, same id and version (the store moves the version)
     * @throws IdentityNotValid the identity is gone for good (nothing will ever refresh it)
     * @throws ProviderConfigurationException our client credentials or settings are wrong
     * @throws TransientRefreshException try again later; nothing changed
     * @throws RefreshException any other refusal by the vendor
     */
    Identity refresh(Identity identity) throws RefreshException;

    /**
     * Revokes the identity's grant at the vendor, so that unlinking an account also ends it there.
     * Vendors without a revocation endpoint throw {@link UnsupportedOperationException}.
     */
    default void revoke(Identity identity) throws RefreshException {
        throw new UnsupportedOperationException(key() + " has no revocation endpoint");
    }
}
