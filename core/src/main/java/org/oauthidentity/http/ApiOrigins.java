package org.oauthidentity.http;

import java.util.ArrayList;
import java.util.List;
import okhttp3.HttpUrl;

/**
 * The origins (scheme, host, port) the bearer token may be sent to. Matching is exact: no subdomains, no
 * other port, no plain-http variant of an https origin. Immutable; {@link #contains} allocates nothing.
 */
final class ApiOrigins {
    private final String[] schemes;
    private final String[] hosts;
    private final int[] ports;

    ApiOrigins(List<HttpUrl> urls) {
        List<HttpUrl> distinct = new ArrayList<>();
        for (HttpUrl url : urls) {
            if (distinct.stream().noneMatch(d -> sameOrigin(d, url))) {
                distinct.add(url);
            }
        }
        int n = distinct.size();
        schemes = new String[n];
        hosts = new String[n];
        ports = new int[n];
        for (int i = 0; i < n; i++) {
            schemes[i] = distinct.get(i).scheme();
            hosts[i] = distinct.get(i).host();
            ports[i] = distinct.get(i).port();
        }
    }

    boolean contains(HttpUrl url) {
        int port = url.port();
        for (int i = 0; i < ports.length; i++) {
            if (ports[i] == port && hosts[i].equals(url.host()) && schemes[i].equals(url.scheme())) {
                return true;
            }
        }
        return false;
    }

    private static boolean sameOrigin(HttpUrl a, HttpUrl b) {
        return a.port() == b.port() && a.host().equals(b.host()) && a.scheme().equals(b.scheme());
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < ports.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(schemes[i]).append("://")
                    .append(hosts[i].indexOf(':') >= 0 ? "[" + hosts[i] + "]" : hosts[i]).append(':').append(ports[i]);
        }
        return sb.append(']').toString();
    }
}
