package org.oauthidentity.refresh;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import org.oauthidentity.ProviderPausedException;

/**
 * How fast this process may send token requests to each provider, and which providers asked it to wait.
 * Shared by every {@link IdentityRefresher} built with it (and by their copies, such as the validation sweep's),
 * so on-demand refreshes and background checks of one process draw on one budget per provider key.
 *
 * <p><b>Limits</b> ({@link Builder#perSecond}) are per process: a fleet of n instances sends up to n times the
 * configured rate, so give each instance the vendor's budget divided by the number of instances (less a margin
 * for on-demand refreshes of users). A limit spaces requests evenly ({@code 1 / rate} apart) and keeps no
 * savings from idle time beyond one request, so no one-second window ever holds more than the rate plus two
 * requests: a vendor that counts requests per second sees the configured rate, not bursts. A provider without a
 * limit is never held back.
 *
 * <p><b>Priority.</b> On-demand refreshes (a user's call needs a token) reserve the next free slot and wait for
 * it; background refreshes ({@link IdentityRefresher#background()}, which the validation sweep uses) take a slot
 * only when no on-demand refresh is waiting for it, one background caller at a time (a fair queue), so a sweep
 * over a million identities never delays a user's request by more than one slot.
 *
 * <p><b>Pauses.</b> When a provider's token endpoint answers 429 (Too Many Requests), or 503 with a
 * {@code Retry-After}, the refresher {@linkplain #pause pauses} that provider until the time {@code Retry-After}
 * names (60 s when a 429 names none; at most 1 hour). While a provider is paused, background refreshes of its
 * identities send nothing and fail at once with {@link ProviderPausedException}; on-demand refreshes still go
 * (their caller's retry policy honours {@code Retry-After}).
 *
 * <p>Thread-safe. Time comes from the {@linkplain Builder#clock clock}; waits go through the
 * {@linkplain Builder#sleeper sleeper}, so tests run on a manual clock without waiting.
 */
public final class RateLimits {
    /** How long a 429 without {@code Retry-After} pauses a provider's background refreshes. */
    static final Duration DEFAULT_PAUSE = Duration.ofMinutes(1);
    /** The longest pause a vendor's {@code Retry-After} can impose. */
    static final Duration MAX_PAUSE = Duration.ofHours(1);

    private final Map<String, Lane> lanes;
    private final ConcurrentMap<String, Instant> pausedUntil = new ConcurrentHashMap<>();
    private final Clock clock;
    private final LongSupplier nanoTime;
    private final RetryPolicy.Sleeper sleeper;

    private RateLimits(Builder b) {
        this.clock = b.clock;
        this.nanoTime = b.nanoTime;
        this.sleeper = b.sleeper;
        Map<String, Lane> built = new LinkedHashMap<>();
        b.perSecond.forEach((key, rate) -> built.put(key, new Lane(rate)));
        this.lanes = Map.copyOf(built);
    }

    /** No limits; pauses still apply. A new instance each call: pauses are shared only by who shares it. */
    public static RateLimits none() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The configured limit of a provider, in token requests per second; empty when it has none. */
    public Optional<Double> perSecond(String providerKey) {
        Lane lane = lanes.get(providerKey);
        return lane == null ? Optional.empty() : Optional.of(lane.rate);
    }

    /** Until when background refreshes of {@code providerKey} are paused; empty when they are not. */
    public Optional<Instant> pausedUntil(String providerKey) {
        Instant until = pausedUntil.get(providerKey);
        if (until == null || !clock.instant().isBefore(until)) {
            return Optional.empty();
        }
        return Optional.of(until);
    }

    /**
     * Pauses the background refreshes of {@code providerKey} for {@code retryAfter} (60 s when absent, at most
     * 1 hour) from now; a pause never shortens one already in place.
     *
     * @return the end of the pause now in place
     */
    public Instant pause(String providerKey, Optional<Duration> retryAfter) {
        Duration wait = retryAfter.filter(d -> !d.isNegative()).orElse(DEFAULT_PAUSE);
        Instant until = clock.instant().plus(wait.compareTo(MAX_PAUSE) > 0 ? MAX_PAUSE : wait);
        return pausedUntil.merge(providerKey, until, (a, b) -> a.isAfter(b) ? a : b);
    }

    /**
     * Waits for a slot to send one token request to {@code providerKey}: at once when it has no limit.
     *
     * @return the slot taken, on the limiter's nanosecond time line; {@link Long#MIN_VALUE} without a limit
     * @throws ProviderPausedException a background caller, and the provider is paused: send nothing
     * @throws InterruptedException the wait was interrupted (an on-demand caller keeps its reserved slot unused)
     */
    long acquire(String providerKey, boolean background) throws ProviderPausedException, InterruptedException {
        if (background) {
            requireNotPaused(providerKey);
        }
        Lane lane = lanes.get(providerKey);
        if (lane == null) {
            return Long.MIN_VALUE;
        }
        return background ? lane.acquireBackground(providerKey) : lane.acquireOnDemand();
    }

    private void requireNotPaused(String providerKey) throws ProviderPausedException {
        Optional<Instant> until = pausedUntil(providerKey);
        if (until.isPresent()) {
            throw new ProviderPausedException(providerKey, until.get(), Duration.between(clock.instant(), until.get()),
                    null);
        }
    }

    private void sleepNanos(long nanos) throws InterruptedException {
        if (nanos > 0) {
            sleeper.sleep(Duration.ofNanos(nanos));
        }
    }

    /** Waits to well within a slot of the highest sensible rates; {@code Thread.sleep} rounds to milliseconds. */
    private static void park(Duration duration) throws InterruptedException {
        long end = System.nanoTime() + duration.toNanos();
        for (long left = duration.toNanos(); left > 0; left = end - System.nanoTime()) {
            LockSupport.parkNanos(left);
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("RateLimits{");
        lanes.forEach((key, lane) -> s.append(key).append('=').append(lane.rate).append("/s, "));
        pausedUntil.forEach((key, until) -> pausedUntil(key).ifPresent(u -> s.append(key).append(" paused until ")
                .append(u).append(", ")));
        return s.append('}').toString().replace(", }", "}");
    }

    /**
     * One provider's schedule of slots, {@code spacing} apart. {@code next} is the earliest slot still free; a
     * slot is never more than one spacing in the past, so idle time buys at most one extra request, and a caller
     * that wakes a little late sends at once without pushing the schedule back (no drift below the rate).
     */
    private final class Lane {
        final double rate;
        final long spacing;
        /** Background callers queue here, first come first served; only the head watches the schedule. */
        final ReentrantLock backgroundTurn = new ReentrantLock(true);
        /** The earliest free slot; starts in the past, so the first callers go at once. */
        private long next;

        Lane(double rate) {
            this.rate = rate;
            this.spacing = Math.max(1, Math.round(TimeUnit.SECONDS.toNanos(1) / rate));
            this.next = nanoTime.getAsLong() - 2 * spacing;
        }

        /** Reserves the next slot, however far ahead, and waits for it. */
        long acquireOnDemand() throws InterruptedException {
            long slot;
            synchronized (this) {
                slot = reserve(nanoTime.getAsLong());
            }
            sleepNanos(slot - nanoTime.getAsLong());
            return slot;
        }

        /**
         * Takes a slot only once it is free now: slots that on-demand callers reserved meanwhile go first. Checks
         * the pause again after every wait.
         */
        long acquireBackground(String providerKey) throws InterruptedException, ProviderPausedException {
            backgroundTurn.lockInterruptibly();
            try {
                long waitedFor = Long.MIN_VALUE;
                while (true) {
                    long wait;
                    synchronized (this) {
                        long now = nanoTime.getAsLong();
                        wait = next - now;
                        // After a full wait for the same slot, take it even if the clock disagrees (a clock that
                        // does not move with the sleeper must not hold the caller for ever).
                        if (wait <= 0 || next == waitedFor) {
                            return reserve(now);
                        }
                        waitedFor = next;
                    }
                    sleepNanos(wait);
                    requireNotPaused(providerKey);
                }
            } finally {
                backgroundTurn.unlock();
            }
        }

        /** Takes the next free slot (not earlier than one spacing ago) and returns it. Holds this monitor. */
        private long reserve(long now) {
            long earliest = now - spacing;
            long slot = next - earliest > 0 ? next : earliest;
            next = slot + spacing;
            return slot;
        }
    }

    /** Not thread-safe; build on one thread. */
    public static final class Builder {
        private final Map<String, Double> perSecond = new LinkedHashMap<>();
        private Clock clock = Clock.systemUTC();
        private LongSupplier nanoTime = System::nanoTime;
        private RetryPolicy.Sleeper sleeper = RateLimits::park;

        private Builder() {
        }

        /**
         * At most {@code requestsPerSecond} token requests per second from this process to the provider with this
         * key, evenly spaced. Per process: divide a vendor's budget among the instances. Default: no limit.
         */
        public Builder perSecond(String providerKey, double requestsPerSecond) {
            Objects.requireNonNull(providerKey, "providerKey");
            if (!(requestsPerSecond > 0) || Double.isInfinite(requestsPerSecond)) {
                throw new IllegalArgumentException("requestsPerSecond must be positive and finite");
            }
            perSecond.put(providerKey, requestsPerSecond);
            return this;
        }

        /**
         * The time of pauses and, with a clock of one's own (a test's manual clock), of the spacing too. Default:
         * the UTC system clock for pauses and {@link System#nanoTime()} for the spacing.
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            this.nanoTime = () -> {
                Instant now = clock.instant();
                return now.getEpochSecond() * 1_000_000_000L + now.getNano();
            };
            return this;
        }

        /** How callers wait for their slot. Default: parking the thread (to the microsecond, unlike a sleep). */
        public Builder sleeper(RetryPolicy.Sleeper sleeper) {
            this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
            return this;
        }

        public RateLimits build() {
            return new RateLimits(this);
        }
    }
}
