package org.oauthidentity.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@link Clock} for tests that stands still until the test moves it: time comes from an injected clock, and
 * tests never sleep to wait for a token to expire.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>It never moves on its own: {@link #instant()} returns the same value until {@link #advance},
 *       {@link #set} or {@link #movePast} is called.</li>
 *   <li>It never moves backwards: {@link #advance} rejects a negative duration and {@link #set} an instant
 *       before the current one. Tests here only ever move time forward, and a fake server may advance the
 *       same clock from its own thread (to model latency); a rewind would silently undo that.</li>
 *   <li>Thread-safe: each move is one atomic update, so a test thread and a server thread may move and read
 *       it at once without losing a move.</li>
 *   <li>Its zone is UTC. {@link #withZone} returns a view in another zone that shares this clock's time:
 *       moving either moves both.</li>
 * </ul>
 * Two clocks are equal only if they are the same object. {@link #toString()} shows the current instant.
 */
public final class ManualClock extends Clock {
    private final AtomicReference<Instant> now;
    private final ZoneId zone;

    private ManualClock(AtomicReference<Instant> now, ZoneId zone) {
        this.now = now;
        this.zone = zone;
    }

    /** A clock standing at {@code start}, in UTC. */
    public static ManualClock at(Instant start) {
        return new ManualClock(new AtomicReference<>(Objects.requireNonNull(start, "start")), ZoneOffset.UTC);
    }

    /** A clock standing at an ISO-8601 instant such as {@code "2025-03-01T10:00:00Z"}, in UTC. */
    public static ManualClock at(String isoInstant) {
        return at(Instant.parse(Objects.requireNonNull(isoInstant, "isoInstant")));
    }

    /**
     * Moves the clock forward by {@code by} and returns the new instant.
     *
     * @throws IllegalArgumentException if {@code by} is negative
     */
    public Instant advance(Duration by) {
        Objects.requireNonNull(by, "by");
        if (by.isNegative()) {
            throw new IllegalArgumentException("a manual clock never moves backwards: " + by);
        }
        return now.updateAndGet(t -> t.plus(by));
    }

    /**
     * Moves the clock to {@code instant}, which may equal the current instant but not precede it.
     *
     * @throws IllegalArgumentException if {@code instant} is before the clock's current instant
     */
    public void set(Instant instant) {
        Objects.requireNonNull(instant, "instant");
        now.updateAndGet(t -> {
            if (instant.isBefore(t)) {
                throw new IllegalArgumentException(
                        "a manual clock never moves backwards: from " + t + " to " + instant);
            }
            return instant;
        });
    }

    /**
     * Moves the clock to one second past {@code instant} (e.g. an access token's expiry, which vendors give
     * in whole seconds) and returns the new instant; if the clock already stands after {@code instant} it
     * stays where it is.
     */
    public Instant movePast(Instant instant) {
        Objects.requireNonNull(instant, "instant");
        return now.updateAndGet(t -> t.isAfter(instant) ? t : instant.plusSeconds(1));
    }

    @Override
    public Instant instant() {
        return now.get();
    }

    @Override
    public long millis() {
        return now.get().toEpochMilli();
    }

    /** UTC, unless this is a view made by {@link #withZone}. */
    @Override
    public ZoneId getZone() {
        return zone;
    }

    /** A view of this clock in {@code zone}: it shares this clock's time, so moving either moves both. */
    @Override
    public ManualClock withZone(ZoneId zone) {
        Objects.requireNonNull(zone, "zone");
        return zone.equals(this.zone) ? this : new ManualClock(now, zone);
    }

    @Override
    public String toString() {
        return "ManualClock[" + now.get() + ", " + zone + ']';
    }
}
