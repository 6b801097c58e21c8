package org.oauthidentity.refresh;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotFoundException;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.IdentityStore;
import org.oauthidentity.IdentityStoreException;
import org.oauthidentity.LeaseTimeoutException;
import org.oauthidentity.Provider;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.ProviderPausedException;
import org.oauthidentity.RefreshException;
import org.oauthidentity.RefreshException.Details;
import org.oauthidentity.RefreshNotPersistedException;
import org.oauthidentity.RefreshOutcomeUnknownException;
import org.oauthidentity.TokenResponseException;
import org.oauthidentity.TransientRefreshException;
import org.oauthidentity.VersionConflictException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refreshes a stored identity the one safe way, for every caller ({@code RefreshingHttpClient}, the
 * validation sweep):
 * <ol>
 *   <li>take the identity's refresh lease from the store (exclusive across threads and, for a shared store,
 *       across processes), and keep renewing it while the token request runs, so that a slow vendor never lets
 *       a second instance present the same refresh token;</li>
 *   <li>if the store holds another incarnation of the id (it was deleted and linked again) or a version past the
 *       one the caller saw, someone else refreshed: return the stored identity, no token request;</li>
 *   <li>otherwise ask the provider, retrying per the {@link RetryPolicy} only failures that prove the vendor
 *       did not process the request; a request whose answer was lost ({@link RefreshOutcomeUnknownException})
 *       is never sent again with the same refresh token;</li>
 *   <li>save the result with compare-and-set (incarnation and version) before returning it, so no caller ever
 *       uses a token that is not persisted; a rotated refresh token that came with an unusable response
 *       ({@link TokenResponseException#issued()}) is saved too, before the failure is reported;</li>
 *   <li>on {@link IdentityNotValid}, look at the store once more: if another writer already rotated the
 *       refresh token, return its identity instead; if this caller took the lease over from a holder whose
 *       lease ran out, wait for that holder's save first; and if an earlier request with this refresh token
 *       lost its answer, say so ({@link IdentityNotValid#afterLostAnswer()}).</li>
 * </ol>
 *
 * <p><b>Lost answers are recorded in the store</b>, so every instance knows: a request whose answer was lost
 * marks the identity {@link #UNANSWERED} (credentials unchanged); the next caller, in any instance, presents the
 * refresh token once more, which either works (the vendor never processed the lost request) or is refused, and
 * then the identity is marked {@link #LOST_ANSWER} and no caller presents that token again. Both marks are
 * extras, cleared when new tokens are saved.
 *
 * <p><b>Interrupts.</b> The refresh runs on the refresher's {@linkplain Builder#executor executor}, not on the
 * caller's thread: interrupting a caller (a framework timeout, {@code Call.cancel()}, an executor shutting down)
 * ends only that caller's wait; the token request completes and its result is saved, so a rotated refresh token
 * is never dropped half way.
 *
 * <p>A failure leaves the stored credentials unchanged (the marks above aside). Thread-safe; holds no state but
 * its configuration.
 */
public final class IdentityRefresher {
    private static final Logger log = LoggerFactory.getLogger(IdentityRefresher.class);
    /** Stands for "whatever incarnation is stored" in {@link #refresh(String, long)}. */
    private static final long ANY_INCARNATION = Long.MIN_VALUE + 1;
    /**
     * Extra recorded on an identity whose last token request lost its answer (the vendor may have rotated its
     * refresh token). Cleared by the next save of new tokens.
     */
    public static final String UNANSWERED = "oauth-identity.unanswered";
    /**
     * Extra recorded on an identity whose refresh token the vendor refused after a lost answer: no caller presents
     * it again; every refresh fails with {@link IdentityNotValid#afterLostAnswer()} until the account is linked
     * again.
     */
    public static final String LOST_ANSWER = "oauth-identity.lost-answer";

    private final IdentityStore store;
    private final Map<String, Provider> providers;
    private final Duration leaseWait;
    private final RetryPolicy retryPolicy;
    private final RefreshListener listener;
    private final Executor executor;
    private final RateLimits rateLimits;
    /** Background refreshes give way to on-demand ones under a rate limit and hold off while a provider is paused. */
    private final boolean background;

    private IdentityRefresher(Builder b) {
        this.store = Objects.requireNonNull(b.store, "store");
        if (b.providers.isEmpty()) {
            throw new IllegalArgumentException("at least one provider is required");
        }
        this.providers = Map.copyOf(b.providers);
        this.leaseWait = b.leaseWait;
        this.retryPolicy = b.retryPolicy;
        this.listener = b.listener;
        this.executor = b.executor != null ? b.executor : RefreshThreads.executor();
        this.rateLimits = b.rateLimits != null ? b.rateLimits : RateLimits.none();
        this.background = b.background;
    }

    public static Builder builder(IdentityStore store) {
        return new Builder(store);
    }

    public IdentityStore store() {
        return store;
    }

    /** A refresher that shares everything with this one (its rate limits too) but retries per {@code policy}. */
    public IdentityRefresher withRetryPolicy(RetryPolicy policy) {
        return copy(policy, background);
    }

    /**
     * A refresher that shares everything with this one (its rate limits too) for work nobody waits on, such as
     * the validation sweep's checks: under a {@linkplain Builder#rateLimits rate limit} its token requests give way
     * to this refresher's, and while a provider is {@linkplain RateLimits paused} it sends nothing and fails with
     * {@link ProviderPausedException}, as it does when its own request is answered 429 (or 503 with
     * {@code Retry-After}), which begins the pause. It refreshes on the calling thread instead of the
     * {@linkplain Builder#executor executor}: background threads are not a user's, whose wait a framework may
     * interrupt, and one hand-off less per refresh matters to a sweep of a million identities (an interrupt that
     * does reach a token request in flight ends as a lost answer, never as a dropped refresh token).
     */
    public IdentityRefresher background() {
        return copy(retryPolicy, true);
    }

    private IdentityRefresher copy(RetryPolicy policy, boolean inBackground) {
        Builder b = new Builder(store);
        b.providers.putAll(providers);
        b.executor = inBackground ? Runnable::run : executor;
        b.rateLimits = rateLimits;
        b.background = inBackground;
        return b.leaseWait(leaseWait).retryPolicy(policy).listener(listener).build();
    }

    /** The keys of the providers this refresher knows. */
    public Set<String> providerKeys() {
        return providers.keySet();
    }

    /** The token-request budgets and pauses this refresher (and its copies) shares. */
    public RateLimits rateLimits() {
        return rateLimits;
    }

    /**
     * Refreshes {@code seen}, or adopts what the store holds instead: a newer version of it, or another
     * incarnation of its id (it was deleted and linked again; compare {@link Identity#incarnation()} to tell).
     * Waits for the refresh; an interrupt ends the wait (the refresh itself goes on and is saved).
     *
     * @return the stored, refreshed (or adopted) identity
     * @throws IdentityNotValid the vendor says it is gone, it has no refresh token, or the id is no longer
     *     stored (then the cause is an {@link IdentityNotFoundException})
     * @throws RefreshNotPersistedException the vendor answered but the store failed; new tokens not used
     * @throws RefreshOutcomeUnknownException the request was sent and its answer lost; not retried
     * @throws TransientRefreshException also when the calling thread was interrupted while waiting (its
     *     interrupt flag is set again)
     */
    public Identity refresh(Identity seen) throws RefreshException {
        return await(seen.id(), refreshAsync(seen));
    }

    /**
     * As {@link #refresh(Identity)}, for a caller that knows only the id and the version it saw: any stored
     * incarnation at another version is adopted, and one at that version is refreshed.
     */
    public Identity refresh(String id, long observedVersion) throws RefreshException {
        return await(id, start(id, ANY_INCARNATION, observedVersion, null));
    }

    /**
     * As {@link #refresh(Identity)}, without waiting: the future completes with the stored identity, or
     * exceptionally with the {@link RefreshException}. Cancelling the future does not stop the refresh.
     */
    public CompletableFuture<Identity> refreshAsync(Identity seen) {
        return start(seen.id(), seen.incarnation(), seen.version(), seen.accessToken());
    }

    /**
     * Reads the identity from the store on the refresher's threads (a caller's interrupt cannot fail a read that
     * other callers share). Completes with it, or exceptionally with {@link IdentityNotValid} when it is not
     * stored, or a {@link TransientRefreshException} when the store failed.
     */
    public CompletableFuture<Identity> loadAsync(String id) {
        return onExecutor(id, () -> {
            Identity stored;
            try {
                stored = store.find(id).orElse(null);
            } catch (RuntimeException e) {
                throw new TransientRefreshException(Details.of("identity store failed loading identity " + id), e);
            }
            if (stored == null) {
                throw new IdentityNotValid(Details.of("identity " + id + " is not stored"));
            }
            return stored;
        });
    }

    /**
     * As {@link #refreshAsync(Identity)}, for a caller that keeps only what it sends of the identity (an in-memory
     * token cache): its id, the incarnation and version it holds, and the access token it sent.
     */
    public CompletableFuture<Identity> refreshAsync(String id, long incarnation, long observedVersion,
            String sentAccessToken) {
        return start(id, incarnation, observedVersion, sentAccessToken);
    }

    private CompletableFuture<Identity> start(String id, long incarnation, long observedVersion, String seenAccess) {
        return onExecutor(id, () -> run(id, incarnation, observedVersion, seenAccess));
    }

    /** A step that may throw a {@link RefreshException}. */
    @FunctionalInterface
    private interface Step {
        Identity run() throws RefreshException;
    }

    private CompletableFuture<Identity> onExecutor(String id, Step step) {
        CompletableFuture<Identity> result = new CompletableFuture<>();
        Runnable task = () -> {
            try {
                result.complete(step.run());
            } catch (Throwable failure) {
                result.completeExceptionally(failure);
            }
        };
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            // Never refuse a refresh for want of a thread; this caller's thread does it, unprotected from interrupts.
            log.warn("identity {}: the refresh executor refused the refresh; running it on the caller's thread", id);
            task.run();
        }
        // The copy callers get: cancelling or completing it leaves the refresh alone.
        return result.thenApply(identity -> identity);
    }

    private static Identity await(String id, CompletableFuture<Identity> refresh) throws RefreshException {
        try {
            return refresh.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TransientRefreshException(Details.of("interrupted while waiting for the refresh of identity "
                    + id + "; the refresh goes on and its result is saved"), e);
        } catch (ExecutionException e) {
            throw asRefreshException(id, e.getCause());
        }
    }

    /** What a refresh future failed with, as the exception {@link #refresh} throws. */
    public static RefreshException asRefreshException(String id, Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        if (cause instanceof RefreshException) {
            return (RefreshException) cause;
        }
        if (cause instanceof Error) {
            throw (Error) cause;
        }
        return new TransientRefreshException(Details.of("refresh of identity " + id + " failed unexpectedly ("
                + cause.getClass().getName() + ")"), cause);
    }

    /** One refresh, on the executor's thread. */
    private Identity run(String id, long incarnation, long observedVersion, String seenAccess)
            throws RefreshException {
        IdentityStore.RefreshLease lease;
        try {
            lease = acquire(id);
        } catch (RefreshException e) {
            notify(() -> listener.refreshFailed(id, null, e));
            throw e;
        }
        String providerKey = lease.identity().providerKey();
        // Renewed for as long as this caller holds it: the token request, a wait for an earlier holder, the save.
        try (LeaseKeeper keeper = LeaseKeeper.start(lease)) {
            Identity current = lease.identity();
            if (current.extra(LOST_ANSWER).isPresent()) {
                // Another caller, perhaps in another instance, already learnt that this refresh token is used up.
                throw lostAnswer(current, null, "an earlier token request with it lost its answer, and the vendor "
                        + "has since refused it");
            }
            boolean otherIncarnation = incarnation != ANY_INCARNATION && current.incarnation() != incarnation;
            boolean newAccessToken = seenAccess == null || !seenAccess.equals(current.accessToken());
            if (otherIncarnation || (current.version() != observedVersion && newAccessToken)) {
                // Refreshed (or linked again) by someone else: use theirs. A newer version that still carries
                // the access token the caller had (a save that brought no usable token: a lost answer's mark, a
                // new refresh token from an unusable answer) is refreshed below instead.
                notify(() -> listener.refreshAdopted(id, providerKey));
                return current;
            }
            Provider provider = providers.get(current.providerKey());
            if (provider == null) {
                throw new ProviderConfigurationException(Details.of(
                        "no provider registered for key '" + current.providerKey() + "' (identity " + id + ")"));
            }
            notify(() -> listener.refreshStarted(id, providerKey));
            long started = System.nanoTime();
            Identity refreshed;
            try {
                refreshed = refreshWithRetries(provider, current, keeper);
            } catch (RefreshOutcomeUnknownException e) {
                markUnanswered(lease, current);
                notify(() -> listener.refreshOutcomeUnknown(id, providerKey, e));
                throw e;
            } catch (TokenResponseException e) {
                if (e.issued().isPresent()) {
                    // The response is unusable, but what it issued (a rotated refresh token) must not be lost.
                    persist(lease, current, e.issued().get());
                    log.warn("identity {}: the vendor's answer was unusable; the refresh token it issued was saved "
                            + "and the access token in use was kept", id);
                }
                throw e;
            } catch (IdentityNotValid e) {
                return adoptOrConclude(lease, current, e);
            }
            Identity saved = persist(lease, current, refreshed);
            if (saved.sameIncarnation(current)) {
                // (Otherwise the id was linked again meanwhile: persist reported that as adopted.)
                Duration took = Duration.ofNanos(System.nanoTime() - started);
                notify(() -> listener.refreshSucceeded(id, providerKey, took));
            }
            return saved;
        } catch (RefreshException e) {
            notify(() -> listener.refreshFailed(id, providerKey, e));
            throw e;
        } finally {
            lease.close();
        }
    }

    /**
     * Records in the store that the token request sent with {@code sent}'s refresh token lost its answer, so that
     * whichever caller (in whichever instance) presents that token next knows a refusal may be the lost
     * request's doing. The credentials are unchanged; the version moves, so callers queued on the lease refresh
     * the marked version (one at a time) rather than report what they saw.
     */
    private void markUnanswered(IdentityStore.RefreshLease lease, Identity sent) {
        try {
            lease.saveAndRelease(sent.toBuilder().extra(UNANSWERED, "true").build());
        } catch (RuntimeException e) {
            log.error("identity {}: could not record that its last token request lost its answer; a refusal of its "
                    + "refresh token will look like a revocation", sent.id(), e);
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

    private Identity refreshWithRetries(Provider provider, Identity current, LeaseKeeper keeper)
            throws RefreshException {
        for (int attempt = 1; ; attempt++) {
            awaitSlot(current);
            try {
                return provider.refresh(current);
            } catch (RuntimeException e) {
                // A provider bug (or a vendor hook's unchecked exception) is a failed refresh, never a crash of
                // the caller; the class name only, as the message might quote a URL or a value.
                throw new TransientRefreshException(Details.of("provider '" + provider.key()
                        + "' failed unexpectedly refreshing identity " + current.id() + ": "
                        + e.getClass().getSimpleName()), e);
            } catch (RefreshOutcomeUnknownException | TokenResponseException e) {
                // The vendor may have processed it: the same refresh token must not be presented again now.
                throw e;
            } catch (TransientRefreshException e) {
                Optional<Instant> paused = pauseIfAsked(current.providerKey(), e);
                if (paused.isPresent() && background) {
                    // Work nobody waits on hears of the pause itself, not of the answer that began it.
                    throw new ProviderPausedException(current.providerKey(), paused.get(), e.retryAfter().orElse(null),
                            e);
                }
                Optional<Duration> delay = retryPolicy.delayAfter(attempt, e.retryAfter());
                if (delay.isEmpty()) {
                    throw e;
                }
                int failed = attempt;
                notify(() -> listener.refreshRetried(current.id(), current.providerKey(), failed, delay.get(), e));
                try {
                    retryPolicy.sleeper().sleep(delay.get());
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                if (!keeper.stillHeld()) {
                    log.warn("identity {}: the refresh lease was lost while waiting to retry; not retrying",
                            current.id());
                    throw e;
                }
            }
        }
    }

    /** Waits for a slot under the provider's rate limit; a background caller of a paused provider sends nothing. */
    private void awaitSlot(Identity current) throws RefreshException {
        try {
            rateLimits.acquire(current.providerKey(), background);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TransientRefreshException(Details.of("interrupted while waiting under the rate limit of "
                    + "provider '" + current.providerKey() + "' to refresh identity " + current.id()
                    + "; nothing was sent"), e);
        }
    }

    /**
     * A 429, or a 503 that says when to come back, is the vendor asking this client to slow down: pause the
     * provider's background refreshes (process-wide). Returns the end of the pause, or empty for any other
     * failure. The one place that decides what asks for a pause.
     */
    private Optional<Instant> pauseIfAsked(String providerKey, TransientRefreshException e) {
        int status = e.httpStatus();
        if (status != 429 && !(status == 503 && e.retryAfter().isPresent())) {
            return Optional.empty();
        }
        boolean first = rateLimits.pausedUntil(providerKey).isEmpty();
        Instant until = rateLimits.pause(providerKey, e.retryAfter());
        if (first) {
            // Once per pause: a burst of 429s must not flood the log.
            log.warn("provider '{}' answered {}: background token requests to it are paused until {}", providerKey,
                    status, until);
        }
        return Optional.of(until);
    }

    /**
     * The vendor refused the refresh token. Adopts what another writer saved, if anything; otherwise rethrows,
     * saying whether a lost answer may explain the refusal.
     */
    private Identity adoptOrConclude(IdentityStore.RefreshLease lease, Identity used, IdentityNotValid refusal)
            throws RefreshException {
        Optional<Identity> rotatedElsewhere = rotatedElsewhere(used);
        boolean fromVendor = refusal.httpStatus() != 0;
        if (rotatedElsewhere.isEmpty() && lease.tookOver() && fromVendor) {
            // The holder before us let its lease run out, perhaps mid-request with this very refresh token: its
            // save, if it comes, holds the rotated token. Wait for it before concluding anything.
            log.warn("identity {}: the vendor refused the refresh token after this caller took over an expired "
                    + "refresh lease; waiting up to {} for the previous holder's save", used.id(), leaseWait);
            rotatedElsewhere = awaitEarlierHolder(used);
            if (rotatedElsewhere.isEmpty()) {
                throw concludeLost(lease, used, refusal, "the previous holder of the refresh lease stopped mid-refresh");
            }
        }
        if (rotatedElsewhere.isPresent()) {
            notify(() -> listener.refreshAdopted(used.id(), used.providerKey()));
            return rotatedElsewhere.get();
        }
        if (fromVendor && used.extra(UNANSWERED).isPresent()) {
            throw concludeLost(lease, used, refusal, "an earlier token request with it lost its answer");
        }
        throw refusal;
    }

    /**
     * The refresh token is used up by a request whose answer was lost. Records that in the store, so that no
     * caller in any instance presents it again (each would be a reuse in the vendor's eyes), and reports it.
     */
    private IdentityNotValid concludeLost(IdentityStore.RefreshLease lease, Identity used, IdentityNotValid refusal,
            String why) {
        try {
            lease.saveAndRelease(used.toBuilder().extra(UNANSWERED, null).extra(LOST_ANSWER, "true").build());
        } catch (RuntimeException e) {
            log.warn("identity {}: could not record that its refresh token is used up; other callers will find out "
                    + "from the vendor", used.id(), e);
        }
        return lostAnswer(used, refusal, why);
    }

    private static IdentityNotValid lostAnswer(Identity used, IdentityNotValid refusal, String why) {
        log.error("identity {}: the vendor refused its refresh token, and {}: the vendor probably rotated it and "
                + "the new one never arrived. The account needs linking again; it was not revoked by its user.",
                used.id(), why);
        Details details = refusal == null
                ? Details.of("identity " + used.id() + " cannot be refreshed any more")
                : Details.http(refusal.httpStatus(), refusal.error().orElse(null),
                        refusal.errorDescription().orElse(null)).subtype(refusal.errorSubtype().orElse(null));
        return new IdentityNotValid(details.hint("The refresh token was probably used up by a token request whose "
                + "answer was lost (" + why + "), not revoked"), true, refusal);
    }

    /** Polls the store, up to the lease wait, for a save by the holder whose lease this caller took over. */
    private Optional<Identity> awaitEarlierHolder(Identity used) {
        long deadline = System.nanoTime() + Math.min(leaseWait.toNanos(), Duration.ofMinutes(10).toNanos());
        Duration pause = Duration.ofMillis(20);
        while (true) {
            Optional<Identity> saved = rotatedElsewhere(used);
            if (saved.isPresent() || System.nanoTime() >= deadline) {
                return saved;
            }
            try {
                retryPolicy.sleeper().sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
            pause = pause.multipliedBy(2).compareTo(Duration.ofSeconds(1)) > 0 ? Duration.ofSeconds(1)
                    : pause.multipliedBy(2);
        }
    }

    private Optional<Identity> rotatedElsewhere(Identity used) {
        try {
            return store.find(used.id()).filter(stored -> !stored.sameIncarnation(used)
                    || (stored.version() != used.version() && !stored.refreshToken().equals(used.refreshToken())));
        } catch (IdentityStoreException e) {
            return Optional.empty();
        }
    }

    private Identity persist(IdentityStore.RefreshLease lease, Identity current, Identity refreshed)
            throws RefreshException {
        boolean rotated = !refreshed.refreshToken().equals(current.refreshToken());
        try {
            return lease.saveAndRelease(refreshed.toBuilder().extra(UNANSWERED, null).extra(LOST_ANSWER, null)
                    .incarnation(current.incarnation()).version(current.version()).build());
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
            // Deleted, or deleted and linked again, while the vendor answered: the tokens belong to the old
            // account and are dropped. A new incarnation is what this id means now.
            Optional<Identity> relinked = findQuietly(current.id()).filter(stored -> !stored.sameIncarnation(current));
            if (relinked.isPresent()) {
                log.warn("identity {}: unlinked and linked again while it was being refreshed; the old account's "
                        + "new tokens were dropped and the new account's are used", current.id());
                notify(() -> listener.refreshAdopted(current.id(), current.providerKey()));
                return relinked.get();
            }
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

    private Optional<Identity> findQuietly(String id) {
        try {
            return store.find(id);
        } catch (RuntimeException e) {
            return Optional.empty();
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
        private Executor executor;
        private RateLimits rateLimits;
        private boolean background;

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

        /**
         * How long to wait for another caller's refresh of the same identity, and, after taking over a lease
         * that ran out, for the previous holder's save. Default 30 s.
         */
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

        /**
         * Where refreshes run (lease, token request, save), so that a caller's interrupt ends only its own wait.
         * Default: a shared pool of daemon threads that grows with the refreshes running at once and shrinks
         * when idle. A direct executor ({@code Runnable::run}) runs them on the caller's thread instead: then an
         * interrupt can cut a token request short (tests that want determinism may still choose it). A refresh
         * the executor refuses runs on the caller's thread.
         */
        public Builder executor(Executor executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /**
         * The per-provider limits on token requests and the pauses a vendor asks for; pass one instance to every
         * refresher of the process that should share the budget. Default: no limit, pauses kept by this
         * refresher and its copies.
         */
        public Builder rateLimits(RateLimits rateLimits) {
            this.rateLimits = Objects.requireNonNull(rateLimits, "rateLimits");
            return this;
        }

        public IdentityRefresher build() {
            return new IdentityRefresher(this);
        }
    }
}
