package org.oauthidentity.support;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityStore;
import org.oauthidentity.IdentityStoreException;
import org.oauthidentity.store.ForwardingIdentityStore;

/**
 * A real {@link IdentityStore} (it delegates to another) whose saves can be made to fail, as a database
 * that goes down between reading and writing would. A failed save writes nothing, and a lease whose save
 * failed is still released. Thread-safe.
 */
public final class FlakyIdentityStore extends ForwardingIdentityStore {
    private final AtomicBoolean failSaves = new AtomicBoolean();
    private final AtomicInteger failedSaves = new AtomicInteger();

    public FlakyIdentityStore(IdentityStore delegate) {
        super(delegate);
    }

    /** From now on every save (plain or through a lease) fails with an {@link IdentityStoreException}. */
    public FlakyIdentityStore failSaves(boolean fail) {
        failSaves.set(fail);
        return this;
    }

    public int failedSaves() {
        return failedSaves.get();
    }

    @Override
    public Identity save(Identity identity) {
        failIfAsked(identity.id());
        return super.save(identity);
    }

    @Override
    public RefreshLease acquireRefreshLease(String id, Duration maxWait) {
        return new ForwardingRefreshLease(super.acquireRefreshLease(id, maxWait)) {
            @Override
            public Identity saveAndRelease(Identity refreshed) {
                try {
                    failIfAsked(refreshed.id());
                } catch (IdentityStoreException e) {
                    close();
                    throw e;
                }
                return super.saveAndRelease(refreshed);
            }
        };
    }

    private void failIfAsked(String id) {
        if (failSaves.get()) {
            failedSaves.incrementAndGet();
            throw new IdentityStoreException("store unavailable while saving identity " + id);
        }
    }
}
