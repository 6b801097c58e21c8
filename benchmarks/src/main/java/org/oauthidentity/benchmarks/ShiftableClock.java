package org.oauthidentity.benchmarks;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * The system clock moved forward on demand: lets a benchmark expire a loaded token at once instead of
 * waiting an hour. Give the same instance to the client and to the provider, so a refreshed token's expiry
 * and the client's "now" agree. Thread-safe.
 */
final class ShiftableClock extends Clock {
    private volatile long offsetMillis;

    void shift(Duration by) {
        offsetMillis += by.toMillis(); // one writer, the benchmark's own thread
    }

    /** Sets the total shift from the system clock (another process's rounds are counted from the start). */
    void shiftTo(Duration offset) {
        offsetMillis = offset.toMillis();
    }

    @Override
    public long millis() {
        return System.currentTimeMillis() + offsetMillis;
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis());
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("UTC only");
    }
}
