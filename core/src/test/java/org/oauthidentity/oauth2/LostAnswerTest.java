package org.oauthidentity.oauth2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.MockWebServer;
import mockwebserver3.SocketEffect;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.oauthidentity.Identity;
import org.oauthidentity.RefreshOutcomeUnknownException;
import org.oauthidentity.TransientRefreshException;
import org.oauthidentity.authorize.CodeExchange;
import org.oauthidentity.support.TokenJson;
import org.oauthidentity.testing.ManualClock;

/**
 * A token request whose answer never arrived whole. Sent and then lost: the vendor may have rotated, so the outcome
 * is unknown ({@link RefreshOutcomeUnknownException}) and the refresh token is never sent a second time. Failed
 * before it could be sent: an ordinary transient failure. Each case counts what reached the server.
 */
@Timeout(30)
class LostAnswerTest {
    private final ManualClock clock = ManualClock.at("2025-05-05T12:00:00Z");
    private final Identity identity = Identity.builder().id("user-1").providerKey("example")
            .accessToken("access-token-1").refreshToken("refresh-token-1").build();

    @RegisterExtension
    final TokenEndpoint endpoint = new TokenEndpoint();
    private final MockWebServer server = endpoint.server();
    private OAuth2Provider provider;

    @BeforeEach
    void createProvider() {
        OkHttpClient impatient = new OkHttpClient.Builder().readTimeout(Duration.ofMillis(500)).build();
        provider = providerFor(endpoint.tokenUrl(), impatient);
    }

    // ---- sent, answer lost: unknown outcome -----------------------------------------------------------------

    @Test
    void aConnectionResetAfterTheRequestWasReadIsUnknownAndTheRefreshTokenIsNotSentAgain() throws Exception {
        // A pooled connection, as in a service that refreshes all day: OkHttp would retry a failure on it.
        server.enqueue(TokenJson.success("access-2").expiresIn(3600).response());
        provider.refresh(identity);
        server.enqueue(TokenJson.success("access-3").refreshToken("refresh-token-3").response().newBuilder()
                .onResponseStart(new SocketEffect.CloseSocket()).build());
        server.enqueue(TokenJson.success("access-4").refreshToken("refresh-token-4").response());

        RefreshOutcomeUnknownException e = assertThrows(RefreshOutcomeUnknownException.class,
                () -> provider.refresh(identity));

        assertThat(server.getRequestCount()).as("the second refresh went out exactly once").isEqualTo(2);
        assertThat(e.httpStatus()).isZero();
        assertThat(e.getMessage()).contains("outcome is unknown").doesNotContain("refresh-token-1");
    }

    @Test
    void noAnswerWithinTheReadTimeoutIsUnknown() {
        server.enqueue(TokenJson.success("access-2").response().newBuilder().headersDelay(5, TimeUnit.SECONDS).build());

        RefreshOutcomeUnknownException e = assertThrows(RefreshOutcomeUnknownException.class,
                () -> provider.refresh(identity));

        assertThat(server.getRequestCount()).isEqualTo(1);
        assertThat(e.getMessage()).contains("timed out");
    }

    @Test
    void aReadTimeoutAfterTheHeadersOfA200IsUnknown() {
        server.enqueue(TokenJson.success("access-2").refreshToken("refresh-token-2").response().newBuilder()
                .bodyDelay(5, TimeUnit.SECONDS).build());

        RefreshOutcomeUnknownException e = assertThrows(RefreshOutcomeUnknownException.class,
                () -> provider.refresh(identity));

        assertThat(server.getRequestCount()).isEqualTo(1);
        assertThat(e.getMessage()).contains("timed out");
    }

    @Test
    void a200BodyCutOffMidwayIsUnknown() {
        // Headers and half the body, then the connection closes: the vendor said 200, so it issued tokens.
        server.enqueue(TokenJson.success("access-2").refreshToken("refresh-token-2").expiresIn(3600).response()
                .newBuilder().onResponseBody(new SocketEffect.CloseSocket()).build());
        server.enqueue(TokenJson.success("access-3").response());

        assertThrows(RefreshOutcomeUnknownException.class, () -> provider.refresh(identity));

        assertThat(server.getRequestCount()).isEqualTo(1);
    }

    @Test
    void aConnectionClosedWithoutAnyAnswerIsUnknownEvenIfTheServerNeverReadTheRequest() {
        // The client cannot tell this server from one that rotated and then crashed: both are unknown.
        server.enqueue(TokenJson.success("access-2").response().newBuilder()
                .onRequestStart(new SocketEffect.CloseSocket()).build());
        server.enqueue(TokenJson.success("access-3").response());

        assertThrows(RefreshOutcomeUnknownException.class, () -> provider.refresh(identity));

        assertThat(server.getRequestCount()).isEqualTo(1);
    }

    @Test
    void aCodeExchangeWhoseAnswerIsLostIsUnknownToo() {
        server.enqueue(TokenJson.success("access-2").response().newBuilder().headersDelay(5, TimeUnit.SECONDS).build());

        assertThrows(RefreshOutcomeUnknownException.class, () -> provider.exchangeCode(CodeExchange.builder()
                .identityId("identity-9").code("code-123456789").redirectUri("https://app.example.com/cb").build()));
        assertThat(server.getRequestCount()).isEqualTo(1);
    }

    // ---- never sent, or answered: not unknown ----------------------------------------------------------------

    @Test
    void aRefusedConnectionWasNeverSent() {
        OAuth2Provider nowhere = providerFor(TokenEndpoint.refusingTokenUrl(), new OkHttpClient());

        TransientRefreshException e = assertThrows(TransientRefreshException.class, () -> nowhere.refresh(identity));

        assertThat(e).isNotInstanceOf(RefreshOutcomeUnknownException.class);
        assertThat(e.getMessage()).contains("before it was sent");
    }

    @Test
    void aNameThatDoesNotResolveWasNeverSent() {
        OkHttpClient noDns = new OkHttpClient.Builder().dns(host -> {
            throw new UnknownHostException(host);
        }).build();
        OAuth2Provider unresolvable = providerFor("https://auth.example.invalid/token", noDns);

        TransientRefreshException e = assertThrows(TransientRefreshException.class,
                () -> unresolvable.refresh(identity));

        assertThat(e).isNotInstanceOf(RefreshOutcomeUnknownException.class);
        assertThat(e.getMessage()).as("the operator learns the vendor never saw it").contains("before it was sent");
    }

    @Test
    void aConnectionDroppedDuringTheTlsHandshakeWasNeverSent() throws Exception {
        // The server accepts the TCP connection and drops it before a request could be written on it.
        AtomicInteger accepted = new AtomicInteger();
        try (ServerSocket dropping = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                while (!dropping.isClosed()) {
                    try (Socket socket = dropping.accept()) {
                        accepted.incrementAndGet();
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            OAuth2Provider dropped = providerFor("https://127.0.0.1:" + dropping.getLocalPort() + "/token",
                    new OkHttpClient());

            TransientRefreshException e = assertThrows(TransientRefreshException.class, () -> dropped.refresh(identity));

            assertThat(e).isNotInstanceOf(RefreshOutcomeUnknownException.class);
            assertThat(e.getMessage()).contains("before it was sent");
            assertThat(accepted.get()).as("it did reach the server").isPositive();
        }
    }

    private OAuth2Provider providerFor(String tokenUrl, OkHttpClient client) {
        return OAuth2Provider.create(TokenEndpoint.exampleClient().tokenUrl(tokenUrl)
                .httpClient(client).clock(clock).build());
    }
}
