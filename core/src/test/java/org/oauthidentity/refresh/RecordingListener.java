package org.oauthidentity.refresh;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.oauthidentity.RefreshException;

/** Writes down every event as {@code "event identity"}, in order. Thread-safe. */
final class RecordingListener implements RefreshListener {
    final List<String> events = new CopyOnWriteArrayList<>();
    final List<RefreshException> failures = new CopyOnWriteArrayList<>();
    final List<Duration> retryDelays = new CopyOnWriteArrayList<>();

    @Override
    public void refreshStarted(String identityId) {
        events.add("started " + identityId);
    }

    @Override
    public void refreshSucceeded(String identityId, Duration took) {
        events.add("succeeded " + identityId);
    }

    @Override
    public void refreshAdopted(String identityId) {
        events.add("adopted " + identityId);
    }

    @Override
    public void refreshFailed(String identityId, RefreshException error) {
        events.add("failed " + identityId);
        failures.add(error);
    }

    @Override
    public void refreshOutcomeUnknown(String identityId, RefreshException error) {
        events.add("unknown " + identityId);
    }

    @Override
    public void refreshRetried(String identityId, int failedAttempt, Duration delay, RefreshException cause) {
        events.add("retried " + identityId + " after attempt " + failedAttempt);
        retryDelays.add(delay);
    }

    long count(String event) {
        return events.stream().filter(e -> e.startsWith(event + " ")).count();
    }
}
