package org.oauthidentity.refresh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The delays themselves: exponential with full jitter, capped, Retry-After first. */
class RetryPolicyTest {

    @Test
    void delaysStayUnderADoublingCeilingCappedAtMaxDelay() {
        RetryPolicy policy = RetryPolicy.of(8, Duration.ofMillis(100), Duration.ofSeconds(1));
        Duration[] longest = new Duration[8];
        for (int run = 0; run < 500; run++) {
            for (int failed = 1; failed < 8; failed++) {
                Duration delay = policy.delayAfter(failed, Optional.empty()).orElseThrow();
                Duration ceiling = Duration.ofMillis(Math.min(1000, 100L << (failed - 1)));
                assertThat(delay).isBetween(Duration.ZERO, ceiling);
                if (longest[failed] == null || delay.compareTo(longest[failed]) > 0) {
                    longest[failed] = delay;
                }
            }
        }
        // Jitter is real: over 500 runs the longest wait comes close to each ceiling.
        assertThat(longest[1]).isGreaterThan(Duration.ofMillis(90));
        assertThat(longest[7]).isGreaterThan(Duration.ofMillis(900));
    }

    @Test
    void noDelayAfterTheLastAttempt() {
        RetryPolicy policy = RetryPolicy.of(3, Duration.ofMillis(100), Duration.ofSeconds(1));

        assertThat(policy.delayAfter(2, Optional.empty())).isPresent();
        assertThat(policy.delayAfter(3, Optional.empty())).isEmpty();
        assertThat(policy.delayAfter(3, Optional.of(Duration.ofMillis(1)))).isEmpty();
        assertThat(RetryPolicy.none().delayAfter(1, Optional.empty())).isEmpty();
    }

    @Test
    void retryAfterIsTakenAsItIsUpToMaxDelayAndEndsRetriesBeyond() {
        RetryPolicy policy = RetryPolicy.of(3, Duration.ofMillis(100), Duration.ofSeconds(5));

        assertThat(policy.delayAfter(1, Optional.of(Duration.ofSeconds(5)))).contains(Duration.ofSeconds(5));
        assertThat(policy.delayAfter(1, Optional.of(Duration.ZERO))).contains(Duration.ZERO);
        assertThat(policy.delayAfter(1, Optional.of(Duration.ofSeconds(6)))).isEmpty();
    }

    @Test
    void longRetrySeriesWithLargeDelaysDoNotOverflowIntoNoWaitAtAll() {
        RetryPolicy policy = RetryPolicy.of(64, Duration.ofSeconds(10), Duration.ofMinutes(1));

        Duration longestLate = Duration.ZERO;
        for (int failed = 1; failed < 64; failed++) {
            Duration delay = policy.delayAfter(failed, Optional.empty()).orElseThrow();
            assertThat(delay).isBetween(Duration.ZERO, Duration.ofMinutes(1));
            if (failed > 30 && delay.compareTo(longestLate) > 0) {
                longestLate = delay;
            }
        }
        assertThat(longestLate).isGreaterThan(Duration.ofSeconds(1));
    }

    @Test
    void atLeastOneAttempt() {
        assertThatThrownBy(() -> RetryPolicy.of(0, Duration.ZERO, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(RetryPolicy.defaults().maxAttempts()).isEqualTo(3);
    }
}
