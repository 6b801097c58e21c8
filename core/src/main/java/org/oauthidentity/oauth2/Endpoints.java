package org.oauthidentity.oauth2;

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
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException(what + " is required");
        }
        HttpUrl parsed = HttpUrl.parse(url.trim());
        if (parsed == null) {
            // Not echoed: an unparsable URL may still carry credentials.
            throw new IllegalArgumentException(what + " is not an http(s) URL");
        }
        return requireSecure(parsed, what);
    }

    /** As {@link #requireSecure(String, String)}, for a parsed URL. */
    public static HttpUrl requireSecure(HttpUrl url, String what) {
        // Credentials in a URL end up in logs and toString; OkHttp would not even send them.
        if (!url.username().isEmpty() || !url.password().isEmpty()) {
            throw new IllegalArgumentException(what + " must not carry a user name or password (configure client "
                    + "credentials instead): " + display(url));
        }
        if (!url.isHttps() && !isLoopback(url.host())) {
            throw new IllegalArgumentException(what + " must use https (plain http is allowed only on loopback): "
                    + display(url));
        }
        return url;
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
