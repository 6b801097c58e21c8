package org.oauthidentity.http;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.oauthidentity.RefreshException;
import org.oauthidentity.refresh.RefreshListener;

/** Records events as "kind:identity" strings, in order. */
final class RecordingListener implements RefreshListener {
    final List<String> events = new CopyOnWriteArrayList<>();

    @Override
    public void refreshStarted(String identityId) {
        events.add("started:" + identityId);
    }

    @Override
    public void refreshSucceeded(String identityId, Duration took) {
        events.add("succeeded:" + identityId);
    }

    @Override
    public void refreshAdopted(String identityId) {
        events.add("adopted:" + identityId);
    }

    @Override
    public void refreshFailed(String identityId, RefreshException error) {
        events.add("failed:" + identityId + ":" + error.getClass().getSimpleName());
    }

    @Override
    public void requestRetried(String identityId) {
        events.add("requestRetried:" + identityId);
    }

    long count(String prefix) {
        return events.stream().filter(e -> e.startsWith(prefix)).count();
    }

    void clear() {
        events.clear();
    }
}
