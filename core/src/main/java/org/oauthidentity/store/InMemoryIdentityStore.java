package org.oauthidentity.store;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotFoundException;
import org.oauthidentity.IdentityStore;
import org.oauthidentity.IdentityStoreException;
import org.oauthidentity.LeaseTimeoutException;
import org.oauthidentity.VerificationStatus;
import org.oauthidentity.VersionConflictException;

/**
 * {@link IdentityStore} in this JVM's memory: for one instance, tests and demos.
 *
 * <p>Thread-safe. Every write is one atomic {@link ConcurrentMap#compute} on the identity's entry, so a
 * compare-and-set, a claim and a verification record never interleave for one identity. Refresh leases are
 * one-permit semaphores (not reentrant locks: a lease is exclusive even against its own thread).
 * Nothing survives a restart.
 *
 * <p>Accounts ({@link #findByExternalUser}): an index from (provider key, external user id, owner id) to the
 * identity's id. Every write that adds, moves or removes an index entry ({@link #create}, {@link #delete}, a
 * {@link #save} that changes the account or owner) runs under one store-wide monitor, which it takes before the
 * entry's map slot; a save that keeps the account (every refresh) never takes the monitor. So two creates of the
 * same account for the same owner cannot both succeed, and a lookup sees an identity as soon as its create
 * returned. {@link #findByExternalUser} costs two map lookups; {@link #listByOwner} scans every identity.
 */
public final class InMemoryIdentityStore implements IdentityStore {
    private final ConcurrentMap<String, Identity> identities = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Semaphore> leases = new ConcurrentHashMap<>();
    private final ConcurrentMap<Account, String> accounts = new ConcurrentHashMap<>();
    /** Held by every write that changes {@link #accounts}; always taken before a slot of {@link #identities}. */
    private final Object accountWrites = new Object();

    @Override
    public Optional<Identity> find(String id) {
        return Optional.ofNullable(identities.get(id));
    }

    @Override
    public Identity create(Identity identity) {
        if (identity.version() != 0) {
            throw new IllegalArgumentException("a new identity has version 0, not " + identity.version());
        }
        Identity stored = identity.toBuilder().version(1).incarnation(IdentityStore.newIncarnation()).build();
        Account account = Account.of(stored);
        synchronized (accountWrites) {
            if (account != null && accounts.containsKey(account)) {
                throw new IdentityStoreException("identity " + identity.id() + " not created: its account is linked"
                        + " for the same owner as identity " + accounts.get(account));
            }
            if (identities.putIfAbsent(identity.id(), stored) != null) {
                throw new IdentityStoreException("identity " + identity.id() + " exists already");
            }
            if (account != null) {
                accounts.put(account, stored.id());
            }
        }
        return stored;
    }

    @Override
    public Identity save(Identity identity) {
        Identity current = identities.get(identity.id());
        Account account = Account.of(identity);
        if (current != null && Objects.equals(Account.of(current), account)) {
            // The account stays (every refresh): a version that still matches in compute() has the same account.
            return compareAndSet(identity);
        }
        synchronized (accountWrites) {
            String holder = account == null ? null : accounts.get(account);
            if (holder != null && !holder.equals(identity.id())) {
                throw new IdentityStoreException("identity " + identity.id() + " not saved: its account is linked"
                        + " for the same owner as identity " + holder);
            }
            Account previous = Optional.ofNullable(identities.get(identity.id())).map(Account::of).orElse(null);
            Identity saved = compareAndSet(identity);
            if (previous != null) {
                accounts.remove(previous, identity.id());
            }
            if (account != null) {
                accounts.put(account, identity.id());
            }
            return saved;
        }
    }

    private Identity compareAndSet(Identity identity) {
        return identities.compute(identity.id(), (id, current) -> {
            if (current == null || current.incarnation() != identity.incarnation()) {
                throw new IdentityNotFoundException(id);
            }
            if (current.version() != identity.version()) {
                throw new VersionConflictException(id, identity.version());
            }
            return identity.toBuilder()
                    .lastVerifiedAt(current.lastVerifiedAt().orElse(null))
                    .status(current.status())
                    .version(current.version() + 1)
                    .build();
        });
    }

    /** {@inheritDoc} Two map lookups. */
    @Override
    public Optional<Identity> findByExternalUser(String providerKey, String externalUserId, String ownerId) {
        Account account = new Account(Objects.requireNonNull(providerKey, "providerKey"),
                Objects.requireNonNull(externalUserId, "externalUserId"), Objects.requireNonNull(ownerId, "ownerId"));
        String id = accounts.get(account);
        // Checked again: the entry may be moving while this reads.
        return Optional.ofNullable(id == null ? null : identities.get(id))
                .filter(identity -> account.equals(Account.of(identity)));
    }

    /** {@inheritDoc} Scans every identity. */
    @Override
    public List<Identity> listByOwner(String ownerId) {
        Objects.requireNonNull(ownerId, "ownerId");
        List<Identity> owned = new ArrayList<>();
        for (Identity identity : identities.values()) {
            if (identity.ownerId().filter(ownerId::equals).isPresent()) {
                owned.add(identity);
            }
        }
        owned.sort(Comparator.comparing(Identity::id));
        return owned;
    }

    @Override
    public boolean delete(String id) {
        // The lease goes too (no leak per deleted identity); a holder of the old one fails its save instead.
        Identity removed;
        synchronized (accountWrites) {
            removed = identities.remove(id);
            Account account = removed == null ? null : Account.of(removed);
            if (account != null) {
                accounts.remove(account, id);
            }
        }
        leases.remove(id);
        return removed != null;
    }

    @Override
    public List<Identity> claimUnverified(Instant cutoff, Instant now, int limit) {
        List<Identity> claimed = new ArrayList<>(Math.min(limit, 1024));
        for (String id : identities.keySet()) {
            if (claimed.size() >= limit) {
                break;
            }
            Identity[] won = new Identity[1];
            identities.computeIfPresent(id, (key, current) -> {
                if (current.lastVerifiedAt().map(at -> at.isBefore(cutoff)).orElse(true)) {
                    won[0] = current.toBuilder().lastVerifiedAt(now).build();
                    return won[0];
                }
                return current;
            });
            if (won[0] != null) {
                claimed.add(won[0]);
            }
        }
        return claimed;
    }

    @Override
    public boolean recordVerification(String id, VerificationStatus status, Instant verifiedAt) {
        return identities.computeIfPresent(id, (key, current) ->
                current.toBuilder().status(status).lastVerifiedAt(verifiedAt).build()) != null;
    }

    @Override
    public RefreshLease acquireRefreshLease(String id, Duration maxWait) {
        if (!identities.containsKey(id)) {
            throw new IdentityNotFoundException(id);
        }
        Semaphore lease = leases.computeIfAbsent(id, key -> new Semaphore(1));
        try {
            if (!lease.tryAcquire(maxWait.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new LeaseTimeoutException(id);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IdentityStoreException("interrupted while waiting for the refresh lease of " + id, e);
        }
        Identity current = identities.get(id);
        if (current == null) {
            lease.release();
            throw new IdentityNotFoundException(id);
        }
        return new Lease(current, lease);
    }

    private final class Lease implements RefreshLease {
        private final Identity identity;
        private final Semaphore permit;
        private final AtomicBoolean released = new AtomicBoolean();

        Lease(Identity identity, Semaphore permit) {
            this.identity = identity;
            this.permit = permit;
        }

        @Override
        public Identity identity() {
            return identity;
        }

        @Override
        public Identity saveAndRelease(Identity refreshed) {
            try {
                return save(refreshed);
            } finally {
                close();
            }
        }

        @Override
        public void close() {
            if (released.compareAndSet(false, true)) {
                permit.release();
            }
        }
    }

    /** The key of {@link #findByExternalUser}; null for an identity without an external user id or owner. */
    private record Account(String providerKey, String externalUserId, String ownerId) {
        static Account of(Identity identity) {
            if (identity.externalUserId().isEmpty() || identity.ownerId().isEmpty()) {
                return null;
            }
            return new Account(identity.providerKey(), identity.externalUserId().get(), identity.ownerId().get());
        }
    }
}
