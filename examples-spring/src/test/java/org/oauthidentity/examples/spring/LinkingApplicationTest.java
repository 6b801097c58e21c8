package org.oauthidentity.examples.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import okhttp3.Cookie;
import okhttp3.CookieJar;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.oauthidentity.testkit.FakeAuthorizationServer;
import org.oauthidentity.testkit.FakeAuthorizationServer.Dialect;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The example service as a browser uses it: link Alice's account through the fake GitLab's consent redirect and
 * the callback, call GitLab as her, and read the sweep's health from Actuator.
 */
@SpringBootTest(webEnvironment = WebEnvironment.DEFINED_PORT)
class LinkingApplicationTest {
    static final int PORT = freePort();
    static final FakeAuthorizationServer GITLAB = startGitLab();

    /** A browser that keeps cookies and shows each redirect instead of following it. */
    private final OkHttpClient browser = new OkHttpClient.Builder().followRedirects(false)
            .cookieJar(new CookieJar() {
                private final List<Cookie> cookies = new ArrayList<>();

                @Override
                public synchronized void saveFromResponse(HttpUrl url, List<Cookie> received) {
                    cookies.addAll(received);
                }

                @Override
                public synchronized List<Cookie> loadForRequest(HttpUrl url) {
                    List<Cookie> matching = new ArrayList<>();
                    cookies.stream().filter(c -> c.matches(url)).forEach(matching::add);
                    return matching;
                }
            }).build();

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static FakeAuthorizationServer startGitLab() {
        try {
            FakeAuthorizationServer gitlab = FakeAuthorizationServer.builder().dialect(Dialect.GITLAB)
                    .redirectUris("http://localhost:" + PORT + "/link/gitlab/callback").start();
            gitlab.signIn("alice");
            return gitlab;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("server.port", () -> PORT);
        registry.add("gitlab.url", GITLAB::baseUrl);
        registry.add("gitlab.client-id", GITLAB::clientId);
        registry.add("gitlab.client-secret", GITLAB::clientSecret);
    }

    @AfterAll
    static void stopGitLab() {
        GITLAB.close();
    }

    private Response get(String url) throws IOException {
        return browser.newCall(new Request.Builder().url(url).build()).execute();
    }

    @Test
    void linkThenCallGitLabAsTheUserThenReadTheHealth() throws IOException {
        String app = "http://localhost:" + PORT;
        String consent;
        try (Response start = get(app + "/link/gitlab?user=alice")) {
            assertThat(start.code()).isEqualTo(302);
            consent = start.header("Location");
        }
        assertThat(consent).startsWith(GITLAB.baseUrl() + "/oauth/authorize");
        String callback;
        try (Response approval = get(consent)) {
            assertThat(approval.code()).isEqualTo(302);
            callback = approval.header("Location");
        }
        assertThat(callback).startsWith(app + "/link/gitlab/callback?");
        try (Response linked = get(callback)) {
            assertThat(linked.code()).isEqualTo(200);
            assertThat(linked.body().string()).startsWith("linked gitlab account alice as identity ");
        }

        GITLAB.resetCounters(); // linking called the user API once, to name the account
        try (Response me = get(app + "/me/gitlab")) {
            assertThat(me.code()).isEqualTo(200);
            assertThat(me.body().string()).contains("alice");
        }
        assertThat(GITLAB.apiCalls(200)).isEqualTo(1);

        try (Response health = get(app + "/actuator/health")) {
            String body = health.body().string();
            assertThat(body).contains("\"oauthIdentity\"").doesNotContain(GITLAB.clientSecret());
        }
    }
}
