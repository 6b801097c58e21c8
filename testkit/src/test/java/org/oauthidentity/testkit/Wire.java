package org.oauthidentity.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import okhttp3.Credentials;
import okhttp3.FormBody;
import okhttp3.Headers;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Raw HTTP for tests that need exact control of what is sent: no redirects followed, no silent retries.
 */
final class Wire {
    static final OkHttpClient CLIENT = new OkHttpClient.Builder()
            .followRedirects(false)
            .retryOnConnectionFailure(false)
            .callTimeout(Duration.ofSeconds(10))
            .build();
    private static final ObjectMapper JSON = new ObjectMapper();

    private Wire() {
    }

    /** What came back; {@code json} is null when the body is not JSON. */
    record Answer(int status, Headers headers, String body, JsonNode json) {
        String field(String name) {
            JsonNode node = json == null ? null : json.get(name);
            return node == null || node.isNull() ? null : node.asText();
        }

        boolean has(String name) {
            return json != null && json.has(name);
        }
    }

    static Map<String, String> form(String... namesAndValues) {
        Map<String, String> form = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            form.put(namesAndValues[i], namesAndValues[i + 1]);
        }
        return form;
    }

    static Answer post(String url, Map<String, String> form) throws IOException {
        return post(url, form, null);
    }

    static Answer postBasic(String url, String clientId, String clientSecret, Map<String, String> form)
            throws IOException {
        return post(url, form, Credentials.basic(clientId, clientSecret, StandardCharsets.UTF_8));
    }

    private static Answer post(String url, Map<String, String> form, String authorization) throws IOException {
        Request.Builder request = formPost(url, form).newBuilder();
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return execute(request.build());
    }

    /** A form POST not yet sent, for a test that reads the answer itself (e.g. a body cut off mid-way). */
    static Request formPost(String url, Map<String, String> form) {
        FormBody.Builder body = new FormBody.Builder();
        form.forEach(body::add);
        return new Request.Builder().url(url).post(body.build()).build();
    }

    static Answer get(String url, String bearerToken) throws IOException {
        Request.Builder request = new Request.Builder().url(url);
        if (bearerToken != null) {
            request.header("Authorization", "Bearer " + bearerToken);
        }
        return execute(request.build());
    }

    static Answer execute(Request request) throws IOException {
        try (Response response = CLIENT.newCall(request).execute()) {
            String body = response.body().string();
            JsonNode json;
            try {
                json = body.isEmpty() ? null : JSON.readTree(body);
            } catch (IOException e) {
                json = null;
            }
            return new Answer(response.code(), response.headers(), body, json);
        }
    }
}
