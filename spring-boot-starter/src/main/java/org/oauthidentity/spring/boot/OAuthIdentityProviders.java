package org.oauthidentity.spring.boot;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import okhttp3.HttpUrl;
import org.oauthidentity.authorize.AuthorizationCodeProvider;

/**
 * The vendors a service links accounts at: per provider key, the {@link AuthorizationCodeProvider}, the redirect
 * URI its links return to, and the API origins its tokens may be sent to. The auto-configuration builds it from
 * {@code oauth-identity.providers.*}; a service that builds its providers in code declares a bean of this type
 * instead ({@link #builder()}), and the refresher, the HTTP client and the flows follow it.
 *
 * <p>Immutable and thread-safe. {@link #toString()} names keys and origins, never a secret.
 */
public final class OAuthIdentityProviders {
    private final Map<String, Entry> entries;
    private final List<HttpUrl> apiOrigins;

    private OAuthIdentityProviders(Map<String, Entry> entries) {
        this.entries = Map.copyOf(entries);
        Set<HttpUrl> origins = new LinkedHashSet<>();
        entries.values().forEach(e -> origins.addAll(e.apiOrigins));
        this.apiOrigins = List.copyOf(origins);
    }

    /** An empty set of providers to add to. */
    public static Builder builder() {
        return new Builder();
    }

    /** The provider keys, in no particular order. */
    public Set<String> keys() {
        return entries.keySet();
    }

    /** Every provider. */
    public Collection<AuthorizationCodeProvider> providers() {
        List<AuthorizationCodeProvider> all = new ArrayList<>();
        entries.values().forEach(e -> all.add(e.provider));
        return List.copyOf(all);
    }

    /** The provider of {@code key}, if there is one. */
    public Optional<AuthorizationCodeProvider> provider(String key) {
        Entry entry = entries.get(key);
        return entry == null ? Optional.empty() : Optional.of(entry.provider);
    }

    /**
     * The callback registered at the vendor of {@code key}.
     *
     * @throws IllegalArgumentException no provider has that key
     */
    public String redirectUri(String key) {
        return require(key).redirectUri;
    }

    /** Every provider's API origins together: where the HTTP client may send tokens. */
    public List<HttpUrl> apiOrigins() {
        return apiOrigins;
    }

    private Entry require(String key) {
        Entry entry = entries.get(key);
        if (entry == null) {
            throw new IllegalArgumentException("no provider with key '" + key + "'; configured: " + entries.keySet());
        }
        return entry;
    }

    @Override
    public String toString() {
        return "OAuthIdentityProviders{keys=" + entries.keySet() + ", apiOrigins=" + apiOrigins + '}';
    }

    private static final class Entry {
        final AuthorizationCodeProvider provider;
        final String redirectUri;
        final List<HttpUrl> apiOrigins;

        Entry(AuthorizationCodeProvider provider, String redirectUri, List<HttpUrl> apiOrigins) {
            this.provider = provider;
            this.redirectUri = redirectUri;
            this.apiOrigins = apiOrigins;
        }
    }

    /** Not thread-safe; build on one thread. */
    public static final class Builder {
        private final Map<String, Entry> entries = new LinkedHashMap<>();

        private Builder() {
        }

        /**
         * Adds a provider under its {@link AuthorizationCodeProvider#key() key}.
         *
         * @param provider the vendor
         * @param redirectUri the callback registered at the vendor; absolute
         * @param apiOrigins where its tokens may be sent, e.g. {@code https://gitlab.example.com}; may be empty
         * @return this builder
         * @throws IllegalArgumentException a provider with the same key was added, or a URL is malformed
         */
        public Builder add(AuthorizationCodeProvider provider, String redirectUri, List<String> apiOrigins) {
            Objects.requireNonNull(provider, "provider");
            if (redirectUri == null || HttpUrl.parse(redirectUri.trim()) == null) {
                throw new IllegalArgumentException("redirectUri of " + provider.key() + " must be an absolute URL");
            }
            List<HttpUrl> origins = new ArrayList<>();
            for (String origin : apiOrigins) {
                HttpUrl url = HttpUrl.parse(origin.trim());
                if (url == null) {
                    throw new IllegalArgumentException("API origin of " + provider.key() + " is not an absolute URL");
                }
                origins.add(url);
            }
            if (entries.putIfAbsent(provider.key(), new Entry(provider, redirectUri.trim(), List.copyOf(origins)))
                    != null) {
                throw new IllegalArgumentException("two providers with key '" + provider.key() + "'");
            }
            return this;
        }

        /** The providers added so far. */
        public OAuthIdentityProviders build() {
            return new OAuthIdentityProviders(entries);
        }
    }
}
