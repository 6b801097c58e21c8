package org.oauthidentity.spring.boot;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.oauthidentity.Identity;
import org.oauthidentity.authorize.AuthorizationException;
import org.oauthidentity.authorize.AuthorizationFlow;
import org.oauthidentity.authorize.AuthorizationRedirect;

/**
 * One {@link AuthorizationFlow} per configured provider, each starting links with the redirect URI configured for
 * it. A controller starts a link with {@link #start(String, String)} (redirect the browser to the answer's URL)
 * and completes it from the callback's query parameters with {@link #complete(String, Map, String)}.
 *
 * <p>Thread-safe: the flows are, and this holds nothing else. All state lives in the identity and pending
 * stores, so with the JDBC store the callback may reach any instance of the service.
 */
public final class AuthorizationFlows {
    private final OAuthIdentityProviders providers;
    private final Map<String, AuthorizationFlow> flows;

    /**
     * @param providers the providers and their redirect URIs
     * @param flowFor makes the flow of one provider key
     */
    public AuthorizationFlows(OAuthIdentityProviders providers, Function<String, AuthorizationFlow> flowFor) {
        this.providers = Objects.requireNonNull(providers, "providers");
        this.flows = providers.keys().stream().collect(Collectors.toUnmodifiableMap(k -> k, flowFor));
    }

    /**
     * The flow of {@code providerKey}.
     *
     * @throws IllegalArgumentException no provider has that key
     */
    public AuthorizationFlow flow(String providerKey) {
        AuthorizationFlow flow = flows.get(providerKey);
        if (flow == null) {
            throw new IllegalArgumentException("no provider with key '" + providerKey + "'; configured: "
                    + flows.keySet());
        }
        return flow;
    }

    /**
     * Starts linking an account of {@code ownerId} at {@code providerKey}, asking for the configured scopes.
     *
     * @param providerKey the vendor
     * @param ownerId the service's user (not a session secret): the identity's owner
     * @return where to redirect the browser
     * @throws AuthorizationException the provider cannot build an authorize URL
     * @throws IllegalArgumentException no provider has that key
     */
    public AuthorizationRedirect start(String providerKey, String ownerId) throws AuthorizationException {
        return flow(providerKey).start(providers.redirectUri(providerKey), ownerId, List.of());
    }

    /**
     * Completes a link from the callback's query parameters.
     *
     * @param providerKey the vendor whose callback this is
     * @param callback the callback's query parameters ({@code state}, {@code code} or {@code error})
     * @param ownerId the user presenting the callback; must be the one who started it
     * @return the stored identity, new or (for an account this owner linked before) updated
     * @throws AuthorizationException every refusal; nothing was stored
     */
    public Identity complete(String providerKey, Map<String, String> callback, String ownerId)
            throws AuthorizationException {
        return flow(providerKey).complete(callback, ownerId);
    }

    @Override
    public String toString() {
        return "AuthorizationFlows{" + flows.keySet() + '}';
    }
}
