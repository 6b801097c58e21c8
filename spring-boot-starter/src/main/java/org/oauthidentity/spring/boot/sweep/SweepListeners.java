package org.oauthidentity.spring.boot.sweep;

import java.util.List;
import org.oauthidentity.sweep.IdentityCheck;
import org.oauthidentity.sweep.PassSummary;
import org.oauthidentity.sweep.SweepListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;

/**
 * The sweep's one listener: publishes an {@link IdentityCheckedEvent} per check and a
 * {@link SweepPassFinishedEvent} per pass, then tells every {@link SweepListener} bean, in bean order. The identity
 * is deleted when the event's listeners or any listener bean ask for it. A listener that throws is logged and
 * skipped; the others still hear the check. Thread-safe when the listeners are.
 */
final class SweepListeners implements SweepListener {
    private static final Logger log = LoggerFactory.getLogger(SweepListeners.class);

    private final ApplicationEventPublisher events;
    private final List<SweepListener> listeners;

    SweepListeners(ApplicationEventPublisher events, List<SweepListener> listeners) {
        this.events = events;
        this.listeners = List.copyOf(listeners);
    }

    @Override
    public Action checked(IdentityCheck check) {
        IdentityCheckedEvent event = new IdentityCheckedEvent(check);
        boolean delete = false;
        try {
            events.publishEvent(event);
        } catch (RuntimeException e) {
            log.warn("a listener of IdentityCheckedEvent failed on identity {}; ignored", check.identityId(), e);
        }
        delete |= event.deletionRequested();
        for (SweepListener listener : listeners) {
            try {
                delete |= listener.checked(check) == Action.DELETE;
            } catch (RuntimeException e) {
                log.warn("sweep listener {} failed on identity {}; ignored", listener.getClass().getName(),
                        check.identityId(), e);
            }
        }
        return delete ? Action.DELETE : Action.KEEP;
    }

    @Override
    public void passFinished(PassSummary summary) {
        for (SweepListener listener : listeners) {
            try {
                listener.passFinished(summary);
            } catch (RuntimeException e) {
                log.warn("sweep listener {} failed on passFinished; ignored", listener.getClass().getName(), e);
            }
        }
        try {
            events.publishEvent(new SweepPassFinishedEvent(summary));
        } catch (RuntimeException e) {
            log.warn("a listener of SweepPassFinishedEvent failed; ignored", e);
        }
    }
}
