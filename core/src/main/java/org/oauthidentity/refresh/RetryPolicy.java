package org.oauthidentity.refresh;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How transient token-endpoint failures are retried: up to {@code maxAttempts} attempts in all, waiting
 * exponentially longer with full jitter between them, or what the vendor's {@code Retry-After} says. A
 * {@code Retry-After} beyond {@code maxDelay} ends the retries at once (waiting that long would hold every
 * caller). Permanent failures are never retried. Immutable and thread-safe.
 */
public final class RetryPolicy {
    /** Sleeps; injectable so tests never wait on the wall clock. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;
    }

    private static final Sleeper THREAD_SLEEP = d -> Thread.sleep(d.toMillis(), (int) (d.toNanosPart() % 1_000_000));

    private final int maxAttempts;
    private final Duration initialDelay;
    private final Duration maxDelay;
    private final Sleeper sleeper;

    private RetryPolicy(int maxAttempts, Duration initialDelay, Duration maxDelay, Sleeper sleeper) {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1");
        }
        this.maxAttempts = maxAttempts;
        this.initialDelay = Objects.requireNonNull(initialDelay, "initialDelay");
        this.maxDelay = Objects.requireNonNull(maxDelay, "maxDelay");
        this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
    }

    /** 3 attempts, 200 ms doubling up to 5 s. */
    public static RetryPolicy defaults() {
        return new RetryPolicy(3, Duration.ofMillis(200), Duration.ofSeconds(5), THREAD_SLEEP);
    }

    /** One attempt, no retry (the validation sweep records the failure and moves on). */
    public static RetryPolicy none() {
        return new RetryPolicy(1, Duration.ZERO, Duration.ZERO, THREAD_SLEEP);
    }

    public static RetryPolicy of(int maxAttempts, Duration initialDelay, Duration maxDelay) {
        return new RetryPolicy(maxAttempts, initialDelay, maxDelay, THREAD_SLEEP);
    }

    public RetryPolicy withSleeper(Sleeper sleeper) {
        return new RetryPolicy(maxAttempts, initialDelay, maxDelay, sleeper);
    }

    public int maxAttempts() {
        return maxAttempts;
    }

    Sleeper sleeper() {
        return sleeper;
    }

    /**
     * The wait before attempt {@code failedAttempt + 1}, or empty when no attempt should follow.
     */
    Optional<Duration> delayAfter(int failedAttempt, Optional<Duration> retryAfter) {
        if (failedAttempt >= maxAttempts) {
            return Optional.empty();
        }
        if (retryAfter.isPresent()) {
            return retryAfter.get().compareTo(maxDelay) <= 0 ? retryAfter : Optional.empty();
        }
        // Doubling saturates at maxDelay; a plain shift would overflow into a negative, i.e. no wait at all.
        int doublings = Math.min(failedAttempt - 1, 62);
        long max = maxDelay.toNanos();
        long initial = initialDelay.toNanos();
        long ceiling = initial > (max >> doublings) ? max : Math.min(max, initial << doublings);
        return Optional.of(Duration.ofNanos(ceiling <= 0 ? 0 : ThreadLocalRandom.current().nextLong(ceiling + 1)));
    }
}
