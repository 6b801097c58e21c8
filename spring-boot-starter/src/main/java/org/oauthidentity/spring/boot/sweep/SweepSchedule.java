package org.oauthidentity.spring.boot.sweep;

import java.time.Duration;
import org.oauthidentity.sweep.ValidationSweep;
import org.springframework.context.SmartLifecycle;

/**
 * Starts the sweep's schedule when the application context has started (a pass at once, then one every period
 * after the previous ended) and closes the sweep when the context stops: the running pass starts no new check,
 * its checks in flight finish (never interrupted: a token request cut short could lose a rotated refresh token),
 * and the sweep's threads end. Stopped last-in, first-out with the other lifecycles (the highest phase: after the
 * web server has started, before it stops). A closed sweep cannot start again, so a stopped context is not
 * restarted with its sweep.
 */
final class SweepSchedule implements SmartLifecycle {
    private final ValidationSweep sweep;
    private final Duration period;
    private volatile boolean running;

    SweepSchedule(ValidationSweep sweep, Duration period) {
        this.sweep = sweep;
        this.period = period;
    }

    @Override
    public synchronized void start() {
        if (!running) {
            sweep.start(period);
            running = true;
        }
    }

    @Override
    public synchronized void stop() {
        if (running) {
            sweep.close();
            running = false;
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
