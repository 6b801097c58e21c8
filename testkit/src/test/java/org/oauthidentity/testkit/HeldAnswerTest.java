package org.oauthidentity.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.testing.ManualClock;
import org.oauthidentity.testkit.FakeAuthorizationServer.Dialect;
import org.oauthidentity.testkit.FakeAuthorizationServer.Fault;
import org.oauthidentity.testkit.FakeAuthorizationServer.Gate;

/**
 * A token request held at a {@link Gate} until the test opens or drops it: no timing, only events. Each test
 * sends alice's refresh in the background, waits for it to arrive at the gate, acts while it is in flight,
 * then decides. The only waits are bounded event waits (the gate's arrival, the background call's future).
 */
class HeldAnswerTest {
    private static final Duration ARRIVAL = Duration.ofSeconds(10);
    private static final long ANSWER_SECONDS = 10;

    private final ManualClock clock = ManualClock.at("2025-03-01T10:00:00Z");
    private final ExecutorService background = Executors.newCachedThreadPool();
    private final Gate gate = new Gate();
    private FakeAuthorizationServer server;
    private String alice;
    private String bob;

    @BeforeEach
    void start() throws Exception {
        server = FakeAuthorizationServer.builder().dialect(Dialect.GENERIC).clock(clock).start();
        alice = server.issueIdentity("alice", "read").refreshToken().orElseThrow();
        bob = server.issueIdentity("bob", "read").refreshToken().orElseThrow();
    }

    @AfterEach
    void stop() {
        server.verifyNoInternalFailures();
        server.close(); // drops whatever a failed test left at the gate
        background.shutdownNow();
    }

    @Test
    void aHeldAnswerWasProcessedBeforeItWasHeld() throws Exception {
        server.failNextTokenRequests(1, Fault.held(gate));

        Future<Wire.Answer> held = inBackground(alice);
        assertThat(gate.awaitArrived(ARRIVAL)).isTrue();

        assertThat(refresh(bob).status()).as("another token request is served meanwhile").isEqualTo(200);
        Wire.Answer reuse = refresh(alice);
        assertThat(reuse.field("error")).as("alice's refresh token is already rotated away").isEqualTo("invalid_grant");
        assertThat(server.reusedRefreshTokens()).isEqualTo(1);
        assertThat(held.isDone()).as("still held").isFalse();

        gate.open();

        Wire.Answer answer = held.get(ANSWER_SECONDS, TimeUnit.SECONDS);
        assertThat(answer.status()).isEqualTo(200);
        assertThat(refresh(answer.field("refresh_token")).status()).as("the new refresh token works").isEqualTo(200);
    }

    @Test
    void aDroppedHeldAnswerLosesTheRotation() throws Exception {
        server.failNextTokenRequests(1, Fault.held(gate));

        Future<Wire.Answer> held = inBackground(alice);
        assertThat(gate.awaitArrived(ARRIVAL)).isTrue();
        gate.drop();

        assertFailsWithIOException(held);
        Wire.Answer reuse = refresh(alice);
        assertThat(reuse.status()).isEqualTo(400);
        assertThat(reuse.field("error")).isEqualTo("invalid_grant");
        assertThat(server.reusedRefreshTokens()).isEqualTo(1);
    }

    @Test
    void aRequestDroppedBeforeProcessingNeverReachedTheVendor() throws Exception {
        server.failNextTokenRequests(1, Fault.heldBeforeProcessing(gate));

        Future<Wire.Answer> held = inBackground(alice);
        assertThat(gate.awaitArrived(ARRIVAL)).isTrue();
        assertThat(refresh(bob).status()).as("another token request is served meanwhile").isEqualTo(200);
        gate.drop();

        assertFailsWithIOException(held);
        assertThat(refresh(alice).status()).as("alice's refresh token is still current").isEqualTo(200);
        assertThat(server.reusedRefreshTokens()).isZero();
    }

    @Test
    void aRequestHeldBeforeProcessingMeetsTheStateOfTheMomentItIsOpened() throws Exception {
        server.failNextTokenRequests(1, Fault.heldBeforeProcessing(gate));

        Future<Wire.Answer> held = inBackground(alice);
        assertThat(gate.awaitArrived(ARRIVAL)).isTrue();
        // Another process refreshes with the same token while the first request is in flight.
        assertThat(refresh(alice).status()).as("the token is still current while held").isEqualTo(200);
        gate.open();

        Wire.Answer late = held.get(ANSWER_SECONDS, TimeUnit.SECONDS);
        assertThat(late.status()).isEqualTo(400);
        assertThat(late.field("error")).isEqualTo("invalid_grant");
        assertThat(server.reusedRefreshTokens()).isEqualTo(1);
    }

    @Test
    void closingTheServerDropsHeldRequests() throws Exception {
        server.failNextTokenRequests(1, Fault.held(gate));
        Future<Wire.Answer> held = inBackground(alice);
        assertThat(gate.awaitArrived(ARRIVAL)).isTrue();

        // MockWebServer would wait for the held thread (and give up with an error after seconds).
        background.submit(() -> server.close()).get(ANSWER_SECONDS, TimeUnit.SECONDS);

        assertFailsWithIOException(held);
        gate.open(); // too late: harmless
    }

    @Test
    void aGateDecidesOnceAndLetsLaterRequestsThroughAtOnce() throws Exception {
        assertThat(gate.awaitArrived(Duration.ZERO)).as("nothing arrived").isFalse();
        gate.open();
        gate.open();
        assertThatThrownBy(gate::drop).isInstanceOf(IllegalStateException.class);

        server.failNextTokenRequests(1, Fault.heldBeforeProcessing(gate));
        assertThat(refresh(alice).status()).as("an open gate holds nothing").isEqualTo(200);
        assertThat(gate.awaitArrived(Duration.ZERO)).isTrue();
        assertThat(gate).hasToString("Gate{arrived=1, open}");
    }

    @Test
    void heldFaultsSayWhetherTheyProcess() {
        assertThat(Fault.held(gate)).hasToString("Fault{held, processed}");
        assertThat(Fault.heldBeforeProcessing(gate)).hasToString("Fault{held, not processed}");
    }

    private Future<Wire.Answer> inBackground(String refreshToken) {
        return background.submit(() -> refresh(refreshToken));
    }

    private static void assertFailsWithIOException(Future<Wire.Answer> call) {
        assertThatThrownBy(() -> call.get(ANSWER_SECONDS, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(IOException.class);
    }

    private Wire.Answer refresh(String token) throws IOException {
        return Wire.post(server.tokenUrl(), Wire.form("grant_type", "refresh_token", "refresh_token", token,
                "client_id", server.clientId(), "client_secret", server.clientSecret()));
    }
}
