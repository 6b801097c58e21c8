package org.oauthidentity.spring.boot;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.oauthidentity.RefreshException;
import org.oauthidentity.refresh.KeyedRefreshListener;
import org.oauthidentity.refresh.RefreshListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every {@link RefreshListener} bean of the application as one listener, in bean order. A listener that throws is
 * logged and skipped; the others still hear the event. Thread-safe when the listeners are.
 */
final class RefreshListeners extends KeyedRefreshListener {
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

    @Override
    public String toString() {
        return "RefreshListeners" + listeners;
    }
}
