package org.oauthidentity.examples;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.oauth2.ClientAuthentication;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.oauth2.OAuth2Settings;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.store.InMemoryIdentityStore;

/** The README's first command: refreshes an identity against a token endpoint on loopback. */
public final class Demo {
    private Demo() {
    }

    public static void main(String[] args) throws Exception {
        AtomicInteger tokenRequests = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/oauth/token", exchange -> {
            int n = tokenRequests.incrementAndGet();
            String form = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            boolean revoked = form.contains("refresh_token=bob-revoked-refresh");
            byte[] body = (revoked
                    ? "{\"error\":\"invalid_grant\",\"error_description\":\"Token has been expired or revoked.\"}"
                    : "{\"access_token\":\"demo-access-" + n + "\",\"token_type\":\"Bearer\",\"expires_in\":3600,"
                            + "\"refresh_token\":\"demo-refresh-" + n + "\",\"scope\":\"api\"}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(revoked ? 400 : 200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        try {
            String tokenUrl = "http://127.0.0.1:" + server.getAddress().getPort() + "/oauth/token";
            Clock clock = Clock.systemUTC();
            OAuth2Provider provider = OAuth2Provider.create(OAuth2Settings.builder()
                    .providerKey("example").tokenUrl(tokenUrl)
                    .clientId("demo-client").clientSecret("demo-secret")
                    .clientAuthentication(ClientAuthentication.CLIENT_SECRET_BASIC)
                    .clock(clock).build());
            InMemoryIdentityStore store = new InMemoryIdentityStore();
            IdentityRefresher refresher = IdentityRefresher.builder(store).provider(provider).build();

            Identity expired = store.create(Identity.builder().id("alice").providerKey("example")
                    .accessToken("old-access").refreshToken("old-refresh")
                    .expiresAt(Instant.now().minusSeconds(60)).build());
            System.out.println("token endpoint on loopback: " + tokenUrl);
            System.out.println("stored:    " + expired);
            Identity refreshed = refresher.refresh(expired);
            System.out.println("refreshed: " + refreshed);
            System.out.println("  expires in about " + (refreshed.expiresAt().orElseThrow().getEpochSecond()
                    - Instant.now().getEpochSecond()) + " s; refresh token rotated: "
                    + !refreshed.refreshToken().equals(expired.refreshToken()));

            Identity revoked = store.create(Identity.builder().id("bob").providerKey("example")
                    .accessToken("bob-access").refreshToken("bob-revoked-refresh").build());
            try {
                refresher.refresh(revoked);
            } catch (IdentityNotValid e) {
                System.out.println("bob:       IdentityNotValid: " + e.getMessage() + " (store unchanged: "
                        + store.find("bob").orElseThrow().equals(revoked) + ")");
            }
            System.out.println("token requests made: " + tokenRequests.get());
        } finally {
            server.stop(0);
        }
    }
}
