package org.oauthidentity.oauth2;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A token endpoint on loopback for each test, and the client registered with it: provider key {@code example},
 * {@code client-1} / {@code client-secret-1}. Register it with {@code @RegisterExtension}: its server is started
 * before the test's own {@code @BeforeEach} and closed after its {@code @AfterEach}. A test adds what its scenario
 * changes (clock, HTTP client, client authentication, secret) to the builder it gets.
 */
final class TokenEndpoint implements BeforeEachCallback, AfterEachCallback {
    private final MockWebServer server = new MockWebServer();

    /** The example client's settings without any endpoint URL. */
    static OAuth2Settings.Builder exampleClient() {
        return OAuth2Settings.builder().providerKey("example").clientId("client-1").clientSecret("client-secret-1");
    }

    /** A loopback token URL on a port nothing listens on: a connection to it is refused. */
    static String refusingTokenUrl() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "http://127.0.0.1:" + socket.getLocalPort() + "/token";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    MockWebServer server() {
        return server;
    }

    /** This server's {@code /token}. */
    String tokenUrl() {
        return server.url("/token").toString();
    }

    /** The example client's settings with {@link #tokenUrl()}. */
    OAuth2Settings.Builder settings() {
        return exampleClient().tokenUrl(tokenUrl());
    }

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        server.start();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        server.close();
    }
}
