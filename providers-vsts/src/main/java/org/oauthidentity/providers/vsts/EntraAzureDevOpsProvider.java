package org.oauthidentity.providers.vsts;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.RefreshException;
import org.oauthidentity.RefreshRejectedException;
import org.oauthidentity.authorize.AccountLookup;
import org.oauthidentity.authorize.AuthorizationRequest;
import org.oauthidentity.authorize.CodeExchange;
import org.oauthidentity.oauth2.ErrorResponse;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.oauth2.OAuth2Settings;
import org.oauthidentity.oauth2.TokenResponse;

/**
 * Azure DevOps through Microsoft Entra ID (v2.0 endpoint): a standard refresh with the client credentials in
 * the form and a {@code scope} for the Azure DevOps resource. Entra explains each refusal with an
 * {@code AADSTS} code, which is kept as the exception's subtype. Thread-safe.
 *
 * <p>Linking an account is the standard code flow with PKCE (S256), {@code response_mode=query}, and the scope
 * repeated at the exchange; {@value #OFFLINE_ACCESS} is added to any scope that lacks it, since without it
 * Entra issues no refresh token and the identity could never be refreshed, and so is {@value #OPENID}, for the
 * {@code id_token} that names the account: its {@code oid} claim (the user's object id in the tenant), else its
 * {@code sub}.
 */
final class EntraAzureDevOpsProvider extends OAuth2Provider {
    private static final Pattern AADSTS = Pattern.compile("AADSTS\\d{4,9}");
    static final String OFFLINE_ACCESS = "offline_access";
    static final String OPENID = "openid";

    private final String scope;

    EntraAzureDevOpsProvider(OAuth2Settings settings, String scope) {
        super(settings);
        this.scope = scope;
    }

    @Override
    protected Map<String, String> refreshParameters(Identity identity, String refreshToken) throws RefreshException {
        Map<String, String> form = super.refreshParameters(identity, refreshToken);
        form.put("scope", scope);
        return form;
    }

    /** The standard query with {@code response_mode=query} and {@value #OFFLINE_ACCESS} in the scope. */
    @Override
    protected Map<String, String> authorizationParameters(AuthorizationRequest request) {
        Map<String, String> query = super.authorizationParameters(request);
        query.put("response_mode", "query");
        query.put("scope", withOfflineAccess(request.scopes()));
        return query;
    }

    /** The standard form with the scope of the authorization (Entra's v2.0 endpoint expects it here too). */
    @Override
    protected Map<String, String> codeExchangeParameters(CodeExchange exchange) throws RefreshException {
        Map<String, String> form = super.codeExchangeParameters(exchange);
        form.put("scope", withOfflineAccess(exchange.scopes()));
        return form;
    }

    /**
     * The requested scopes (this provider's when none), space-separated, with {@value #OFFLINE_ACCESS} and
     * {@value #OPENID}.
     */
    private String withOfflineAccess(List<String> requested) {
        List<String> scopes = new ArrayList<>(requested.isEmpty() ? settings.scopes() : requested);
        if (!scopes.contains(OFFLINE_ACCESS)) {
            scopes.add(OFFLINE_ACCESS);
        }
        if (!scopes.contains(OPENID)) {
            scopes.add(OPENID);
        }
        return String.join(" ", scopes);
    }

    /**
     * A new identity's account is the {@code oid} claim of the {@code id_token} of the code exchange, else its
     * {@code sub}. Its signature is NOT checked: it came straight from Entra's token endpoint over TLS, the one
     * case where OpenID Connect Core §3.1.3.7 allows that (see {@link org.oauthidentity.authorize.IdTokens}).
     *
     * @throws org.oauthidentity.authorize.AccountLookupException no {@code id_token} naming the account: the link
     *     fails and the flow revokes the new grant where it can
     */
    @Override
    protected Identity newIdentity(CodeExchange exchange, TokenResponse response) throws RefreshException {
        Identity issued = super.newIdentity(exchange, response).toBuilder()
                .refreshToken(response.refreshToken().orElse(null))
                .build();
        return AccountLookup.fromIdToken(response.field("id_token").orElse(null), issued, "oid", "sub");
    }

    /**
     * The base mapping; where it says "identity gone", "configuration" or "rejected", the AADSTS code is kept
     * as the subtype, and configuration errors say what to fix in the app registration.
     */
    @Override
    protected RefreshException mapError(ErrorResponse e) {
        RefreshException mapped = super.mapError(e);
        Optional<String> code = aadstsCode(e);
        if (mapped instanceof ProviderConfigurationException) {
            return new ProviderConfigurationException(details(e).subtype(code.orElse(e.subtype().orElse(null)))
                    .hint("Entra ID rejected this application's client credentials for provider '" + key() + "': "
                            + configurationHint(code.orElse("")) + "; identities are not affected"));
        }
        if (e.errorIs("interaction_required", "consent_required", "login_required")) {
            // MFA, conditional access or consent: only the user can fix it, in a new sign-in. Like Google's
            // rapt_required, no refresh of this identity will ever succeed again: it is gone for good.
            return new IdentityNotValid(details(e).subtype(code.orElse(e.subtype().orElse(null))));
        }
        if (code.isEmpty()) {
            return mapped;
        }
        if (mapped instanceof IdentityNotValid) {
            return new IdentityNotValid(details(e).subtype(code.get()));
        }
        if (mapped instanceof RefreshRejectedException) {
            return new RefreshRejectedException(details(e).subtype(code.get()));
        }
        return mapped;
    }

    /** The most specific AADSTS code of the description: Entra lists the generic one first ("AADSTS70002: ... AADSTS50012: ..."). */
    static Optional<String> aadstsCode(ErrorResponse e) {
        return e.description().flatMap(description -> {
            Matcher m = AADSTS.matcher(description);
            String last = null;
            while (m.find()) {
                last = m.group();
            }
            return Optional.ofNullable(last);
        });
    }

    private static String configurationHint(String code) {
        switch (code) {
            case "AADSTS7000215":
            case "AADSTS50012":
                return "the client secret is wrong: set clientSecret to the secret's Value (not its Secret ID) from"
                        + " Certificates & secrets of the app registration named by clientId";
            case "AADSTS7000222":
                return "the client secret has expired: create a new one under Certificates & secrets of the app"
                        + " registration and update clientSecret";
            case "AADSTS700016":
                return "the application was not found in the tenant: check clientId and the tenant";
            default:
                return "check clientId, clientSecret (its Value, and its expiry) and the tenant";
        }
    }
}
