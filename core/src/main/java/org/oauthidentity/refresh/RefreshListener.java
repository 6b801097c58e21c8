package org.oauthidentity.refresh;

import java.time.Duration;
import org.oauthidentity.RefreshException;

/**
 * Hears what happens to refreshes, for metrics and logs. Every method has a no-op default. Called on the
 * refreshing thread; keep it fast. An exception thrown here is logged and ignored: it cannot undo a
 * refresh, which is persisted before any listener hears of it. Never receives a token.
 *
 * <p>The library calls the forms that also carry the identity's provider key (a bounded value, fit for a metric
 * tag; null when the identity could not be read, e.g. its lease could not be had); by default they forward to the
 * forms without it, so a listener overrides whichever it needs.
 */
public interface RefreshListener {
    RefreshListener NONE = new RefreshListener() {
    };

    /** As {@link #refreshStarted(String)}, with the identity's provider key. */
    default void refreshStarted(String identityId, String providerKey) {
        refreshStarted(identityId);
    }

    /** As {@link #refreshSucceeded(String, Duration)}, with the identity's provider key. */
    default void refreshSucceeded(String identityId, String providerKey, Duration took) {
        refreshSucceeded(identityId, took);
    }

    /** As {@link #refreshAdopted(String)}, with the identity's provider key. */
    default void refreshAdopted(String identityId, String providerKey) {
        refreshAdopted(identityId);
    }

    /** As {@link #refreshFailed(String, RefreshException)}, with the identity's provider key (or null). */
    default void refreshFailed(String identityId, String providerKey, RefreshException error) {
        refreshFailed(identityId, error);
    }

    /** As {@link #refreshOutcomeUnknown(String, RefreshException)}, with the identity's provider key. */
    default void refreshOutcomeUnknown(String identityId, String providerKey, RefreshException error) {
        refreshOutcomeUnknown(identityId, error);
    }

    /** As {@link #refreshRetried(String, int, Duration, RefreshException)}, with the identity's provider key. */
    default void refreshRetried(String identityId, String providerKey, int failedAttempt, Duration delay,
            RefreshException cause) {
        refreshRetried(identityId, failedAttempt, delay, cause);
    }

    /** As {@link #requestRetried(String)}, with the identity's provider key. */
    default void requestRetried(String identityId, String providerKey) {
        requestRetried(identityId);
    }

    /** This caller is about to ask the vendor for new tokens. */
    default void refreshStarted(String identityId) {
    }

    /** New tokens were issued and saved. */
    default void refreshSucceeded(String identityId, Duration took) {
    }

    /** Another caller or process had refreshed already; its stored result was used, no token request made. */
    default void refreshAdopted(String identityId) {
    }

    /** The refresh failed; the stored identity is unchanged. */
    default void refreshFailed(String identityId, RefreshException error) {
    }

    /**
     * A token request was sent and its answer was lost or cut off: the vendor may have rotated the refresh token
     * and the new one never arrived. Not retried; also reported to {@link #refreshFailed}. Worth an alert when it
     * repeats: it is the one way a healthy identity can be lost.
     */
    default void refreshOutcomeUnknown(String identityId, RefreshException error) {
    }

    /** A transient failure will be retried after {@code delay}. */
    default void refreshRetried(String identityId, int failedAttempt, Duration delay, RefreshException cause) {
    }

    /** An API call answered 401 and was sent once more with a refreshed token. */
    default void requestRetried(String identityId) {
    }
}
