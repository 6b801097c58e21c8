package org.oauthidentity.spring.boot;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Everything under {@code oauth-identity.*}. Bound once at start-up and immutable; values are checked when the
 * beans are built, and a missing or malformed one fails the start with an {@link OAuthIdentityPropertyException}
 * naming the property. Secrets bound here are never logged nor put in a message.
 *
 * @param providers the vendors, by provider key ({@code oauth-identity.providers.<key>.*}); the key is what
 *     identities name in {@code providerKey}
 * @param store where identities and pending authorizations live
 * @param client the multi-identity HTTP client
 * @param flow account linking
 * @param sweep the scheduled validation sweep
 */
@ConfigurationProperties("oauth-identity")
public record OAuthIdentityProperties(
        Map<String, ProviderProperties> providers,
        @DefaultValue Store store,
        @DefaultValue Client client,
        @DefaultValue Flow flow,
        @DefaultValue Sweep sweep) {

    /** Binds the properties; absent maps and lists become empty. */
    public OAuthIdentityProperties {
        providers = providers == null ? Map.of() : Map.copyOf(providers);
    }

    /** The vendors a provider can be configured for. */
    public enum Type {
        /** GitLab.com or a self-managed GitLab ({@code instance-url}). */
        GITLAB,
        /** Azure DevOps' legacy app OAuth ({@code client-id} is the App ID, {@code client-secret} the app's secret). */
        AZURE_DEVOPS,
        /** Azure DevOps through Microsoft Entra ID ({@code tenant} required; {@code instance-url} the authority host). */
        ENTRA,
        /** Google. */
        GOOGLE,
        /** Any RFC 6749 vendor ({@code token-url} and {@code api-origins} required). */
        GENERIC
    }

    /** How a generic provider authenticates at the token endpoint. */
    public enum ClientAuthentication {
        /** HTTP Basic ({@code client_secret_basic}). */
        BASIC,
        /** In the form body ({@code client_secret_post}). */
        POST
    }

    /**
     * One vendor, {@code oauth-identity.providers.<key>.*}.
     *
     * @param type the vendor; required
     * @param clientId the OAuth application's client id (Azure DevOps legacy: the App ID); required
     * @param clientSecret its secret; required
     * @param redirectUri the callback registered at the vendor, where linking returns; required
     * @param scopes the scopes a link asks for; default the vendor's
     * @param instanceUrl GitLab: the instance (default {@code https://gitlab.com}); Entra: the authority host
     *     (default the public cloud)
     * @param allowedHosts GitLab: other instances identities may name (host names)
     * @param tenant Entra: the tenant id, a verified domain or {@code organizations}; required there
     * @param tokenUrl Google, Azure DevOps legacy, generic: the token endpoint (generic: required)
     * @param authorizationUrl Google, Azure DevOps legacy, generic: the authorization endpoint
     * @param revocationUrl Google, generic: the revocation endpoint
     * @param profileUrl Azure DevOps legacy: where a linked account is named
     * @param clientAuthentication generic: {@code basic} (default) or {@code post}
     * @param apiOrigins where this vendor's tokens may be sent by the HTTP client (scheme, host, port); default the
     *     vendor's API (GitLab: the instance; Azure DevOps and Entra: {@code https://dev.azure.com} and
     *     {@code https://app.vssps.visualstudio.com}; Google: {@code https://www.googleapis.com}); generic: required
     * @param rateLimit at most this many token requests per second from this instance to the vendor (refreshes of
     *     users and sweep checks together; users' go first); default none. Per instance: divide the vendor's budget
     *     by the number of instances
     */
    public record ProviderProperties(
            Type type,
            String clientId,
            String clientSecret,
            String redirectUri,
            List<String> scopes,
            String instanceUrl,
            List<String> allowedHosts,
            String tenant,
            String tokenUrl,
            String authorizationUrl,
            String revocationUrl,
            String profileUrl,
            ClientAuthentication clientAuthentication,
            List<String> apiOrigins,
            Double rateLimit) {

        /** Binds one provider; absent lists become empty. */
        public ProviderProperties {
            scopes = scopes == null ? List.of() : List.copyOf(scopes);
            allowedHosts = allowedHosts == null ? List.of() : List.copyOf(allowedHosts);
            apiOrigins = apiOrigins == null ? List.of() : List.copyOf(apiOrigins);
        }

        @Override
        public String toString() {
            return "ProviderProperties{type=" + type + ", clientId=" + clientId + ", redirectUri=" + redirectUri + '}';
        }
    }

    /**
     * {@code oauth-identity.store.*}.
     *
     * @param createSchema whether the JDBC store creates or upgrades its tables at start-up; turn it off when a
     *     migration tool owns the schema
     * @param leaseTtl how long a refresh lease lasts if its holder dies (JDBC store)
     */
    public record Store(@DefaultValue("true") boolean createSchema, @DefaultValue("60s") Duration leaseTtl) {
    }

    /**
     * {@code oauth-identity.client.*}.
     *
     * @param maxIdentities identities the HTTP client keeps in memory at most
     * @param idleExpiry how long an unused identity stays cached
     */
    public record Client(@DefaultValue("20000") int maxIdentities, @DefaultValue("30m") Duration idleExpiry) {
    }

    /**
     * {@code oauth-identity.flow.*}.
     *
     * @param ttl how long a started link waits for its callback
     */
    public record Flow(@DefaultValue("10m") Duration ttl) {
    }

    /**
     * {@code oauth-identity.sweep.*}.
     *
     * @param enabled whether the validation sweep runs; off unless set
     * @param period how often a pass starts (after the previous one ended)
     * @param interval an identity verified less than this long ago is not checked again
     * @param concurrency checks in flight at once
     * @param deadline how long after its start a pass may still start checks; default the interval
     * @param jitter up to how much earlier than a check its recorded time is (towards the identity's own slot in the
     *     interval), so identities checked together spread over the interval; default a tenth of the interval
     */
    public record Sweep(
            @DefaultValue("false") boolean enabled,
            @DefaultValue("5m") Duration period,
            @DefaultValue("1h") Duration interval,
            @DefaultValue("8") int concurrency,
            Duration deadline,
            Duration jitter) {
    }
}
