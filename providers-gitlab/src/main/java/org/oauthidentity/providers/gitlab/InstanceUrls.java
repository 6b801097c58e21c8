package org.oauthidentity.providers.gitlab;

import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import okhttp3.HttpUrl;
import org.oauthidentity.oauth2.Endpoints;

/**
 * GitLab instance base URLs: parsed, checked and normalised so that {@code https://example.com/gitlab},
 * {@code https://example.com/gitlab/} and {@code https://EXAMPLE.com/gitlab//} name one instance, and so
 * that client credentials and refresh tokens only ever go to https (or loopback) hosts the operator allowed.
 */
final class InstanceUrls {
    private InstanceUrls() {
    }

    /**
     * @return the base URL with its path ending in exactly one slash, ready for {@link HttpUrl#resolve}
     * @throws IllegalArgumentException saying what is wrong; the message never repeats credentials
     */
    static HttpUrl normalise(String raw, Set<String> allowedHosts) {
        if (raw == null || raw.isBlank()) {
            throw new IllegalArgumentException("GitLab base URL is empty");
        }
        HttpUrl url = HttpUrl.parse(raw.trim());
        if (url == null) {
            // Not echoed: whatever it is, it was never meant to be printed.
            throw new IllegalArgumentException("GitLab base URL is not an absolute http(s) URL");
        }
        Endpoints.requireSecure(url, "GitLab base URL");
        if (url.query() != null || url.fragment() != null) {
            throw new IllegalArgumentException("GitLab base URL must not have a query or a fragment: "
                    + Endpoints.display(url));
        }
        List<String> segments = url.encodedPathSegments().stream().filter(s -> !s.isEmpty()).collect(Collectors.toList());
        String path = segments.isEmpty() ? "/" : "/" + String.join("/", segments) + "/";
        HttpUrl base = url.newBuilder().encodedPath(path).build();
        if (!allowedHosts.isEmpty() && !allowedHosts.contains(base.host())) {
            throw new IllegalArgumentException("GitLab instance " + base.host() + " is not among the allowed hosts "
                    + allowedHosts);
        }
        return base;
    }

    /** Host names in the form {@link HttpUrl#host()} gives them (lower case, IDN as punycode). */
    static Set<String> hosts(Collection<String> names) {
        return names.stream().map(InstanceUrls::host).collect(Collectors.toUnmodifiableSet());
    }

    private static String host(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("an allowed GitLab host is empty");
        }
        HttpUrl url = HttpUrl.parse("https://" + name.trim().toLowerCase(Locale.ROOT));
        if (url == null || url.port() != 443 || !url.encodedPath().equals("/") || !url.username().isEmpty()) {
            throw new IllegalArgumentException("an allowed GitLab host must be a bare host name, without scheme, "
                    + "port or path: " + name);
        }
        return url.host();
    }
}
