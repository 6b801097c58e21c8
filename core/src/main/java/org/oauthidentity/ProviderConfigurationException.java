package org.oauthidentity;

/**
 * Our side is misconfigured: the vendor rejected the client credentials ({@code invalid_client},
 * {@code unauthorized_client}, {@code deleted_client}) or the provider was built wrong. Never the
 * identity's fault, so it must never cause an identity to be unlinked; it stops a validation sweep.
 */
public class ProviderConfigurationException extends RefreshException {
    private static final long serialVersionUID = 1L;

    public ProviderConfigurationException(Details details) {
        super(details, null);
    }

    public ProviderConfigurationException(Details details, Throwable cause) {
        super(details, cause);
    }
}
