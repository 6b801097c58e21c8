package org.oauthidentity.sweep;

import java.util.concurrent.atomic.AtomicInteger;
import org.oauthidentity.Identity;
import org.oauthidentity.Provider;
import org.oauthidentity.RefreshException;

/**
 * A provider that runs a test's hook before each refresh (to look at the store, move the clock, hold the
 * call on a latch, close the sweep) and then lets the delegate answer.
 */
final class HookedProvider implements Provider {
    @FunctionalInterface
    interface Hook {
        /** @param call 1 for the first refresh, 2 for the second, ... */
        void before(int call, Identity identity) throws Exception;
    }

    private final Provider delegate;
    private final Hook hook;
    private final AtomicInteger calls = new AtomicInteger();

    HookedProvider(Provider delegate, Hook hook) {
        this.delegate = delegate;
        this.hook = hook;
    }

    @Override
    public String key() {
        return delegate.key();
    }

    @Override
    public Identity refresh(Identity identity) throws RefreshException {
        try {
            hook.before(calls.incrementAndGet(), identity);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return delegate.refresh(identity);
    }
}
