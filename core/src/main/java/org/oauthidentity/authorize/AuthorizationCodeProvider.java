package org.oauthidentity.authorize;

import okhttp3.HttpUrl;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.Provider;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.RefreshException;
import org.oauthidentity.TransientRefreshException;

/**
 * A {@link Provider} that can also create identities: the two halves of the authorization-code grant
 * (RFC 6749 §4.1), which {@link AuthorizationFlow} drives. {@link org.oauthidentity.oauth2.OAuth2Provider}
 * implements it generically; vendor modules refine it through its protected hooks.
 *
 * <p>Implementations must be thread-safe, keep no per-flow state (the flow's state lives in a
 * {@link PendingAuthorizationStore}, so the callback may reach another instance) and never touch a store.
 */
public interface AuthorizationCodeProvider extends Provider {

    /**
     * Where to send the user's browser: the vendor's authorization endpoint with {@code response_type=code},
     * the client id, the request's redirect URI, scopes, state and (when present) PKCE challenge, plus any
     * parameter the vendor needs.
     *
     * @throws ProviderConfigurationException this provider has no authorization endpoint or client id
     */
    HttpUrl authorizeUrl(AuthorizationRequest request) throws ProviderConfigurationException;

    /**
     * Redeems an authorization code at the token endpoint ({@code grant_type=authorization_code}).
     *
     * @return a new identity, not stored: id {@link CodeExchange#identityId()}, version 0, expiry from the
     *     request's start plus {@code expires_in}, the refresh token and vendor extras ({@code id_token}) if sent
     * @throws IdentityNotValid the vendor refused the grant ({@code invalid_grant}): here that means the code
     *     expired, was already redeemed, or was issued for another redirect URI or PKCE verifier
     * @throws ProviderConfigurationException our client credentials were rejected
     * @throws TransientRefreshException outage; the code may or may not have been redeemed
     * @throws RefreshException any other refusal, as in the refresh error mapping
     */
    Identity exchangeCode(CodeExchange exchange) throws RefreshException;

    /**
     * True when the vendor accepts PKCE with S256 (RFC 7636); then every flow sends a challenge and the
     * exchange the verifier. Default true: servers ignore parameters they do not know (RFC 6749 §3.1).
     */
    default boolean supportsPkce() {
        return true;
    }
}
