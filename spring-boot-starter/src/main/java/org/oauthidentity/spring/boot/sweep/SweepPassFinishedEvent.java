package org.oauthidentity.spring.boot.sweep;

import java.util.Objects;
import org.oauthidentity.sweep.PassSummary;

/**
 * Published when a validation pass ended, on the thread that ran it, after every {@link IdentityCheckedEvent} of
 * the pass. The summary counts the outcomes; {@link PassSummary#state()} says how the pass ended (a
 * {@link PassSummary.State#CONFIGURATION_ERROR} halt is our client's fault, not the identities').
 */
public final class SweepPassFinishedEvent {
    private final PassSummary summary;

    /** @param summary the pass's final counts */
    public SweepPassFinishedEvent(PassSummary summary) {
        this.summary = Objects.requireNonNull(summary, "summary");
    }

    /** The pass's final counts and state. */
    public PassSummary summary() {
        return summary;
    }

    @Override
    public String toString() {
        return "SweepPassFinishedEvent{" + summary + '}';
    }
}
