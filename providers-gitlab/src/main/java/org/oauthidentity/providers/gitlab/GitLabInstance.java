package org.oauthidentity.providers.gitlab;

import java.util.Map;
import java.util.Set;
import okhttp3.HttpUrl;
import org.oauthidentity.Identity;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.RefreshException;
import org.oauthidentity.authorize.AccountLookup;
import org.oauthidentity.authorize.CodeExchange;
import org.oauthidentity.oauth2.Endpoints;
import org.oauthidentity.oauth2.ErrorResponse;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.oauth2.OAuth2Settings;
import org.oauthidentity.oauth2.TokenResponse;

/**
 * One OAuth application on one GitLab instance: its settings carry that application's client id and secret and the
 * instance's endpoints. {@link GitLabProvider} picks the instance of each identity and flow; this class only speaks
 * GitLab's dialect of core's hooks. Immutable and thread-safe.
 */
final class GitLabInstance extends OAuth2Provider {
    private final HttpUrl baseUrl;
    private final String redirectUri;
    /** Accounts of the default instance keep GitLab's bare user id; others are qualified by their instance. */
    private final boolean isDefault;

    GitLabInstance(OAuth2Settings settings, HttpUrl baseUrl, String redirectUri, boolean isDefault) {
        super(settings);
        this.baseUrl = baseUrl;
        this.redirectUri = redirectUri;
        this.isDefault = isDefault;
    }

    HttpUrl baseUrl() {
        return baseUrl;
    }

    String redirectUri() {
        return redirectUri;
    }

    /** The identity's own instance: this one, or (through allowed hosts) another that uses this application. */
    private HttpUrl baseUrlOf(Identity identity) throws ProviderConfigurationException {
        return InstanceUrls.of(identity, baseUrl, settings.plainHttpHosts());
    }

    /**
     * The instance is the identity's, never the response's: every refresh keeps it, and a response naming one
     * cannot send the next refresh (and our client secret) elsewhere.
     */
    @Override
    protected Set<String> identityExtras() {
        return Set.of(GitLabProvider.BASE_URL_EXTRA);
    }

    @Override
    protected HttpUrl tokenUrl(Identity identity) throws RefreshException {
        return baseUrlOf(identity).resolve("oauth/token");
    }

    @Override
    protected HttpUrl revocationUrl(Identity identity) throws RefreshException {
        return baseUrlOf(identity).resolve("oauth/revoke");
    }

    @Override
    protected Map<String, String> refreshParameters(Identity identity, String refreshToken) throws RefreshException {
        Map<String, String> form = super.refreshParameters(identity, refreshToken);
        form.put("redirect_uri", redirectUri); // documented as required by GitLab for this grant
        return form;
    }

    /**
     * The new identity is pinned to this instance. Its account is the {@code id} of {@code GET /api/v4/user} here,
     * asked with the new access token; on an instance other than the default, qualified as
     * {@code id@host[:port]/path}, since user ids of two instances collide.
     */
    @Override
    protected Identity newIdentity(CodeExchange exchange, TokenResponse response) throws RefreshException {
        Identity issued = super.newIdentity(exchange, response).toBuilder()
                .refreshToken(response.refreshToken().orElse(null))
                .extra(GitLabProvider.BASE_URL_EXTRA, baseUrl.toString())
                .build();
        Identity named = AccountLookup.fromUserApi(settings.httpClient(), baseUrl.resolve("api/v4/user"), "id", issued,
                settings.maxResponseBytes(), settings.plainHttpHosts());
        if (isDefault) {
            return named;
        }
        return named.toBuilder()
                .externalUserId(named.externalUserId().orElseThrow() + "@" + InstanceUrls.accountSuffix(baseUrl))
                .build();
    }

    @Override
    protected RefreshException mapError(ErrorResponse e) {
        RefreshException mapped = super.mapError(e);
        if (mapped instanceof ProviderConfigurationException) {
            return new ProviderConfigurationException(details(e).hint("GitLab rejected this application for provider '"
                    + key() + "': check the application ID and secret of the OAuth application registered on "
                    + Endpoints.display(baseUrl) + " (they differ per instance); identities are not affected"));
        }
        return mapped;
    }

    @Override
    public String toString() {
        return "GitLabInstance{" + Endpoints.display(baseUrl) + ", clientId=" + settings.clientId() + '}';
    }
}
