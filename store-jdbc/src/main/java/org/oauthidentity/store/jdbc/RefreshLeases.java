package org.oauthidentity.store.jdbc;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import java.util.function.Predicate;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotFoundException;
import org.oauthidentity.IdentityStore.RefreshLease;
import org.oauthidentity.IdentityStoreException;
import org.oauthidentity.LeaseTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The refresh leases of {@link JdbcIdentityStore}: two columns of the identity's row, {@code lease_owner} (a random
 * id per grant) and {@code lease_expires_at} (on the store's clock), plus the in-process queue of
 * {@link LocalLeases}.
 *
 * <p>Taking a lease is one conditional {@code UPDATE} that answers the row: it matches a free row or one whose
 * lease ran out, and writes one of two owner ids drawn for the grant depending on which it was (the {@code SET}
 * sees the row as it was), so the owner that comes back tells a takeover from a free lease without a second
 * statement. Renewing is one {@code UPDATE} of {@code lease_expires_at} matching the owner and the incarnation.
 * Thread-safe; each lease is used by one holder at a time, except for {@link RefreshLease#renew()}.
 */
final class RefreshLeases {
    private static final Logger log = LoggerFactory.getLogger(JdbcIdentityStore.class);
    private static final long MIN_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    private static final long MAX_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final Transactions transactions;
    private final Rows rows;
    private final Clock clock;
    private final Duration ttl;
    private final Pause pause;
    private final LocalLeases localLeases;
    private final Predicate<String> exists;
    private final BiFunction<Identity, String, Identity> saveAndRelease;

    private final String acquireSql;
    private final String renewSql;
    private final String releaseSql;

    /**
     * @param exists whether the identity's row exists (one query)
     * @param saveAndRelease the store's compare-and-set save that also clears the lease of the given owner
     */
    RefreshLeases(Transactions transactions, Rows rows, Dialect dialect, Clock clock, Duration ttl, Pause pause,
            Predicate<String> exists, BiFunction<Identity, String, Identity> saveAndRelease) {
        this.transactions = transactions;
        this.rows = rows;
        this.clock = clock;
        this.ttl = ttl;
        this.pause = pause;
        this.localLeases = new LocalLeases(clock);
        this.exists = exists;
        this.saveAndRelease = saveAndRelease;
        String table = JdbcIdentityStore.TABLE;
        acquireSql = dialect.returning("UPDATE " + table
                + " SET lease_owner = CASE WHEN lease_expires_at IS NULL THEN ? ELSE ? END, lease_expires_at = ?"
                + " WHERE id = ? AND (lease_expires_at IS NULL OR lease_expires_at < ?)", Rows.COLUMNS);
        renewSql = "UPDATE " + table + " SET lease_expires_at = ? WHERE id = ? AND incarnation = ? AND lease_owner = ?";
        releaseSql = "UPDATE " + table + " SET lease_owner = NULL, lease_expires_at = NULL"
                + " WHERE id = ? AND lease_owner = ?";
    }

    /** See {@link JdbcIdentityStore#acquireRefreshLease}. */
    RefreshLease acquire(String id, Duration maxWait) {
        Objects.requireNonNull(id, "id");
        long deadline = deadline(maxWait);
        LocalLeases.Pass pass;
        try {
            pass = localLeases.enter(id, deadline);
        } catch (InterruptedException e) {
            throw interrupted(id, e);
        }
        if (pass == null) {
            if (!exists.test(id)) {
                throw new IdentityNotFoundException(id);
            }
            throw new LeaseTimeoutException(id);
        }
        try {
            String ifFree = UUID.randomUUID().toString();
            String ifTakenOver = UUID.randomUUID().toString();
            for (int attempt = 0; ; attempt++) {
                Instant now = clock.instant();
                Instant until = now.plus(ttl);
                Optional<Granted> granted = tryAcquire(id, ifFree, ifTakenOver, now, until);
                if (granted.isPresent()) {
                    localLeases.granted(pass, until);
                    String owner = granted.get().owner;
                    return new Lease(granted.get().identity, owner, owner.equals(ifTakenOver), pass);
                }
                long remaining = deadline - System.nanoTime();
                if ((attempt == 0 || remaining <= 0) && !exists.test(id)) {
                    throw new IdentityNotFoundException(id);
                }
                if (remaining <= 0) {
                    throw new LeaseTimeoutException(id);
                }
                pause.pause(Math.min(remaining, backoff(attempt)));
            }
        } catch (InterruptedException e) {
            localLeases.exit(pass);
            throw interrupted(id, e);
        } catch (RuntimeException e) {
            localLeases.exit(pass);
            throw e;
        }
    }

    /** Identities with a lease holder or waiter in this process. */
    int localLeasesInUse() {
        return localLeases.size();
    }

    private Optional<Granted> tryAcquire(String id, String ifFree, String ifTakenOver, Instant now, Instant until) {
        return transactions.run("could not take the refresh lease of identity " + id, List.of(), c -> {
            try (PreparedStatement ps = c.prepareStatement(acquireSql)) {
                ps.setString(1, ifFree);
                ps.setString(2, ifTakenOver);
                Rows.setTimestamp(ps, 3, until);
                ps.setString(4, id);
                Rows.setTimestamp(ps, 5, now);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next()
                            ? Optional.of(new Granted(rows.read(rs), rs.getString("lease_owner")))
                            : Optional.<Granted>empty();
                }
            }
        });
    }

    /** @return true if the row still named {@code owner} and now runs until {@code until} */
    private boolean renew(Identity identity, String owner, Instant until) {
        return transactions.run("could not renew the refresh lease of identity " + identity.id(), List.of(), c -> {
            try (PreparedStatement ps = c.prepareStatement(renewSql)) {
                Rows.setTimestamp(ps, 1, until);
                ps.setString(2, identity.id());
                ps.setLong(3, identity.incarnation());
                ps.setString(4, owner);
                return ps.executeUpdate() > 0;
            }
        });
    }

    private void release(String id, String owner) {
        transactions.run("could not release the refresh lease of identity " + id, List.of(), c -> {
            try (PreparedStatement ps = c.prepareStatement(releaseSql)) {
                ps.setString(1, id);
                ps.setString(2, owner);
                return ps.executeUpdate();
            }
        });
    }

    private static long deadline(Duration maxWait) {
        if (maxWait.isNegative()) {
            throw new IllegalArgumentException("maxWait must not be negative");
        }
        long now = System.nanoTime();
        long wait = maxWait.compareTo(Duration.ofDays(365)) > 0 ? TimeUnit.DAYS.toNanos(365) : maxWait.toNanos();
        return now + wait;
    }

    private static long backoff(int attempt) {
        long ceiling = Math.min(MAX_POLL_NANOS, MIN_POLL_NANOS << Math.min(attempt, 5));
        // Jitter, so that waiters in several processes do not poll in step.
        return ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
    }

    private static IdentityStoreException interrupted(String id, InterruptedException e) {
        Thread.currentThread().interrupt();
        return new IdentityStoreException("interrupted while waiting for the refresh lease of " + id, e);
    }

    /** The row as the lease was granted, and the owner id the statement wrote. */
    private static final class Granted {
        final Identity identity;
        final String owner;

        Granted(Identity identity, String owner) {
            this.identity = identity;
            this.owner = owner;
        }
    }

    /**
     * One holder's refresh lease. The holder uses it from one thread at a time; {@link #renew()} may run on
     * another thread meanwhile. Renewals are serialized, so the recorded expiry never moves back; a renewal
     * extends the in-process record only while the lease is not released (both under {@code state}), so it never
     * touches the queue after the holder left it. close() may be called again.
     */
    private final class Lease implements RefreshLease {
        private final Identity identity;
        private final String owner;
        private final boolean tookOver;
        private final LocalLeases.Pass pass;
        private final Object renewals = new Object();
        private final Object state = new Object();
        private volatile boolean released; // written under state
        private volatile boolean lost;
        private final AtomicBoolean warned = new AtomicBoolean();

        Lease(Identity identity, String owner, boolean tookOver, LocalLeases.Pass pass) {
            this.identity = identity;
            this.owner = owner;
            this.tookOver = tookOver;
            this.pass = pass;
        }

        @Override
        public Identity identity() {
            return identity;
        }

        @Override
        public boolean tookOver() {
            return tookOver;
        }

        /** A third of the lease TTL: two renewals can fail or come late before the lease runs out. */
        @Override
        public Optional<Duration> renewalInterval() {
            return Optional.of(ttl.dividedBy(3));
        }

        @Override
        public boolean renew() {
            synchronized (renewals) {
                if (released || lost) {
                    return false;
                }
                Instant until = clock.instant().plus(ttl);
                try {
                    if (!RefreshLeases.this.renew(identity, owner, until)) {
                        // The owner id is never written again once replaced: a lost lease stays lost.
                        lost = true;
                        if (!released) {
                            warnOnce("identity {}: the refresh lease was lost before it could be renewed (it ran out "
                                    + "and another caller took it, or the identity was deleted)", null);
                        }
                        return false;
                    }
                } catch (RuntimeException e) {
                    warnOnce("identity {}: could not renew the refresh lease", e);
                    return false;
                }
                synchronized (state) {
                    if (released) {
                        return false;
                    }
                    localLeases.granted(pass, until);
                    return true;
                }
            }
        }

        @Override
        public Identity saveAndRelease(Identity refreshed) {
            if (!refreshed.id().equals(identity.id())) {
                throw new IllegalArgumentException("lease of identity " + identity.id() + " cannot save "
                        + refreshed.id());
            }
            if (!markReleased()) {
                throw new IllegalStateException("the refresh lease of identity " + identity.id()
                        + " was released already");
            }
            try {
                return saveAndRelease.apply(refreshed, owner);
            } catch (RuntimeException e) {
                // Nothing was written, so the lease is still this holder's in the database.
                releaseQuietly();
                throw e;
            } finally {
                localLeases.exit(pass);
            }
        }

        @Override
        public void close() {
            if (markReleased()) {
                try {
                    releaseQuietly();
                } finally {
                    localLeases.exit(pass);
                }
            }
        }

        private boolean markReleased() {
            synchronized (state) {
                if (released) {
                    return false;
                }
                released = true;
                return true;
            }
        }

        private void releaseQuietly() {
            try {
                release(identity.id(), owner);
            } catch (RuntimeException e) {
                log.warn("identity {}: could not release the refresh lease; it expires by itself within {}",
                        identity.id(), ttl, e);
            }
        }

        /** The failure's message names the identity only (see {@link Transactions}); no statement here binds a secret. */
        private void warnOnce(String message, RuntimeException failure) {
            if (warned.compareAndSet(false, true)) {
                if (failure == null) {
                    log.warn(message, identity.id());
                } else {
                    log.warn(message + ": {}", identity.id(), failure.toString());
                }
            }
        }

        @Override
        public String toString() {
            return "RefreshLease{id=" + identity.id() + ", version=" + identity.version() + ", tookOver=" + tookOver
                    + ", released=" + released + '}';
        }
    }

    /** How the lease poller waits; tests substitute one that signals instead of sleeping. */
    @FunctionalInterface
    interface Pause {
        Pause SLEEP = TimeUnit.NANOSECONDS::sleep;

        void pause(long nanos) throws InterruptedException;
    }
}
