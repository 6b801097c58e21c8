package org.oauthidentity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.oauth2.ClientAuthentication;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.oauth2.OAuth2Settings;
import org.oauthidentity.oauth2.TokenResponse;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.refresh.RetryPolicy;
import org.oauthidentity.store.InMemoryIdentityStore;
import org.oauthidentity.support.FlakyIdentityStore;
import org.oauthidentity.support.SecretLeaks;
import org.oauthidentity.support.StderrCapture;
import org.oauthidentity.support.TokenJson;
import org.oauthidentity.testing.ManualClock;

/**
 * Tokens and the client secret never show up in an exception (message, cause, stack trace), a toString or a
 * log line, even when the vendor echoes them back in its error text.
 */
class SecretsNeverLeakTest {
    private static final String ACCESS = "at-7Hq2-secret-access";
    private static final String REFRESH = "rt-9Kx4-secret-refresh";
    private static final String CLIENT_SECRET = "cs-3Vb8-client-secret";
    private static final String NEW_ACCESS = "at-new-5Jd1-secret";
    private static final String NEW_REFRESH = "rt-new-2Lm6-secret";
    private static final String ID_TOKEN = "idt-8Pw3-secret-idtoken";
    private static final String[] ALL = {ACCESS, REFRESH, CLIENT_SECRET, NEW_ACCESS, NEW_REFRESH, ID_TOKEN};

    private final ManualClock clock = ManualClock.at("2025-07-01T00:00:00Z");
    private final InMemoryIdentityStore memory = new InMemoryIdentityStore();
    private final FlakyIdentityStore store = new FlakyIdentityStore(memory);
    private final List<RefreshException> thrown = new ArrayList<>();
    private MockWebServer server;
    private StderrCapture log;
    private Identity stored;

    @BeforeEach
    void setUp() throws Exception {
        server = new MockWebServer();
        server.start();
        stored = store.create(Identity.builder().id("user-1").providerKey("example")
                .accessToken(ACCESS).refreshToken(REFRESH).extra("id_token", ID_TOKEN).build());
        log = StderrCapture.start();
    }

    @AfterEach
    void tearDown() {
        log.close();
        server.close();
    }

    @Test
    void vendorEchoesOfTokensAndSecretsAreRedactedFromEveryException() throws Exception {
        IdentityRefresher basic = refresher(ClientAuthentication.CLIENT_SECRET_BASIC);
        IdentityRefresher post = refresher(ClientAuthentication.CLIENT_SECRET_POST);

        server.enqueue(TokenJson.error("invalid_grant", "Refresh token " + REFRESH + " has been revoked")
                .field("error_subtype", "rt=" + REFRESH).response(400));
        IdentityNotValid notValid = fails(IdentityNotValid.class, basic);
        assertThat(notValid.errorDescription()).contains("<withheld: it echoed a credential>");
        assertThat(notValid.getMessage()).isEqualTo("HTTP 400 (invalid_grant/<withheld: it echoed a credential>): <withheld: it echoed a credential>");

        server.enqueue(TokenJson.error("invalid_client", "client_secret " + CLIENT_SECRET + " does not match")
                .response(401));
        fails(ProviderConfigurationException.class, post);

        server.enqueue(TokenJson.json(400, "{\"Error\":\"invalid_request\",\"ErrorDescription\":\"bad access token "
                + ACCESS + " sent with refresh_token=" + REFRESH + "\"}"));
        fails(RefreshRejectedException.class, basic);

        server.enqueue(TokenJson.error("invalid_grant", "echo: " + REFRESH).response(200));
        fails(IdentityNotValid.class, basic);

        server.enqueue(TokenJson.html(200).newBuilder().body("<html>" + REFRESH + " " + CLIENT_SECRET + "</html>").build());
        fails(TokenResponseException.class, basic);

        // A token in a field that is no token (read as an unknown expiry, with a warning) and an access token
        // that cannot be sent: neither is echoed.
        server.enqueue(TokenJson.json(200, "{\"access_token\":\"" + NEW_ACCESS + "\\r\\n\",\"expires_in\":\""
                + NEW_REFRESH + "\"}"));
        fails(TokenResponseException.class, basic);

        server.enqueue(TokenJson.json(503, "{\"error\":\"server_error\",\"error_description\":\"" + CLIENT_SECRET + "\"}"));
        fails(TransientRefreshException.class, basic);

        for (RefreshException e : thrown) {
            SecretLeaks.assertNoSecretIn(e, ALL);
        }
        assertThat(memory.find("user-1")).contains(stored);
        SecretLeaks.assertNoSecretIn(log.text(), ALL);
    }

    @Test
    void transportAndStoreFailuresCarryNoSecretEither() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        IdentityRefresher nowhere = refresher(OAuth2Provider.create(settings(ClientAuthentication.CLIENT_SECRET_POST)
                .tokenUrl("http://127.0.0.1:" + closedPort + "/token?client_secret=" + CLIENT_SECRET).build()));
        fails(TransientRefreshException.class, nowhere);

        server.enqueue(TokenJson.success(NEW_ACCESS).refreshToken(NEW_REFRESH).expiresIn(3600)
                .field("id_token", ID_TOKEN).response());
        store.failSaves(true);
        RefreshNotPersistedException notPersisted = fails(RefreshNotPersistedException.class,
                refresher(ClientAuthentication.CLIENT_SECRET_BASIC));
        assertThat(notPersisted.tokensMayBeLost()).isTrue();

        for (RefreshException e : thrown) {
            SecretLeaks.assertNoSecretIn(e, ALL);
        }
        String logged = log.text();
        assertThat(logged).as("the loss was logged loudly, by id").contains("user-1").contains("could not save");
        SecretLeaks.assertNoSecretIn(logged, ALL);
    }

    @Test
    void aSuccessfulRotationLogsAndPrintsNoToken() throws Exception {
        server.enqueue(TokenJson.success(NEW_ACCESS).refreshToken(NEW_REFRESH).expiresIn(3600)
                .field("id_token", ID_TOKEN).response());
        OAuth2Provider provider = OAuth2Provider.create(settings(ClientAuthentication.CLIENT_SECRET_BASIC).build());

        Identity refreshed = refresher(provider).refresh(stored);

        assertThat(refreshed.accessToken()).isEqualTo(NEW_ACCESS);
        String logged = log.text();
        assertThat(logged).as("debug logging is on and captured").contains("refreshed identity user-1");
        SecretLeaks.assertNoSecretIn(logged, ALL);
        SecretLeaks.assertNoSecretIn(refreshed.toString(), ALL);
        SecretLeaks.assertNoSecretIn(stored.toString(), ALL);
        SecretLeaks.assertNoSecretIn(provider.toString(), ALL);
        SecretLeaks.assertNoSecretIn(provider.settings().toString(), ALL);
        assertThat(refreshed.toString()).contains("user-1").contains("id_token");

        TokenResponse response = TokenResponse.parse(TokenJson.success(NEW_ACCESS)
                .refreshToken(NEW_REFRESH).field("id_token", ID_TOKEN).toJson());
        SecretLeaks.assertNoSecretIn(response.toString(), ALL);
        assertThat(response.toString()).contains("access_token").contains("refresh_token");
    }

    private <T extends RefreshException> T fails(Class<T> type, IdentityRefresher refresher) {
        T e = assertThrows(type, () -> refresher.refresh(stored));
        thrown.add(e);
        return e;
    }

    private IdentityRefresher refresher(ClientAuthentication authentication) {
        return refresher(OAuth2Provider.create(settings(authentication).build()));
    }

    private IdentityRefresher refresher(OAuth2Provider provider) {
        return IdentityRefresher.builder(store).provider(provider).retryPolicy(RetryPolicy.none()).build();
    }

    private OAuth2Settings.Builder settings(ClientAuthentication authentication) {
        return OAuth2Settings.builder().providerKey("example").tokenUrl(server.url("/oauth/token").toString())
                .clientId("client-1").clientSecret(CLIENT_SECRET).clientAuthentication(authentication).clock(clock);
    }
}
