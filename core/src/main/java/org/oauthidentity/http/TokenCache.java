package org.oauthidentity.http;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.RefreshException;
import org.oauthidentity.RefreshException.Details;
import org.oauthidentity.TransientRefreshException;
import org.oauthidentity.refresh.IdentityRefresher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The version of one identity this client sends, kept in memory, and the single refresh in flight for it.
 *
 * <p>Thread-safe and lock-free. {@link #current} only ever moves to a higher version, and only the flight in
 * the {@link #inFlight} slot moves it: a flight installs its result before it leaves the slot, so a caller
 * that finds the slot empty either sees the new version or starts a flight that notices it at once. The
 * store is read only inside a flight: to load the identity the first time and, through
 * {@link IdentityRefresher}, to refresh it (lease, adopt a newer stored version, persist before use).
 *
 * <p>Nothing about a failure is remembered, except that background refreshes pause for
 * {@link #BACKGROUND_RETRY_DELAY_MILLIS} after one: the next caller that needs a refresh starts a new one.
 */
final class TokenCache {
    private static final Logger log = LoggerFactory.getLogger(RefreshingHttpClient.class);

    /** After a failed refresh, background refreshes wait this long (callers that must refresh do not). */
    static final long BACKGROUND_RETRY_DELAY_MILLIS = 30_000;

    private final String identityId;
    private final IdentityRefresher refresher;
    private final Clock clock;
    private final long marginMillis;
    private final long staleWindowMillis;
    private final Duration maxWait;
    private final long maxWaitNanos;
    private final Executor background;
    private final AtomicReference<CachedToken> current = new AtomicReference<>(CachedToken.UNLOADED);
    private final AtomicReference<Flight> inFlight = new AtomicReference<>();
    private volatile long backgroundNotBefore = Long.MIN_VALUE;

    TokenCache(String identityId, IdentityRefresher refresher, Clock clock, Duration margin, Duration staleWindow,
            Duration maxWait, Executor background) {
        this.identityId = identityId;
        this.refresher = refresher;
        this.clock = clock;
        this.marginMillis = margin.toMillis();
        this.staleWindowMillis = staleWindow.toMillis();
        this.maxWait = maxWait;
        // Saturated: Duration.toNanos() overflows past 292 years.
        this.maxWaitNanos = Math.min(maxWait.toSeconds(), 365L * 24 * 3600) * 1_000_000_000L + maxWait.toNanosPart();
        this.background = background;
    }

    /** The version installed now, loaded or not; never blocks, never refreshes. */
    CachedToken current() {
        return current.get();
    }

    /**
     * The version to send now. Fresh: returned at once (one clock read, one comparison). Stale: returned at
     * once, with a background refresh started. Expired or within the margin, or never loaded: waits for the
     * refresh (running it on this thread if no one else does).
     */
    CachedToken tokenForSending() throws IOException {
        CachedToken token = current.get();
        long now = clock.millis();
        if (now < token.staleAt) {
            return token;
        }
        if (now < token.refreshAt) {
            refreshInBackground(token, now);
            return token;
        }
        return await(join(token));
    }

    /**
     * A version newer than {@code rejected}, which the API answered 401 to: the one another caller installed
     * meanwhile, else the result of a refresh (which adopts a version another process stored).
     */
    CachedToken replacementFor(CachedToken rejected) throws IOException {
        CachedToken token = current.get();
        if (token.version > rejected.version) {
            return token;
        }
        return await(join(token));
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
            background.execute(flight::runIfNotStarted);
            log.debug("identity {}: token version {} is stale; refreshing in the background", identityId,
                    token.version);
        } catch (RejectedExecutionException e) {
            // The flight stays in the slot: the first caller that cannot wait any longer runs it itself.
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
                if (latest.version > from.version) {
                    // A flight finished between our read of the version and our taking the slot.
                    mine.finishWith(latest);
                }
                return mine;
            }
        }
    }

    private CachedToken await(Flight flight) throws IOException {
        flight.runIfNotStarted();
        try {
            return flight.result.get(maxWaitNanos, TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw asIOException(e.getCause());
        } catch (TimeoutException e) {
            throw new TransientRefreshException(Details.of("gave up after " + maxWait
                    + " waiting for the refresh of identity " + identityId + " that another caller is running"), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            InterruptedIOException interrupted = new InterruptedIOException(
                    "interrupted while waiting for the refresh of identity " + identityId);
            interrupted.initCause(e);
            throw interrupted;
        }
    }

    /** Loads (first time) and refreshes; returns the installed version. Runs inside a flight only. */
    private CachedToken fetch(CachedToken from) throws RefreshException {
        CachedToken latest = current.get();
        if (latest.version > from.version) {
            return latest;
        }
        if (!from.isLoaded()) {
            CachedToken loaded = install(load());
            if (clock.millis() < loaded.refreshAt) {
                return loaded;
            }
            from = loaded;
        }
        return install(refresher.refresh(identityId, from.version));
    }

    private Identity load() throws RefreshException {
        Identity stored;
        try {
            stored = refresher.store().find(identityId).orElse(null);
        } catch (RuntimeException e) {
            throw new TransientRefreshException(Details.of("identity store failed loading identity " + identityId), e);
        }
        if (stored == null) {
            throw new IdentityNotValid(Details.of("identity " + identityId + " is not stored"));
        }
        return stored;
    }

    /** Installs {@code identity} unless a version at least as new is installed; returns what is installed. */
    private CachedToken install(Identity identity) throws RefreshException {
        CachedToken fresh = CachedToken.of(identity, clock.millis(), marginMillis, staleWindowMillis);
        for (;;) {
            CachedToken installed = current.get();
            if (installed.version >= fresh.version) {
                return installed;
            }
            if (current.compareAndSet(installed, fresh)) {
                log.debug("identity {}: now sending token version {}", identityId, fresh.version);
                return fresh;
            }
        }
    }

    private IOException asIOException(Throwable failure) {
        if (failure instanceof IOException) {
            return (IOException) failure;
        }
        if (failure instanceof Error) {
            throw (Error) failure;
        }
        // A provider or store that breaks its contract must not crash OkHttp's threads.
        log.error("identity {}: refresh failed unexpectedly; the stored identity is unchanged", identityId, failure);
        return new TransientRefreshException(Details.of("refresh of identity " + identityId + " failed unexpectedly ("
                + failure.getClass().getName() + ")"), failure);
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

        /** Runs the refresh on the calling thread, unless a thread already does. */
        void runIfNotStarted() {
            if (!started.compareAndSet(false, true)) {
                return;
            }
            CachedToken done;
            try {
                done = fetch(from);
            } catch (Throwable failure) {
                backgroundNotBefore = clock.millis() + BACKGROUND_RETRY_DELAY_MILLIS;
                inFlight.compareAndSet(this, null);
                if (scheduled.get()) {
                    log.warn("identity {}: background refresh failed; the current token is used until it expires: {}",
                            identityId, describe(failure));
                }
                result.completeExceptionally(failure instanceof Error ? failure : asIOException(failure));
                if (failure instanceof Error) {
                    throw (Error) failure;
                }
                return;
            }
            finishWith(done);
        }

        void finishWith(CachedToken done) {
            started.set(true);
            // Leave the slot only after the new version is installed (fetch did that): see the class comment.
            inFlight.compareAndSet(this, null);
            result.complete(done);
        }
    }
}
