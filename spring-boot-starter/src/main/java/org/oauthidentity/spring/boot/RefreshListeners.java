package org.oauthidentity.spring.boot;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.oauthidentity.RefreshException;
import org.oauthidentity.refresh.RefreshListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every {@link RefreshListener} bean of the application as one listener, in bean order. A listener that throws is
 * logged and skipped; the others still hear the event. Thread-safe when the listeners are.
 */
final class RefreshListeners implements RefreshListener {
    private static final Logger log = LoggerFactory.getLogger(RefreshListeners.class);

    private final List<RefreshListener> listeners;

    private RefreshListeners(List<RefreshListener> listeners) {
        this.listeners = listeners;
    }

    static RefreshListener of(List<RefreshListener> listeners) {
        if (listeners.isEmpty()) {
            return RefreshListener.NONE;
        }
        return listeners.size() == 1 ? listeners.get(0) : new RefreshListeners(List.copyOf(listeners));
    }

    private void each(Consumer<RefreshListener> event) {
        for (RefreshListener listener : listeners) {
            try {
                event.accept(listener);
            } catch (RuntimeException e) {
                log.warn("refresh listener {} failed; ignored", listener.getClass().getName(), e);
            }
        }
    }

    @Override
    public void refreshStarted(String identityId, String providerKey) {
        each(l -> l.refreshStarted(identityId, providerKey));
    }

    @Override
    public void refreshSucceeded(String identityId, String providerKey, Duration took) {
        each(l -> l.refreshSucceeded(identityId, providerKey, took));
    }

    @Override
    public void refreshAdopted(String identityId, String providerKey) {
        each(l -> l.refreshAdopted(identityId, providerKey));
    }

    @Override
    public void refreshFailed(String identityId, String providerKey, RefreshException error) {
        each(l -> l.refreshFailed(identityId, providerKey, error));
    }

    @Override
    public void refreshOutcomeUnknown(String identityId, String providerKey, RefreshException error) {
        each(l -> l.refreshOutcomeUnknown(identityId, providerKey, error));
    }

    @Override
    public void refreshRetried(String identityId, String providerKey, int failedAttempt, Duration delay,
            RefreshException cause) {
        each(l -> l.refreshRetried(identityId, providerKey, failedAttempt, delay, cause));
    }

    @Override
    public void requestRetried(String identityId, String providerKey) {
        each(l -> l.requestRetried(identityId, providerKey));
    }

    // Events without a provider key (not from the library's refresher) go on as such.

    @Override
    public void refreshStarted(String identityId) {
        refreshStarted(identityId, null);
    }

    @Override
    public void refreshSucceeded(String identityId, Duration took) {
        refreshSucceeded(identityId, null, took);
    }

    @Override
    public void refreshAdopted(String identityId) {
        refreshAdopted(identityId, null);
    }

    @Override
    public void refreshFailed(String identityId, RefreshException error) {
        refreshFailed(identityId, null, error);
    }

    @Override
    public void refreshOutcomeUnknown(String identityId, RefreshException error) {
        refreshOutcomeUnknown(identityId, null, error);
    }

    @Override
    public void refreshRetried(String identityId, int failedAttempt, Duration delay, RefreshException cause) {
        refreshRetried(identityId, null, failedAttempt, delay, cause);
    }

    @Override
    public void requestRetried(String identityId) {
        requestRetried(identityId, null);
    }

    @Override
    public String toString() {
        return "RefreshListeners" + listeners;
    }
}
