package org.oauthidentity.providers.gitlab;

import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import okhttp3.HttpUrl;
import org.oauthidentity.Identity;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.RefreshException.Details;
import org.oauthidentity.oauth2.Endpoints;

/**
 * GitLab instance base URLs: parsed, checked and normalised so that {@code https://example.com/gitlab},
 * {@code https://example.com/gitlab/} and {@code https://EXAMPLE.com/gitlab//} name one instance, and so
 * that client credentials and refresh tokens only ever go to https hosts (loopback, or a host opted in to plain
 * http, excepted).
 */
final class InstanceUrls {
    /** Room for a GitLab user id and the instance in a 255-character account id. */
    static final int MAX_BASE_URL_CHARS = 200;

    private InstanceUrls() {
    }

    /**
     * @param plainHttpHosts hosts allowed over plain http besides loopback
     * @return the base URL with its path ending in exactly one slash, ready for {@link HttpUrl#resolve}
     * @throws IllegalArgumentException saying what is wrong; the message never repeats credentials
     */
    static HttpUrl normalise(String raw, Set<String> plainHttpHosts) {
        if (raw == null || raw.isBlank()) {
            throw new IllegalArgumentException("GitLab base URL is empty");
        }
        HttpUrl url = HttpUrl.parse(raw.trim());
        if (url == null) {
            // Not echoed: whatever it is, it was never meant to be printed.
            throw new IllegalArgumentException("GitLab base URL is not an absolute http(s) URL");
        }
        Endpoints.requireSecure(url, "GitLab base URL", plainHttpHosts);
        if (url.query() != null || url.fragment() != null) {
            throw new IllegalArgumentException("GitLab base URL must not have a query or a fragment: "
                    + Endpoints.display(url));
        }
        List<String> segments = url.encodedPathSegments().stream().filter(s -> !s.isEmpty()).collect(Collectors.toList());
        String path = segments.isEmpty() ? "/" : "/" + String.join("/", segments) + "/";
        return url.newBuilder().encodedPath(path).build();
    }

    /**
     * The normalised instance the identity names in {@link GitLabProvider#BASE_URL_EXTRA}, else {@code fallback};
     * not yet checked against the instances a provider serves.
     *
     * @throws ProviderConfigurationException for this identity only: it names an unusable URL
     */
    static HttpUrl of(Identity identity, HttpUrl fallback, Set<String> plainHttpHosts)
            throws ProviderConfigurationException {
        String named = identity.extras().get(GitLabProvider.BASE_URL_EXTRA);
        if (named == null) {
            return fallback;
        }
        try {
            return normalise(named, plainHttpHosts);
        } catch (IllegalArgumentException e) {
            // This identity's problem only: a validation sweep marks it and goes on with the others.
            throw ProviderConfigurationException.forOneIdentity(Details.of("identity " + identity.id()
                    + " names an unusable GitLab instance in '" + GitLabProvider.BASE_URL_EXTRA + "': " + e.getMessage()));
        }
    }

    /** The instance as an account id's suffix: host, port when not the scheme's default, path without the last slash. */
    static String accountSuffix(HttpUrl base) {
        String port = base.port() == HttpUrl.defaultPort(base.scheme()) ? "" : ":" + base.port();
        String path = base.encodedPath();
        return base.host() + port + path.substring(0, path.length() - 1);
    }

    /** Host names in the form {@link HttpUrl#host()} gives them (lower case, IDN as punycode). */
    static Set<String> hosts(Collection<String> names) {
        return names.stream().map(Endpoints::hostName).collect(Collectors.toUnmodifiableSet());
    }
}
