package org.oauthidentity.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.stream.Stream;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.TransientRefreshException;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.testing.ManualClock;
import org.oauthidentity.testkit.FakeAuthorizationServer.Dialect;
import org.oauthidentity.testkit.FakeAuthorizationServer.Fault;

/** Injected faults answer exactly the next N token requests, then the server behaves normally again. */
class FaultInjectionTest {
    /** No silent OkHttp retry of a dropped connection: one refresh is exactly one request here. */
    private static final OkHttpClient NO_RETRY = new OkHttpClient.Builder()
            .retryOnConnectionFailure(false)
            .build();

    private final ManualClock clock = ManualClock.at("2025-03-01T10:00:00Z");
    private FakeAuthorizationServer server;
    private OAuth2Provider provider;

    @BeforeEach
    void start() throws Exception {
        server = FakeAuthorizationServer.builder().dialect(Dialect.GENERIC).clock(clock).start();
        provider = OAuth2Provider.create(server.oauth2Settings().httpClient(NO_RETRY).build());
    }

    @AfterEach
    void stop() {
        server.verifyNoInternalFailures();
        server.close();
    }

    static Stream<Arguments> faults() {
        return Stream.of(
                Arguments.of(Fault.serverError()),
                Arguments.of(Fault.serviceUnavailable(Duration.ofSeconds(30))),
                Arguments.of(Fault.tooManyRequests(Duration.ofSeconds(7))),
                Arguments.of(Fault.htmlPage(200)),
                Arguments.of(Fault.htmlPage(403)),
                Arguments.of(Fault.dropConnection()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("faults")
    void answersExactlyNTimesThenRecovers(Fault fault) throws Exception {
        Identity identity = server.issueIdentity("alice", "read");
        server.failNextTokenRequests(2, fault);

        assertThatThrownBy(() -> provider.refresh(identity)).isInstanceOf(TransientRefreshException.class);
        assertThatThrownBy(() -> provider.refresh(identity)).isInstanceOf(TransientRefreshException.class);
        Identity refreshed = provider.refresh(identity);

        assertThat(refreshed.accessToken()).isNotEqualTo(identity.accessToken());
        assertThat(server.tokenRequests("refresh_token")).isEqualTo(3);
        assertThat(server.faultsServed()).isEqualTo(2);
        assertThat(server.pendingFaults()).isZero();
        assertThat(server.reusedRefreshTokens()).as("faults do not consume the refresh token").isZero();
    }

    @Test
    void serviceUnavailableAndTooManyRequestsCarryRetryAfter() throws Exception {
        Identity identity = server.issueIdentity("alice", "read");
        server.failNextTokenRequests(1, Fault.serviceUnavailable(Duration.ofSeconds(30)));
        server.failNextTokenRequests(1, Fault.tooManyRequests(Duration.ofSeconds(7)));

        assertThatThrownBy(() -> provider.refresh(identity))
                .isInstanceOfSatisfying(TransientRefreshException.class, e -> {
                    assertThat(e.httpStatus()).isEqualTo(503);
                    assertThat(e.retryAfter()).contains(Duration.ofSeconds(30));
                });
        assertThatThrownBy(() -> provider.refresh(identity))
                .isInstanceOfSatisfying(TransientRefreshException.class, e -> {
                    assertThat(e.httpStatus()).isEqualTo(429);
                    assertThat(e.retryAfter()).contains(Duration.ofSeconds(7));
                });
        assertThat(provider.refresh(identity).accessToken()).isNotEqualTo(identity.accessToken());
    }

    @Test
    void slowAnswerTimesOutTheClientAfterTheServerRotated() throws Exception {
        OAuth2Provider impatient = OAuth2Provider.create(server.oauth2Settings()
                .httpClient(NO_RETRY.newBuilder().readTimeout(Duration.ofMillis(100)).build()).build());
        Identity identity = server.issueIdentity("alice", "read");
        server.failNextTokenRequests(1, Fault.slow(Duration.ofMillis(1500)));

        assertThatThrownBy(() -> impatient.refresh(identity)).isInstanceOf(TransientRefreshException.class);

        // The server did rotate: the client never saw the new refresh token, and its old one is dead.
        assertThatThrownBy(() -> provider.refresh(identity)).isInstanceOf(IdentityNotValid.class);
        assertThat(server.reusedRefreshTokens()).isEqualTo(1);
    }

    @Test
    void slowAnswerWithinTheClientsTimeoutSucceeds() throws Exception {
        Identity identity = server.issueIdentity("alice", "read");
        server.failNextTokenRequests(1, Fault.slow(Duration.ofMillis(50)));

        assertThat(provider.refresh(identity).refreshToken()).isPresent().isNotEqualTo(identity.refreshToken());
        assertThat(server.faultsServed()).isEqualTo(1);
    }

    @Test
    void lostResponseMeansTheRotationHappenedUnseen() throws Exception {
        Identity identity = server.issueIdentity("alice", "read");
        server.failNextTokenRequests(1, Fault.loseResponse());

        assertThatThrownBy(() -> provider.refresh(identity)).isInstanceOf(TransientRefreshException.class);

        assertThatThrownBy(() -> provider.refresh(identity)).isInstanceOf(IdentityNotValid.class);
        assertThat(server.reusedRefreshTokens()).isEqualTo(1);
    }

    @Test
    void faultsOnlyHitTheTokenEndpoint() throws Exception {
        Identity identity = server.issueIdentity("alice", "read");
        server.failNextTokenRequests(1, Fault.serverError());

        assertThat(Wire.get(server.apiUrl("/user"), identity.accessToken()).status()).isEqualTo(200);
        assertThat(server.pendingFaults()).isEqualTo(1);
        server.clearFaults();
        assertThat(provider.refresh(identity).accessToken()).isNotEqualTo(identity.accessToken());
    }
}
