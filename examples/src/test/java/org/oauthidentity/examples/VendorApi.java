package org.oauthidentity.examples;

import java.io.Closeable;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.oauthidentity.testkit.FakeAuthorizationServer;

/**
 * A vendor's REST API on its own loopback origin (as {@code dev.azure.com} is apart from Azure DevOps' token
 * host): it answers the vendor's JSON for the requests it was told about, but only to a bearer token that
 * the fake authorization server accepts at that moment. It asks the fake's protected API about every call
 * (same path, same {@code Authorization} header) and passes a refusal on as it came (401 with
 * {@code WWW-Authenticate}), so token expiry, revocation and the API call counters are all the fake's.
 *
 * <p>Why not the fake's API alone: it answers every path with the same small user object, and the example
 * clients read the vendors' own response shapes. An unknown request (path or query) is answered 404, so a
 * client that calls the wrong URL fails its test.
 */
final class VendorApi implements Closeable {
    private final FakeAuthorizationServer fake;
    private final MockWebServer server = new MockWebServer();
    private final OkHttpClient toFake = new OkHttpClient();
    private final Map<String, String> answers = new ConcurrentHashMap<>();

    VendorApi(FakeAuthorizationServer fake) throws IOException {
        this.fake = fake;
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                return answer(request);
            }
        });
        server.start();
    }

    /** Answers {@code GET pathAndQuery} (e.g. {@code /fabrikam/_apis/projects?api-version=7.1}) with {@code json}. */
    VendorApi answer(String pathAndQuery, String json) {
        answers.put(pathAndQuery, json);
        return this;
    }

    /** A URL on this API, e.g. the organization URL or instance base URL to give a client. */
    String url(String path) {
        return server.url(path).toString();
    }

    private MockResponse answer(RecordedRequest request) {
        HttpUrl url = request.getUrl();
        Request.Builder check = new Request.Builder().url(fake.apiUrl("/vendor" + url.encodedPath()));
        String authorization = request.getHeaders().get("Authorization");
        if (authorization != null) {
            check.header("Authorization", authorization);
        }
        try (Response verdict = toFake.newCall(check.build()).execute()) {
            if (verdict.code() != 200) {
                MockResponse.Builder refusal = new MockResponse.Builder().code(verdict.code())
                        .setHeader("Content-Type", "application/json; charset=utf-8")
                        .body(verdict.body().string());
                String challenge = verdict.header("WWW-Authenticate");
                if (challenge != null) {
                    refusal.setHeader("WWW-Authenticate", challenge);
                }
                return refusal.build();
            }
        } catch (IOException e) {
            return json(502, "{\"message\":\"the fake authorization server did not answer: " + e.getClass().getSimpleName() + "\"}");
        }
        String target = url.encodedPath() + (url.encodedQuery() == null ? "" : "?" + url.encodedQuery());
        String body = "GET".equals(request.getMethod()) ? answers.get(target) : null;
        return body != null ? json(200, body) : json(404, "{\"message\":\"404 Not Found\"}");
    }

    private static MockResponse json(int code, String body) {
        return new MockResponse.Builder().code(code).setHeader("Content-Type", "application/json; charset=utf-8")
                .body(body).build();
    }

    @Override
    public void close() {
        server.close();
        toFake.dispatcher().executorService().shutdown();
        toFake.connectionPool().evictAll();
    }
}
