package org.oauthidentity.http;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.oauthidentity.Identity;
import org.oauthidentity.RefreshException;
import org.oauthidentity.RefreshException.Details;
import org.oauthidentity.TransientRefreshException;
import org.oauthidentity.refresh.IdentityRefresher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The version of one identity this client sends, kept in memory, and the single refresh in flight for it.
 *
 * <p>Thread-safe and lock-free. {@link #current} moves only to a newer version of the same incarnation or to
 * another incarnation (the id was linked again), and only the flight in the {@link #inFlight} slot moves it: a
 * flight installs its result before it leaves the slot, so a caller that finds the slot empty either sees the new
 * version or starts a flight that notices it at once. The store is read only inside a flight: to load the
 * identity the first time and, through {@link IdentityRefresher}, to refresh it (lease, adopt a newer stored
 * version or incarnation, persist before use).
 *
 * <p>Flights run on the refresher's threads, never on a caller's: a caller that is interrupted or gives up stops
 * waiting, and the flight goes on for everyone else and is saved.
 *
 * <p>What is remembered of failures: background refreshes pause for {@link #BACKGROUND_RETRY_DELAY_MILLIS} after
 * one; and a token version that the API still answered 401 to right after a refresh is not refreshed again for a
 * 401 during the client's back-off (an API resource that answers 401 to everyone,
 * as Azure DevOps does for what the user may not see, must not cost a rotation per call).
 */
final class TokenCache {
    private static final Logger log = LoggerFactory.getLogger(RefreshingHttpClient.class);

    /** After a failed refresh, background refreshes wait this long (callers that must refresh do not). */
    static final long BACKGROUND_RETRY_DELAY_MILLIS = 30_000;
    /** How finely {@link #lastUsed} follows the clock. */
    private static final long USE_GRANULARITY_MILLIS = 1_000;

    private final String identityId;
    private final Settings settings;
    private final AtomicReference<CachedToken> current = new AtomicReference<>(CachedToken.UNLOADED);
    private final AtomicReference<Flight> inFlight = new AtomicReference<>();
    private volatile long backgroundNotBefore = Long.MIN_VALUE;
    /** The version still refused after a refresh, and until when a 401 to it does not refresh again. */
    private volatile Refused refused;
    /** When a caller last asked for this identity's token (the clock's millis; racy by design: a hint for eviction). */
    volatile long lastUsed;

    TokenCache(String identityId, Settings settings) {
        this.identityId = identityId;
        this.settings = settings;
    }

    /** What every identity's cache of one client shares. Immutable. */
    static final class Settings {
        final IdentityRefresher refresher;
        final Clock clock;
        final long marginMillis;
        final long staleWindowMillis;
        final Duration maxWait;
        final long maxWaitNanos;
        final Executor background;
        final long unauthorizedBackoffMillis;

        Settings(IdentityRefresher refresher, Clock clock, Duration margin, Duration staleWindow, Duration maxWait,
                Executor background, Duration unauthorizedBackoff) {
            this.refresher = refresher;
            this.clock = clock;
            this.marginMillis = margin.toMillis();
            this.staleWindowMillis = staleWindow.toMillis();
            this.maxWait = maxWait;
            // Saturated: Duration.toNanos() overflows past 292 years.
            this.maxWaitNanos = Math.min(maxWait.toSeconds(), 365L * 24 * 3600) * 1_000_000_000L
                    + maxWait.toNanosPart();
            this.background = background;
            this.unauthorizedBackoffMillis = unauthorizedBackoff.toMillis();
        }
    }

    String identityId() {
        return identityId;
    }

    /** The version installed now, loaded or not; never blocks, never refreshes. */
    CachedToken current() {
        return current.get();
    }

    /**
     * The version to send now. Fresh: returned at once (one clock read, one comparison). Stale: returned at
     * once, with a background refresh started. Expired or within the margin, or never loaded: waits for the
     * refresh, which runs on the refresher's threads (an interrupt ends this caller's wait only).
     */
    CachedToken tokenForSending() throws IOException {
        CachedToken token = usableNow();
        return token != null ? token : await(join(current.get()));
    }

    /** As {@link #tokenForSending()}, without blocking: completes when a version is ready to send. */
    CompletableFuture<CachedToken> tokenForSendingAsync() {
        CachedToken token = usableNow();
        if (token != null) {
            return CompletableFuture.completedFuture(token);
        }
        Flight flight = join(current.get());
        flight.start();
        // A copy: a caller that cancels or completes it touches nothing shared.
        return flight.result.thenApply(done -> done);
    }

    /** The installed version if it may be sent now (starting a background refresh when stale), else null. */
    private CachedToken usableNow() {
        CachedToken token = current.get();
        long now = settings.clock.millis();
        if (now - lastUsed > USE_GRANULARITY_MILLIS) {
            lastUsed = now; // a hint for eviction; written at most once a second, so hot identities share no line
        }
        if (now < token.staleAt) {
            return token;
        }
        if (now < token.refreshAt) {
            refreshInBackground(token, now);
            return token;
        }
        return null;
    }

    /**
     * The version to use instead of the one whose access token is {@code rejectedAccessToken}, which an API
     * answered 401 to: the installed version if it carries another token already (someone refreshed), else the
     * result of a refresh.
     */
    CachedToken replacementFor(String rejectedAccessToken) throws IOException {
        CachedToken token = current.get();
        if (!token.isLoaded()) {
            token = tokenForSending();
        }
        if (!token.accessToken().equals(rejectedAccessToken)) {
            return token;
        }
        return replacementFor(token);
    }

    /**
     * A version newer than {@code rejected}, which the API answered 401 to: the one another caller installed
     * meanwhile, else the result of a refresh (which adopts a version another process stored).
     */
    CachedToken replacementFor(CachedToken rejected) throws IOException {
        CachedToken token = current.get();
        if (rejected.isReplacedBy(token)) {
            return token;
        }
        return await(join(token));
    }

    /**
     * Whether a 401 to {@code sent} should lead to a refresh: not while {@code sent} is a version that the API
     * refused again right after it was refreshed, within the back-off.
     */
    boolean mayRefreshAfterUnauthorized(CachedToken sent) {
        Refused last = refused;
        return last == null || last.token != sent || settings.clock.millis() >= last.until;
    }

    /** The API answered 401 to {@code replacement} too, the version the retry of a 401 carried. */
    void refusedAfterRefresh(CachedToken replacement) {
        if (settings.unauthorizedBackoffMillis > 0) {
            refused = new Refused(replacement, settings.clock.millis() + settings.unauthorizedBackoffMillis);
            log.debug("identity {}: token version {} was refused right after a refresh; a 401 to it does not "
                    + "refresh again for {} ms", identityId, replacement.version, settings.unauthorizedBackoffMillis);
        }
    }

    private void refreshInBackground(CachedToken token, long now) {
        if (now < backgroundNotBefore || inFlight.get() != null) {
            return;
        }
        Flight flight = join(token);
        if (flight.started.get() || !flight.scheduled.compareAndSet(false, true)) {
            return;
        }
        try {
            settings.background.execute(flight::start);
            log.debug("identity {}: token version {} is stale; refreshing in the background", identityId,
                    token.version);
        } catch (RejectedExecutionException e) {
            // The flight stays in the slot: the first caller that cannot wait any longer starts it.
            log.warn("identity {}: the background executor refused the refresh; it will run when a call needs it",
                    identityId);
        }
    }

    /** The flight in the slot, or a new one from {@code from}. */
    private Flight join(CachedToken from) {
        for (;;) {
            Flight running = inFlight.get();
            if (running != null) {
                return running;
            }
            Flight mine = new Flight(from);
            if (inFlight.compareAndSet(null, mine)) {
                CachedToken latest = current.get();
                if (from.isReplacedBy(latest)) {
                    // A flight finished between our read of the version and our taking the slot.
                    mine.finishWith(latest);
                }
                return mine;
            }
        }
    }

    private CachedToken await(Flight flight) throws IOException {
        flight.start();
        try {
            return flight.result.get(settings.maxWaitNanos, TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw asIOException(e.getCause());
        } catch (TimeoutException e) {
            throw new TransientRefreshException(Details.of("gave up after " + settings.maxWait
                    + " waiting for the refresh of identity " + identityId + "; it goes on and is saved"), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            InterruptedIOException interrupted = new InterruptedIOException(
                    "interrupted while waiting for the refresh of identity " + identityId);
            interrupted.initCause(e);
            throw interrupted;
        }
    }

    /**
     * Loads (first time) and refreshes, on the refresher's threads; completes with the installed version. Runs
     * inside a flight only.
     */
    private CompletableFuture<CachedToken> fetch(CachedToken from) {
        CachedToken latest = current.get();
        if (from.isReplacedBy(latest)) {
            return CompletableFuture.completedFuture(latest);
        }
        if (!from.isLoaded()) {
            return settings.refresher.loadAsync(identityId).thenCompose(stored -> {
                CachedToken loaded = installOrThrow(stored);
                return settings.clock.millis() < loaded.refreshAt
                        ? CompletableFuture.completedFuture(loaded)
                        : refresh(loaded);
            });
        }
        return refresh(from);
    }

    private CompletableFuture<CachedToken> refresh(CachedToken from) {
        return settings.refresher.refreshAsync(identityId, from.incarnation, from.version, from.accessToken())
                .thenApply(this::installOrThrow);
    }

    private CachedToken installOrThrow(Identity identity) {
        try {
            return install(identity);
        } catch (RefreshException e) {
            throw new CompletionException(e);
        }
    }

    /**
     * Installs {@code identity} unless the installed version is at least as new (same incarnation, version not
     * lower); returns what is installed.
     */
    private CachedToken install(Identity identity) throws RefreshException {
        CachedToken fresh = CachedToken.of(identity, settings.clock.millis(), settings.marginMillis,
                settings.staleWindowMillis);
        for (;;) {
            CachedToken installed = current.get();
            if (!installed.isReplacedBy(fresh)) {
                return installed;
            }
            if (current.compareAndSet(installed, fresh)) {
                log.debug("identity {}: now sending token version {}", identityId, fresh.version);
                return fresh;
            }
        }
    }

    private IOException asIOException(Throwable failure) {
        Throwable cause = unwrap(failure);
        if (cause instanceof IOException) {
            return (IOException) cause;
        }
        // A provider or store that breaks its contract must not crash OkHttp's threads (an Error is rethrown).
        RefreshException wrapped = IdentityRefresher.asRefreshException(identityId, cause);
        log.error("identity {}: refresh failed unexpectedly; the stored identity is unchanged", identityId, cause);
        return wrapped;
    }

    private static Throwable unwrap(Throwable failure) {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }

    /** Class and message of a refresh failure (their messages never hold a token); class only otherwise. */
    private static String describe(Throwable failure) {
        return failure instanceof RefreshException ? failure.toString() : failure.getClass().getName();
    }

    /** One refresh, shared by every caller that needs it while it runs. */
    private final class Flight {
        final CachedToken from;
        final AtomicBoolean started = new AtomicBoolean();
        final AtomicBoolean scheduled = new AtomicBoolean();
        final CompletableFuture<CachedToken> result = new CompletableFuture<>();

        Flight(CachedToken from) {
            this.from = from;
        }

        /** Starts the refresh on the refresher's threads, unless it was started already; never blocks on it. */
        void start() {
            if (!started.compareAndSet(false, true)) {
                return;
            }
            CompletableFuture<CachedToken> fetched;
            try {
                fetched = fetch(from);
            } catch (RuntimeException e) {
                fetched = CompletableFuture.failedFuture(e);
            }
            fetched.whenComplete((done, failure) -> {
                if (failure == null) {
                    finishWith(done);
                } else {
                    fail(failure);
                }
            });
        }

        private void fail(Throwable failure) {
            Throwable cause = unwrap(failure);
            backgroundNotBefore = settings.clock.millis() + BACKGROUND_RETRY_DELAY_MILLIS;
            inFlight.compareAndSet(this, null);
            if (scheduled.get()) {
                log.warn("identity {}: background refresh failed; the current token is used until it expires: {}",
                        identityId, describe(cause));
            }
            result.completeExceptionally(cause instanceof Error ? cause : asIOException(cause));
        }

        void finishWith(CachedToken done) {
            started.set(true);
            // Leave the slot only after the new version is installed (fetch did that): see the class comment.
            inFlight.compareAndSet(this, null);
            result.complete(done);
        }
    }

    /** A token version refused again right after a refresh, and until when that refusal holds. */
    private static final class Refused {
        final CachedToken token;
        final long until;

        Refused(CachedToken token, long until) {
            this.token = token;
            this.until = until;
        }
    }
}
