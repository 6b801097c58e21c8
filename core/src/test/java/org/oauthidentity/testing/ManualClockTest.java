package org.oauthidentity.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.oauthidentity.support.Concurrently;

/** The clock users inject in their unit tests moves only when told, only forward, and loses no move. */
class ManualClockTest {
    private static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");

    @Test
    void standsStillUntilMovedAndSaysWhereItStands() {
        ManualClock clock = ManualClock.at("2025-03-01T10:00:00Z");

        assertThat(clock.instant()).isEqualTo(T0);
        assertThat(clock.instant()).isEqualTo(T0);
        assertThat(clock.millis()).isEqualTo(T0.toEpochMilli());
        assertThat(clock.getZone()).isEqualTo(ZoneOffset.UTC);
        assertThat(clock).hasToString("ManualClock[2025-03-01T10:00:00Z, Z]");
    }

    @Test
    void advanceMovesForwardAndReturnsTheNewInstant() {
        ManualClock clock = ManualClock.at(T0);

        assertThat(clock.advance(Duration.ofMinutes(5))).isEqualTo(T0.plusSeconds(300));
        assertThat(clock.advance(Duration.ZERO)).isEqualTo(T0.plusSeconds(300));
        assertThat(clock.instant()).isEqualTo(T0.plusSeconds(300));
        assertThat(clock.millis()).isEqualTo(T0.plusSeconds(300).toEpochMilli());
    }

    @Test
    void setMovesToAnInstantNotBeforeTheCurrentOne() {
        ManualClock clock = ManualClock.at(T0);

        clock.set(T0);
        assertThat(clock.instant()).isEqualTo(T0);
        clock.set(T0.plusSeconds(3600));
        assertThat(clock.instant()).isEqualTo(T0.plusSeconds(3600));
    }

    @Test
    void neverMovesBackwards() {
        ManualClock clock = ManualClock.at(T0);
        clock.advance(Duration.ofMinutes(1));

        assertThrows(IllegalArgumentException.class, () -> clock.set(T0));
        assertThrows(IllegalArgumentException.class, () -> clock.advance(Duration.ofSeconds(-1)));
        assertThat(clock.instant()).isEqualTo(T0.plusSeconds(60));
    }

    @Test
    void movePastGoesJustPastAnExpiryOrStaysIfAlreadyPastIt() {
        ManualClock clock = ManualClock.at(T0);
        Instant expiry = T0.plusSeconds(3600);

        assertThat(clock.movePast(expiry)).isEqualTo(expiry.plusSeconds(1));
        assertThat(clock.movePast(expiry)).as("already past it").isEqualTo(expiry.plusSeconds(1));
        assertThat(clock.movePast(T0)).as("an earlier instant").isEqualTo(expiry.plusSeconds(1));
        assertThat(clock.instant()).isEqualTo(expiry.plusSeconds(1));
    }

    @Test
    void aViewInAnotherZoneSharesTheSameTime() {
        ManualClock utc = ManualClock.at(T0);
        ZoneId paris = ZoneId.of("Europe/Paris");
        Clock inParis = utc.withZone(paris);

        assertThat(inParis.getZone()).isEqualTo(paris);
        assertThat(utc.withZone(ZoneOffset.UTC)).isSameAs(utc);
        utc.advance(Duration.ofHours(1));
        assertThat(inParis.instant()).isEqualTo(T0.plusSeconds(3600));
        ((ManualClock) inParis).advance(Duration.ofHours(1));
        assertThat(utc.instant()).isEqualTo(T0.plusSeconds(7200));
        assertThat(utc.getZone()).isEqualTo(ZoneOffset.UTC);
    }

    @Test
    void movesFromManyThreadsAtOnceAreAllKept() throws Exception {
        ManualClock clock = ManualClock.at(T0);
        int threads = 8;
        int movesPerThread = 1_000;
        try (Concurrently together = Concurrently.threads(threads)) {
            for (int round = 0; round < 5; round++) {
                Instant start = clock.instant();
                together.run(n -> {
                    Instant seen = start;
                    for (int i = 0; i < movesPerThread; i++) {
                        Instant moved = clock.advance(Duration.ofMillis(1));
                        assertThat(moved).as("each move is seen whole").isAfter(seen);
                        Instant read = clock.instant();
                        assertThat(read).as("no thread sees time go backwards").isAfterOrEqualTo(moved);
                        seen = read;
                    }
                });
                assertThat(clock.instant()).isEqualTo(start.plusMillis((long) threads * movesPerThread));
            }
        }
    }
}
