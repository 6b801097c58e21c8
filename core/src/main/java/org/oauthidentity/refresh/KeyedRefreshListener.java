package org.oauthidentity.refresh;

import java.time.Duration;
import org.oauthidentity.RefreshException;

/**
 * A {@link RefreshListener} that hears every event in its form with the provider key: the forms without one (from a
 * caller that is not the library's refresher) arrive here with a null key. Extend it when the provider key matters
 * (metrics tags, composites that pass events on), and override the keyed forms only.
 */
public abstract class KeyedRefreshListener implements RefreshListener {

    @Override
    public final void refreshStarted(String identityId) {
        refreshStarted(identityId, null);
    }

    @Override
    public final void refreshSucceeded(String identityId, Duration took) {
        refreshSucceeded(identityId, null, took);
    }

    @Override
    public final void refreshAdopted(String identityId) {
        refreshAdopted(identityId, null);
    }

    @Override
    public final void refreshFailed(String identityId, RefreshException error) {
        refreshFailed(identityId, null, error);
    }

    @Override
    public final void refreshOutcomeUnknown(String identityId, RefreshException error) {
        refreshOutcomeUnknown(identityId, null, error);
    }

    @Override
    public final void refreshRetried(String identityId, int failedAttempt, Duration delay, RefreshException cause) {
        refreshRetried(identityId, null, failedAttempt, delay, cause);
    }

    @Override
    public final void requestRetried(String identityId) {
        requestRetried(identityId, null);
    }

    // The keyed forms do nothing unless overridden (not forwarding to the forms above, which come back here).

    @Override
    public void refreshStarted(String identityId, String providerKey) {
    }

    @Override
    public void refreshSucceeded(String identityId, String providerKey, Duration took) {
    }

    @Override
    public void refreshAdopted(String identityId, String providerKey) {
    }

    @Override
    public void refreshFailed(String identityId, String providerKey, RefreshException error) {
    }

    @Override
    public void refreshOutcomeUnknown(String identityId, String providerKey, RefreshException error) {
    }

    @Override
    public void refreshRetried(String identityId, String providerKey, int failedAttempt, Duration delay,
            RefreshException cause) {
    }

    @Override
    public void requestRetried(String identityId, String providerKey) {
    }
}
