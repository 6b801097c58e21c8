package org.oauthidentity.refresh;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotFoundException;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.IdentityStore;
import org.oauthidentity.IdentityStoreException;
import org.oauthidentity.LeaseTimeoutException;
import org.oauthidentity.Provider;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.RefreshException;
import org.oauthidentity.RefreshException.Details;
import org.oauthidentity.RefreshNotPersistedException;
import org.oauthidentity.TransientRefreshException;
import org.oauthidentity.VersionConflictException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refreshes a stored identity the one safe way, for every caller ({@code RefreshingHttpClient}, the
 * validation sweep):
 * <ol>
 *   <li>take the identity's refresh lease from the store (exclusive across threads and, for a shared store,
 *       across processes);</li>
 *   <li>if the stored version has moved past the one the caller saw, someone else refreshed: return the
 *       stored identity, no token request;</li>
 *   <li>otherwise ask the provider, retrying transient failures per the {@link RetryPolicy};</li>
 *   <li>save the result with compare-and-set before returning it, so no caller ever uses a token that is
 *       not persisted;</li>
 *   <li>on {@link IdentityNotValid}, look at the store once more: if another writer already rotated the
 *       refresh token, return its identity instead.</li>
 * </ol>
 * A failure leaves the stored identity unchanged. Thread-safe; holds no state but its configuration.
 */
public final class IdentityRefresher {
    private static final Logger log = LoggerFactory.getLogger(IdentityRefresher.class);

    private final IdentityStore store;
    private final Map<String, Provider> providers;
    private final Duration leaseWait;
    private final RetryPolicy retryPolicy;
    private final RefreshListener listener;

    private IdentityRefresher(Builder b) {
        this.store = Objects.requireNonNull(b.store, "store");
        if (b.providers.isEmpty()) {
            throw new IllegalArgumentException("at least one provider is required");
        }
        this.providers = Map.copyOf(b.providers);
        this.leaseWait = b.leaseWait;
        this.retryPolicy = b.retryPolicy;
        this.listener = b.listener;
    }

    public static Builder builder(IdentityStore store) {
        return new Builder(store);
    }

    public IdentityStore store() {
        return store;
    }

    /** A refresher that shares everything with this one but retries per {@code policy}. */
    public IdentityRefresher withRetryPolicy(RetryPolicy policy) {
        Builder b = new Builder(store);
        b.providers.putAll(providers);
        return b.leaseWait(leaseWait).retryPolicy(policy).listener(listener).build();
    }

    /** Refreshes {@code seen}, or adopts a newer stored version of it. */
    public Identity refresh(Identity seen) throws RefreshException {
        return refresh(seen.id(), seen.version());
    }

    /**
     * Refreshes the identity unless the store already holds a version newer than {@code observedVersion},
     * which is then returned as it is.
     *
     * @return the stored, refreshed identity
     * @throws IdentityNotValid the vendor says it is gone, it has no refresh token, or it is no longer stored
     *     (then the cause is an {@link IdentityNotFoundException})
     * @throws RefreshNotPersistedException the vendor answered but the store failed; new tokens not used
     */
    public Identity refresh(String id, long observedVersion) throws RefreshException {
        IdentityStore.RefreshLease lease = acquire(id);
        try {
            Identity current = lease.identity();
            if (current.version() != observedVersion) {
                notify(() -> listener.refreshAdopted(id));
                return current;
            }
            Provider provider = providers.get(current.providerKey());
            if (provider == null) {
                throw new ProviderConfigurationException(Details.of(
                        "no provider registered for key '" + current.providerKey() + "' (identity " + id + ")"));
            }
            notify(() -> listener.refreshStarted(id));
            long started = System.nanoTime();
            Identity refreshed;
            try {
                refreshed = refreshWithRetries(provider, current);
            } catch (IdentityNotValid e) {
                Optional<Identity> rotatedElsewhere = rotatedElsewhere(current);
                if (rotatedElsewhere.isPresent()) {
                    notify(() -> listener.refreshAdopted(id));
                    return rotatedElsewhere.get();
                }
                throw e;
            }
            Identity saved = persist(lease, current, refreshed);
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            notify(() -> listener.refreshSucceeded(id, took));
            return saved;
        } catch (RefreshException e) {
            notify(() -> listener.refreshFailed(id, e));
            throw e;
        } finally {
            lease.close();
        }
    }

    private IdentityStore.RefreshLease acquire(String id) throws RefreshException {
        try {
            return store.acquireRefreshLease(id, leaseWait);
        } catch (IdentityNotFoundException e) {
            throw new IdentityNotValid(Details.of("identity " + id + " is no longer stored"), e);
        } catch (LeaseTimeoutException e) {
            throw new TransientRefreshException(Details.of(
                    "identity " + id + " is being refreshed by another caller that took longer than " + leaseWait), e);
        } catch (RuntimeException e) {
            // IdentityStoreException, or a store that breaks its contract: either way an outage, never a crash.
            throw new TransientRefreshException(Details.of("identity store failed before refreshing " + id), e);
        }
    }

    private Identity refreshWithRetries(Provider provider, Identity current) throws RefreshException {
        for (int attempt = 1; ; attempt++) {
            try {
                return provider.refresh(current);
            } catch (RuntimeException e) {
                // A provider bug (or a vendor hook's unchecked exception) is a failed refresh, never a crash of
                // the caller; the class name only, as the message might quote a URL or a value.
                throw new TransientRefreshException(Details.of("provider '" + provider.key()
                        + "' failed unexpectedly refreshing identity " + current.id() + ": "
                        + e.getClass().getSimpleName()), e);
            } catch (TransientRefreshException e) {
                Optional<Duration> delay = retryPolicy.delayAfter(attempt, e.retryAfter());
                if (delay.isEmpty()) {
                    throw e;
                }
                int failed = attempt;
                notify(() -> listener.refreshRetried(current.id(), failed, delay.get(), e));
                try {
                    retryPolicy.sleeper().sleep(delay.get());
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private Optional<Identity> rotatedElsewhere(Identity used) {
        try {
            return store.find(used.id()).filter(stored -> stored.version() != used.version()
                    && !stored.refreshToken().equals(used.refreshToken()));
        } catch (IdentityStoreException e) {
            return Optional.empty();
        }
    }

    private Identity persist(IdentityStore.RefreshLease lease, Identity current, Identity refreshed)
            throws RefreshException {
        boolean rotated = !refreshed.refreshToken().equals(current.refreshToken());
        try {
            return lease.saveAndRelease(refreshed.toBuilder().version(current.version()).build());
        } catch (VersionConflictException e) {
            // A writer that ignores leases saved first. Its copy is the newer one; ours is dropped.
            log.warn("identity {}: refreshed, but another writer saved first without the refresh lease; "
                    + "using the stored identity{}", current.id(),
                    rotated ? " (the refresh token this refresh received is discarded)" : "");
            Optional<Identity> stored = store.find(current.id());
            if (stored.isEmpty()) {
                throw new IdentityNotValid(Details.of("identity " + current.id() + " is no longer stored"),
                        new IdentityNotFoundException(current.id()));
            }
            return stored.get();
        } catch (IdentityNotFoundException e) {
            throw new IdentityNotValid(Details.of("identity " + current.id()
                    + " was deleted while it was being refreshed; the new tokens were not used"), e);
        } catch (RuntimeException e) {
            // Not only IdentityStoreException: whatever the store throws, the new tokens are unsaved and unused.
            log.error("identity {}: the vendor issued new tokens but the store could not save them{}",
                    current.id(), rotated
                            ? "; the refresh token was rotated, so the stored one is probably revoked now" : "", e);
            throw new RefreshNotPersistedException(Details.of("identity " + current.id()
                    + " was refreshed but the store could not save it; the new tokens were not used"
                    + (rotated ? " and the vendor rotated the refresh token" : "")), rotated, e);
        }
    }

    private static void notify(Runnable event) {
        try {
            event.run();
        } catch (RuntimeException e) {
            log.warn("refresh listener failed; ignored", e);
        }
    }

    /** Not thread-safe; build on one thread. */
    public static final class Builder {
        private final IdentityStore store;
        private final Map<String, Provider> providers = new LinkedHashMap<>();
        private Duration leaseWait = Duration.ofSeconds(30);
        private RetryPolicy retryPolicy = RetryPolicy.defaults();
        private RefreshListener listener = RefreshListener.NONE;

        private Builder(IdentityStore store) {
            this.store = store;
        }

        /** Adds a provider; identities name it by {@link Provider#key()}. */
        public Builder provider(Provider provider) {
            if (providers.putIfAbsent(provider.key(), provider) != null) {
                throw new IllegalArgumentException("two providers with key " + provider.key());
            }
            return this;
        }

        /** How long to wait for another caller's refresh of the same identity. Default 30 s. */
        public Builder leaseWait(Duration leaseWait) {
            if (leaseWait.isNegative()) {
                throw new IllegalArgumentException("leaseWait must not be negative");
            }
            this.leaseWait = leaseWait;
            return this;
        }

        public Builder retryPolicy(RetryPolicy retryPolicy) {
            this.retryPolicy = Objects.requireNonNull(retryPolicy, "retryPolicy");
            return this;
        }

        public Builder listener(RefreshListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        public IdentityRefresher build() {
            return new IdentityRefresher(this);
        }
    }
}
