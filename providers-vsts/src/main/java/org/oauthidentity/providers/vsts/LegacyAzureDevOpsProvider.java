package org.oauthidentity.providers.vsts;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import org.oauthidentity.Identity;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.RefreshException;
import org.oauthidentity.RefreshRejectedException;
import okhttp3.HttpUrl;
import org.oauthidentity.authorize.AccountLookup;
import org.oauthidentity.authorize.AuthorizationRequest;
import org.oauthidentity.authorize.CodeExchange;
import org.oauthidentity.oauth2.ErrorResponse;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.oauth2.OAuth2Settings;
import org.oauthidentity.oauth2.TokenResponse;

/**
 * Legacy Azure DevOps OAuth: the refresh token travels as a jwt-bearer {@code assertion}, the app's client
 * secret as {@code client_assertion}, and the registered {@code redirect_uri} is mandatory. Thread-safe.
 *
 * <p>Linking an account: the authorize URL asks for {@code response_type=Assertion} with the App ID as
 * {@code client_id} and no PKCE (Azure DevOps knows none); the code is redeemed like a refresh token, as the
 * {@code assertion} of a {@code urn:ietf:params:oauth:grant-type:jwt-bearer} grant. An app registration has
 * exactly one callback URL, which every refresh repeats, so an authorization must use that one. The account of a
 * new identity is its profile id ({@link #newIdentity}).
 */
final class LegacyAzureDevOpsProvider extends OAuth2Provider {
    static final String JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    /** The grant of a code exchange: the authorization code is the jwt-bearer assertion (RFC 7523 §2.1). */
    static final String JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";

    // Azure DevOps reports an expired app secret as invalid_request ("Client secret is expired."), not invalid_client.
    private static final Pattern SECRET_EXPIRED = Pattern.compile("(?i)\\bsecret\\b.*\\bexpired\\b");

    private final String redirectUri;
    private final HttpUrl profileUrl;

    LegacyAzureDevOpsProvider(OAuth2Settings settings, String redirectUri, HttpUrl profileUrl) {
        super(settings);
        this.redirectUri = redirectUri;
        this.profileUrl = profileUrl;
    }

    @Override
    protected Map<String, String> refreshParameters(Identity identity, String refreshToken) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("client_assertion_type", JWT_BEARER);
        form.put("client_assertion", settings.clientSecret());
        form.put("grant_type", "refresh_token");
        form.put("assertion", refreshToken);
        form.put("redirect_uri", redirectUri);
        return form;
    }

    /** Azure DevOps' authorization endpoint takes no PKCE parameters. */
    @Override
    public boolean supportsPkce() {
        return false;
    }

    /**
     * The standard query with {@code response_type=Assertion}, and without PKCE even if a challenge was given.
     *
     * @throws IllegalArgumentException the request's redirect URI is not the app's registered callback URL, which
     *     this provider's refreshes send: an identity linked through another one could not be refreshed
     */
    @Override
    protected Map<String, String> authorizationParameters(AuthorizationRequest request) {
        if (!redirectUri.equals(request.redirectUri())) {
            throw new IllegalArgumentException("Azure DevOps provider '" + key() + "' refreshes with the callback URL "
                    + redirectUri + "; an authorization must use the same redirect URI");
        }
        Map<String, String> query = super.authorizationParameters(request);
        query.put("response_type", "Assertion");
        query.remove("code_challenge");
        query.remove("code_challenge_method");
        return query;
    }

    /** The code travels like a refresh token: as the assertion of a jwt-bearer grant, beside the client assertion. */
    @Override
    protected Map<String, String> codeExchangeParameters(CodeExchange exchange) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("client_assertion_type", JWT_BEARER);
        form.put("client_assertion", settings.clientSecret());
        form.put("grant_type", JWT_BEARER_GRANT);
        form.put("assertion", exchange.code());
        form.put("redirect_uri", exchange.redirectUri());
        return form;
    }

    /**
     * A new identity's account is the {@code id} of the user's profile ({@link AzureDevOps#LEGACY_PROFILE_URL},
     * asked with the new access token).
     *
     * @throws org.oauthidentity.authorize.AccountLookupException the profile could not be read: the link fails and
     *     the flow revokes the new grant where it can
     */
    @Override
    protected Identity newIdentity(CodeExchange exchange, TokenResponse response) throws RefreshException {
        Identity issued = super.newIdentity(exchange, response).toBuilder()
                .refreshToken(response.refreshToken().orElse(null))
                .build();
        return AccountLookup.fromUserApi(settings.httpClient(), profileUrl, "id", issued, settings.maxResponseBytes());
    }

    /** Azure DevOps labels its tokens {@code jwt-bearer}, but its REST API takes them as {@code Authorization: Bearer}. */
    @Override
    protected Identity toIdentity(Identity previous, TokenResponse response, Instant requestStart) {
        return super.toIdentity(previous, response, requestStart).toBuilder().tokenType("Bearer").build();
    }

    /**
     * The base mapping, with two refinements: every configuration error says what to check at Azure DevOps,
     * and an expired app secret (reported as {@code invalid_request}) is a configuration error too.
     */
    @Override
    protected RefreshException mapError(ErrorResponse e) {
        RefreshException mapped = super.mapError(e);
        boolean secretExpired = mapped instanceof RefreshRejectedException
                && e.errorIs("invalid_request")
                && e.description().map(d -> SECRET_EXPIRED.matcher(d).find()).orElse(false);
        if (mapped instanceof ProviderConfigurationException || secretExpired) {
            return new ProviderConfigurationException(details(e).hint("Azure DevOps rejected provider '" + key()
                    + "' client assertion: check that clientSecret is the app's Client Secret (a JWT; not the App ID"
                    + " or App Secret) and has not expired (60 days by default: rotate it in your Visual Studio"
                    + " profile); identities are not affected"));
        }
        return mapped;
    }
}
