package org.oauthidentity.testkit;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import mockwebserver3.RecordedRequest;
import okio.ByteString;

/**
 * An {@code application/x-www-form-urlencoded} request body, decoded. RFC 6749 §3.2 forbids sending a
 * parameter twice; {@link #get} refuses such a request the way a real server does. {@link #toString()}
 * prints parameter names only: values are tokens and secrets.
 */
final class Form {
    private final Map<String, List<String>> values;
    /** Every parameter as sent, in order, repeats included. */
    private final List<Map.Entry<String, String>> sent;

    private Form(Map<String, List<String>> values, List<Map.Entry<String, String>> sent) {
        this.values = values;
        this.sent = sent;
    }

    /** The body of {@code request}; an empty form when there is none or it is not URL-encoded. */
    static Form of(RecordedRequest request) {
        Map<String, List<String>> values = new LinkedHashMap<>();
        List<Map.Entry<String, String>> sent = new ArrayList<>();
        ByteString body = request.getBody();
        String type = request.getHeaders().get("Content-Type");
        if (body != null && body.size() > 0 && type != null
                && type.toLowerCase(java.util.Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
            for (String pair : body.utf8().split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String name = decode(eq < 0 ? pair : pair.substring(0, eq));
                String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
                values.computeIfAbsent(name, k -> new ArrayList<>(1)).add(value);
                sent.add(Map.entry(name, value));
            }
        }
        return new Form(values, List.copyOf(sent));
    }

    /** True when the request declared a URL-encoded body (RFC 6749 §4.1.3 requires one). */
    static boolean isUrlEncoded(RecordedRequest request) {
        String type = request.getHeaders().get("Content-Type");
        return type != null && type.toLowerCase(java.util.Locale.ROOT).startsWith("application/x-www-form-urlencoded");
    }

    /**
     * The parameter's value; null when absent or empty (RFC 6749 §3.1: "Parameters sent without a value
     * MUST be treated as if they were omitted").
     *
     * @throws Refusal {@code INVALID_REQUEST} when it was sent more than once
     */
    String get(String name) throws Refusal {
        List<String> list = values.get(name);
        if (list == null) {
            return null;
        }
        if (list.size() > 1) {
            throw Refusal.invalidRequest("Parameter " + name + " is included more than once.");
        }
        return list.get(0).isEmpty() ? null : list.get(0);
    }

    /** The first value, without the repeat check: for counting, never for deciding. */
    String peek(String name) {
        List<String> list = values.get(name);
        return list == null || list.get(0).isEmpty() ? null : list.get(0);
    }

    /** Every parameter as sent, in order, repeats included: for recording, never for deciding. */
    List<Map.Entry<String, String>> sent() {
        return sent;
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s; // a malformed escape is kept verbatim: the check that uses it will fail
        }
    }

    @Override
    public String toString() {
        return "Form" + values.keySet();
    }
}
