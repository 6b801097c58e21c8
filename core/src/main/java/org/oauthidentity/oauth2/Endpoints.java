package org.oauthidentity.oauth2;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import okhttp3.HttpUrl;

/** Checks on endpoint URLs, shared by every provider. */
public final class Endpoints {
    private static final Pattern IPV4_LOOPBACK = Pattern.compile("127(\\.\\d{1,3}){3}");

    private Endpoints() {
    }

    /**
     * Parses an endpoint URL that will receive secrets, refusing anything but https (plain http only on
     * loopback, for tests) and any user name or password in the URL.
     *
     * @throws IllegalArgumentException with a message that says what is wrong and never repeats the URL's
     *     user name, password or query
     */
    public static HttpUrl requireSecure(String url, String what) {
        return requireSecure(parse(url, what), what);
    }

    /**
     * As {@link #requireSecure(String, String)}, also accepting plain http to the hosts in {@code plainHttpHosts}
     * (see {@link OAuth2Settings.Builder#dangerouslyAllowPlainHttp(String)}; names as {@link #hostName} gives them).
     */
    public static HttpUrl requireSecure(String url, String what, Set<String> plainHttpHosts) {
        return requireSecure(parse(url, what), what, plainHttpHosts);
    }

    private static HttpUrl parse(String url, String what) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException(what + " is required");
        }
        HttpUrl parsed = HttpUrl.parse(url.trim());
        if (parsed == null) {
            // Not echoed: an unparsable URL may still carry credentials.
            throw new IllegalArgumentException(what + " is not an http(s) URL");
        }
        return parsed;
    }

    /** As {@link #requireSecure(String, String)}, for a parsed URL. */
    public static HttpUrl requireSecure(HttpUrl url, String what) {
        return check(url, what, Set.of(), "plain http is allowed only on loopback");
    }

    /** As {@link #requireSecure(String, String, Set)}, for a parsed URL. */
    public static HttpUrl requireSecure(HttpUrl url, String what, Set<String> plainHttpHosts) {
        return check(url, what, plainHttpHosts, "plain http is allowed only on loopback, or to a host named with"
                + " dangerouslyAllowPlainHttp");
    }

    private static HttpUrl check(HttpUrl url, String what, Set<String> plainHttpHosts, String rule) {
        // Credentials in a URL end up in logs and toString; OkHttp would not even send them.
        if (!url.username().isEmpty() || !url.password().isEmpty()) {
            throw new IllegalArgumentException(what + " must not carry a user name or password (configure client "
                    + "credentials instead): " + display(url));
        }
        if (!url.isHttps() && !isLoopback(url.host()) && !plainHttpHosts.contains(url.host())) {
            throw new IllegalArgumentException(what + " must use https (" + rule + "): " + display(url));
        }
        return url;
    }

    /**
     * A bare host name (no scheme, port, path or user) in the form {@link HttpUrl#host()} gives it: lower case,
     * an IDN as punycode, an IPv6 address without brackets.
     *
     * @throws IllegalArgumentException it is empty or more than a host name
     */
    public static String hostName(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a host name is empty");
        }
        HttpUrl url = HttpUrl.parse("https://" + name.trim().toLowerCase(Locale.ROOT));
        if (url == null || url.port() != 443 || !url.encodedPath().equals("/") || !url.username().isEmpty()
                || name.contains("/") || name.contains("?") || name.contains("#")) {
            throw new IllegalArgumentException("a host must be a bare host name, without scheme, port or path: " + name);
        }
        return url.host();
    }

    /**
     * The URL as it may be printed in a {@code toString}, a log line or a message: scheme, host, port (when
     * not the scheme's default) and path; never the user name, password, query or fragment, which may hold
     * credentials or API keys.
     */
    public static String display(HttpUrl url) {
        return url.newBuilder().username("").password("").query(null).fragment(null).build().toString();
    }

    /** True for {@code localhost}, 127.0.0.0/8 and ::1, without any DNS lookup. */
    public static boolean isLoopback(String host) {
        return host.equalsIgnoreCase("localhost")
                || IPV4_LOOPBACK.matcher(host).matches()
                || host.equals("::1") || host.equals("[::1]") || host.equals("0:0:0:0:0:0:0:1");
    }
}
