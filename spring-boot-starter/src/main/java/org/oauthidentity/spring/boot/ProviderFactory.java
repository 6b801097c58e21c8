package org.oauthidentity.spring.boot;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import okhttp3.HttpUrl;
import org.oauthidentity.authorize.AuthorizationCodeProvider;
import org.oauthidentity.oauth2.ClientAuthentication;
import org.oauthidentity.oauth2.Endpoints;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.oauth2.OAuth2Settings;
import org.oauthidentity.providers.gitlab.GitLabProvider;
import org.oauthidentity.providers.google.GoogleProvider;
import org.oauthidentity.providers.vsts.AzureDevOps;
import org.oauthidentity.spring.boot.OAuthIdentityProperties.ProviderProperties;

/**
 * Builds the vendors' providers from {@code oauth-identity.providers.<key>.*}. Every refusal is an
 * {@link OAuthIdentityPropertyException} naming the property: required ones are checked here by name, a URL by
 * its property, and what only a vendor's builder can judge is reported against the provider's prefix with the
 * builder's message (which never carries a secret).
 */
final class ProviderFactory {
    static final String PREFIX = "oauth-identity.providers.";
    private static final List<String> AZURE_DEVOPS_APIS = List.of("https://dev.azure.com",
            "https://app.vssps.visualstudio.com");
    private static final List<String> GOOGLE_APIS = List.of("https://www.googleapis.com",
            "https://openidconnect.googleapis.com");

    private ProviderFactory() {
    }

    /** Every configured provider, in key order (so start-up failures are reported in a stable order). */
    static OAuthIdentityProviders create(Map<String, ProviderProperties> configured, Clock clock) {
        if (configured.isEmpty()) {
            throw new OAuthIdentityPropertyException("oauth-identity.providers", "at least one provider is required, "
                    + "e.g. oauth-identity.providers.gitlab.type=gitlab");
        }
        OAuthIdentityProviders.Builder providers = OAuthIdentityProviders.builder();
        new TreeMap<>(configured).forEach((key, p) -> add(providers, key, p, clock));
        return providers.build();
    }

    private static void add(OAuthIdentityProviders.Builder providers, String key, ProviderProperties p, Clock clock) {
        Named n = new Named(PREFIX + key + ".");
        if (p.type() == null) {
            throw n.missing("type", "one of gitlab, azure-devops, entra, google, generic");
        }
        n.required("client-id", p.clientId());
        n.required("client-secret", p.clientSecret());
        n.url("redirect-uri", n.required("redirect-uri", p.redirectUri()));
        AuthorizationCodeProvider provider;
        List<String> origins = new ArrayList<>(p.apiOrigins());
        switch (p.type()) {
            case GITLAB:
                n.unused(p, "tenant", p.tenant(), "token-url", p.tokenUrl(), "authorization-url", p.authorizationUrl(),
                        "revocation-url", p.revocationUrl(), "profile-url", p.profileUrl(), "client-authentication",
                        p.clientAuthentication());
                String instance = p.instanceUrl() == null ? GitLabProvider.GITLAB_COM : p.instanceUrl();
                HttpUrl base = n.url("instance-url", instance);
                provider = n.build(() -> GitLabProvider.builder()
                        .providerKey(key).baseUrl(instance)
                        .clientId(p.clientId()).clientSecret(p.clientSecret()).redirectUri(p.redirectUri())
                        .scopes(p.scopes().toArray(String[]::new)).allowedHosts(p.allowedHosts())
                        .clock(clock).build());
                if (origins.isEmpty()) {
                    origins.add(origin(base));
                    p.allowedHosts().forEach(host -> origins.add("https://" + host.trim()));
                }
                break;
            case AZURE_DEVOPS:
                n.unused(p, "tenant", p.tenant(), "instance-url", p.instanceUrl(), "allowed-hosts",
                        emptyToNull(p.allowedHosts()), "revocation-url", p.revocationUrl(), "client-authentication",
                        p.clientAuthentication());
                AzureDevOps.LegacyBuilder legacy = AzureDevOps.legacy().providerKey(key).appId(p.clientId())
                        .clientSecret(p.clientSecret()).redirectUri(p.redirectUri()).clock(clock);
                if (!p.scopes().isEmpty()) {
                    legacy.scope(String.join(" ", p.scopes()));
                }
                if (p.tokenUrl() != null) {
                    legacy.tokenUrl(n.url("token-url", p.tokenUrl()).toString());
                }
                if (p.authorizationUrl() != null) {
                    legacy.authorizationUrl(n.url("authorization-url", p.authorizationUrl()).toString());
                }
                if (p.profileUrl() != null) {
                    legacy.profileUrl(n.url("profile-url", p.profileUrl()).toString());
                }
                provider = n.build(legacy::build);
                if (origins.isEmpty()) {
                    origins.addAll(AZURE_DEVOPS_APIS);
                }
                break;
            case ENTRA:
                n.unused(p, "allowed-hosts", emptyToNull(p.allowedHosts()), "token-url", p.tokenUrl(),
                        "authorization-url", p.authorizationUrl(), "revocation-url", p.revocationUrl(), "profile-url",
                        p.profileUrl(), "client-authentication", p.clientAuthentication());
                AzureDevOps.EntraBuilder entra = AzureDevOps.entra(n.required("tenant", p.tenant())).providerKey(key)
                        .clientId(p.clientId()).clientSecret(p.clientSecret()).clock(clock);
                if (!p.scopes().isEmpty()) {
                    entra.scope(String.join(" ", p.scopes()));
                }
                if (p.instanceUrl() != null) {
                    entra.authorityHost(n.url("instance-url", p.instanceUrl()).toString());
                }
                provider = n.build(entra::build);
                if (origins.isEmpty()) {
                    origins.addAll(AZURE_DEVOPS_APIS);
                }
                break;
            case GOOGLE:
                n.unused(p, "tenant", p.tenant(), "instance-url", p.instanceUrl(), "allowed-hosts",
                        emptyToNull(p.allowedHosts()), "profile-url", p.profileUrl(), "client-authentication",
                        p.clientAuthentication());
                GoogleProvider.Builder google = GoogleProvider.builder().providerKey(key)
                        .clientId(p.clientId()).clientSecret(p.clientSecret()).clock(clock);
                if (!p.scopes().isEmpty()) {
                    google.scopes(p.scopes().toArray(String[]::new));
                }
                if (p.tokenUrl() != null) {
                    google.tokenUrl(n.url("token-url", p.tokenUrl()).toString());
                }
                if (p.authorizationUrl() != null) {
                    google.authorizationUrl(n.url("authorization-url", p.authorizationUrl()).toString());
                }
                if (p.revocationUrl() != null) {
                    google.revocationUrl(n.url("revocation-url", p.revocationUrl()).toString());
                }
                provider = n.build(google::build);
                if (origins.isEmpty()) {
                    origins.addAll(GOOGLE_APIS);
                }
                break;
            case GENERIC:
                n.unused(p, "tenant", p.tenant(), "instance-url", p.instanceUrl(), "allowed-hosts",
                        emptyToNull(p.allowedHosts()), "profile-url", p.profileUrl());
                OAuth2Settings.Builder settings = OAuth2Settings.builder().providerKey(key)
                        .tokenUrl(n.url("token-url", n.required("token-url", p.tokenUrl())).toString())
                        .clientId(p.clientId()).clientSecret(p.clientSecret())
                        .clientAuthentication(p.clientAuthentication() == OAuthIdentityProperties.ClientAuthentication.POST
                                ? ClientAuthentication.CLIENT_SECRET_POST : ClientAuthentication.CLIENT_SECRET_BASIC)
                        .scopes(p.scopes()).clock(clock);
                if (p.authorizationUrl() != null) {
                    settings.authorizationUrl(n.url("authorization-url", p.authorizationUrl()).toString());
                }
                if (p.revocationUrl() != null) {
                    settings.revocationUrl(n.url("revocation-url", p.revocationUrl()).toString());
                }
                provider = n.build(() -> OAuth2Provider.create(settings.build()));
                if (origins.isEmpty()) {
                    throw n.missing("api-origins", "where this vendor's API is (e.g. https://api.example.com): "
                            + "tokens are sent there only");
                }
                break;
            default:
                throw new AssertionError(p.type());
        }
        List<String> checked = new ArrayList<>();
        for (int i = 0; i < origins.size(); i++) {
            checked.add(origin(n.url("api-origins[" + i + "]", origins.get(i))));
        }
        providers.add(provider, p.redirectUri(), checked);
    }

    private static String origin(HttpUrl url) {
        return new HttpUrl.Builder().scheme(url.scheme()).host(url.host()).port(url.port()).build().toString();
    }

    private static Object emptyToNull(List<String> list) {
        return list.isEmpty() ? null : list;
    }

    /** Names properties under one provider's prefix. */
    private static final class Named {
        private final String prefix;

        Named(String prefix) {
            this.prefix = prefix;
        }

        OAuthIdentityPropertyException missing(String name, String expected) {
            return new OAuthIdentityPropertyException(prefix + name, "is required: " + expected);
        }

        String required(String name, String value) {
            if (value == null || value.isBlank()) {
                throw new OAuthIdentityPropertyException(prefix + name, "is required");
            }
            return value.trim();
        }

        /** An absolute URL, https unless the host is loopback. */
        HttpUrl url(String name, String value) {
            try {
                return Endpoints.requireSecure(value.trim(), name);
            } catch (IllegalArgumentException e) {
                throw new OAuthIdentityPropertyException(prefix + name,
                        "must be an absolute https URL (http only on loopback)", e);
            }
        }

        /** Pairs of property name and value that this vendor type does not read: set, they are a mistake. */
        void unused(ProviderProperties p, Object... pairs) {
            for (int i = 0; i < pairs.length; i += 2) {
                if (pairs[i + 1] != null) {
                    throw new OAuthIdentityPropertyException(prefix + pairs[i], "is not used by type "
                            + p.type().name().toLowerCase(Locale.ROOT).replace('_', '-') + "; remove it");
                }
            }
        }

        AuthorizationCodeProvider build(Supplier<? extends AuthorizationCodeProvider> builder) {
            try {
                return builder.get();
            } catch (IllegalArgumentException | NullPointerException | IllegalStateException e) {
                throw new OAuthIdentityPropertyException(prefix.substring(0, prefix.length() - 1),
                        "the provider refused its settings: " + e.getMessage(), e);
            }
        }
    }
}
