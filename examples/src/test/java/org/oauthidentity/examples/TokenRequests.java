package org.oauthidentity.examples;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.FormBody;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Response;

/**
 * Sees the token requests a provider sends, as an interceptor on the provider's own HTTP client, so a test
 * can check the vendor's request shape: the exact form fields and whether HTTP Basic was used. Values are
 * kept for comparison but never printed: {@link Sent#toString()} names the fields only. Thread-safe.
 */
final class TokenRequests implements Interceptor {
    private final List<Sent> sent = new CopyOnWriteArrayList<>();

    /** {@code client} with this recorder in front; give the result to the provider's builder. */
    OkHttpClient recording(OkHttpClient client) {
        return client.newBuilder().addInterceptor(this).build();
    }

    List<Sent> sent() {
        return List.copyOf(sent);
    }

    /** The only token request sent. */
    Sent only() {
        if (sent.size() != 1) {
            throw new AssertionError("expected exactly one token request, saw " + sent.size());
        }
        return sent.get(0);
    }

    @Override
    public Response intercept(Chain chain) throws IOException {
        Map<String, String> form = new LinkedHashMap<>();
        if (chain.request().body() instanceof FormBody) {
            FormBody body = (FormBody) chain.request().body();
            for (int i = 0; i < body.size(); i++) {
                form.put(body.name(i), body.value(i));
            }
        }
        sent.add(new Sent(form, chain.request().header("Authorization") != null));
        return chain.proceed(chain.request());
    }

    /** One token request: its form, in the order sent. */
    static final class Sent {
        private final Map<String, String> form;
        private final boolean authorizationHeader;

        Sent(Map<String, String> form, boolean authorizationHeader) {
            this.form = form;
            this.authorizationHeader = authorizationHeader;
        }

        List<String> fieldNames() {
            return new ArrayList<>(form.keySet());
        }

        /** A value that is no secret (grant type, redirect URI, scope, client id). */
        String field(String name) {
            return form.get(name);
        }

        /** Whether {@code name} carried exactly {@code value}; for secrets, so that no failure prints them. */
        boolean sent(String name, String value) {
            return value != null && value.equals(form.get(name));
        }

        boolean usedAuthorizationHeader() {
            return authorizationHeader;
        }

        @Override
        public String toString() {
            return "token request with form fields " + form.keySet() + (authorizationHeader ? " and an Authorization header" : "");
        }
    }
}
