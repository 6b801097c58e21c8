package org.oauthidentity.micrometer;

import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs metrics work and the next listener so that neither can throw into the refresh or the sweep, nor stop
 * the other. A failing registry is logged at WARN once, then at DEBUG, so a broken backend cannot flood the log.
 * Thread-safe.
 */
final class Quietly {
    private static final Logger log = LoggerFactory.getLogger(Quietly.class);
    private static final AtomicBoolean METRICS_FAILURE_LOGGED = new AtomicBoolean();

    private Quietly() {
    }

    /** Records; a failure is logged and dropped. */
    static void record(Runnable recording) {
        try {
            recording.run();
        } catch (RuntimeException e) {
            if (METRICS_FAILURE_LOGGED.compareAndSet(false, true)) {
                log.warn("oauth-identity metrics could not be recorded; ignored (further failures at DEBUG)", e);
            } else {
                log.debug("oauth-identity metrics could not be recorded; ignored", e);
            }
        }
    }

    /** Tells the next listener; its failure is logged and ignored, as the refresher or sweep would. */
    static void tell(String what, Runnable event) {
        try {
            event.run();
        } catch (RuntimeException e) {
            log.warn("{} listener failed; ignored", what, e);
        }
    }
}
