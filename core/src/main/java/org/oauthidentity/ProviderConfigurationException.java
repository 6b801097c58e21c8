package org.oauthidentity;

/**
 * Our side is misconfigured: the vendor rejected the client credentials ({@code invalid_client},
 * {@code unauthorized_client}, {@code deleted_client}) or the provider was built wrong. Never the
 * identity's fault, so it must never cause an identity to be unlinked.
 *
 * <p>Most such errors concern every identity of the provider, and a validation sweep stops at the first one
 * rather than fail them all. A few concern one identity only ({@link #concernsOneIdentity()}), e.g. a
 * self-managed GitLab identity naming an instance the configuration does not allow: the sweep counts that
 * identity as an error (still linked, not trusted) and goes on with the others.
 */
public class ProviderConfigurationException extends RefreshException {
    private static final long serialVersionUID = 1L;

    private final boolean concernsOneIdentity;

    public ProviderConfigurationException(Details details) {
        this(details, null);
    }

    public ProviderConfigurationException(Details details, Throwable cause) {
        super(details, cause);
        this.concernsOneIdentity = false;
    }

    private ProviderConfigurationException(Details details, Throwable cause, boolean concernsOneIdentity) {
        super(details, cause);
        this.concernsOneIdentity = concernsOneIdentity;
    }

    /**
     * A configuration error that only the identity being refreshed runs into (its own settings do not fit
     * the provider's configuration); the provider works for the others.
     */
    public static ProviderConfigurationException forOneIdentity(Details details) {
        return new ProviderConfigurationException(details, null, true);
    }

    /** True when only the identity being refreshed is affected; false when every identity is. */
    public boolean concernsOneIdentity() {
        return concernsOneIdentity;
    }
}
