package org.oauthidentity.providers.vsts;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import org.oauthidentity.Identity;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.RefreshException;
import org.oauthidentity.RefreshRejectedException;
import org.oauthidentity.oauth2.ErrorResponse;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.oauth2.OAuth2Settings;
import org.oauthidentity.oauth2.TokenResponse;

/**
 * Legacy Azure DevOps OAuth: the refresh token travels as a jwt-bearer {@code assertion}, the app's client
 * secret as {@code client_assertion}, and the registered {@code redirect_uri} is mandatory. Thread-safe.
 */
final class LegacyAzureDevOpsProvider extends OAuth2Provider {
    static final String JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    // Azure DevOps reports an expired app secret as invalid_request ("Client secret is expired."), not invalid_client.
    private static final Pattern SECRET_EXPIRED = Pattern.compile("(?i)\\bsecret\\b.*\\bexpired\\b");

    private final String redirectUri;

    LegacyAzureDevOpsProvider(OAuth2Settings settings, String redirectUri) {
        super(settings);
        this.redirectUri = redirectUri;
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
