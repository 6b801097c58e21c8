package org.oauthidentity.store;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ConcurrentSkipListSet;
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
 *
 * <p>Sweep claims ({@link #claimUnverified}): an ordered index of (last verified at, id), never-verified first,
 * then least recently verified, then by id (the order the JDBC store claims in). Every write that changes an
 * identity's {@code lastVerifiedAt} ({@link #create}, {@link #claimUnverified}, {@link #recordVerification},
 * {@link #delete}; a {@link #save} keeps it) moves the identity's index entry inside the same {@code compute} on
 * its map slot, adding the new entry before removing the old one, so an identity is never missing from the index
 * and, once the write returns, has exactly one entry. A claim walks the index from its head while entries are
 * before the cutoff and checks each candidate again on its map slot (the entry it read may be moving): the map
 * is the truth. A page costs O(limit &middot; log n), plus one step per entry another claimer took meanwhile,
 * whatever the number of identities and however much of the pass is already claimed.
 */
public final class InMemoryIdentityStore implements IdentityStore {
    private final ConcurrentMap<String, Identity> identities = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Semaphore> leases = new ConcurrentHashMap<>();
    private final ConcurrentMap<Account, String> accounts = new ConcurrentHashMap<>();
    /** The claim order; an identity's entry changes only inside a {@code compute} on its slot of {@link #identities}. */
    private final ConcurrentSkipListSet<ClaimKey> claimOrder = new ConcurrentSkipListSet<>();
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
            identities.compute(identity.id(), (id, current) -> {
                if (current != null) {
                    throw new IdentityStoreException("identity " + id + " exists already");
                }
                claimOrder.add(ClaimKey.of(stored));
                return stored;
            });
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
        Identity[] removed = new Identity[1];
        synchronized (accountWrites) {
            identities.computeIfPresent(id, (key, current) -> {
                claimOrder.remove(ClaimKey.of(current));
                removed[0] = current;
                return null;
            });
            Account account = removed[0] == null ? null : Account.of(removed[0]);
            if (account != null) {
                accounts.remove(account, id);
            }
        }
        leases.remove(id);
        return removed[0] != null;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Never-verified identities first, then the least recently verified, ties by id. Walks the claim index
     * from its head: O(limit &middot; log n) per page.
     */
    @Override
    public List<Identity> claimUnverified(Instant cutoff, Instant now, int limit) {
        Objects.requireNonNull(cutoff, "cutoff");
        Objects.requireNonNull(now, "now");
        List<Identity> claimed = new ArrayList<>(Math.min(Math.max(limit, 0), 1024));
        // A claim stamped before the cutoff (now < cutoff) lands ahead of the walk again: never hand it out twice.
        Set<String> taken = new HashSet<>();
        for (ClaimKey candidate : claimOrder.headSet(ClaimKey.first(cutoff))) {
            if (claimed.size() >= limit) {
                break;
            }
            if (taken.contains(candidate.id())) {
                continue;
            }
            Identity[] won = new Identity[1];
            identities.computeIfPresent(candidate.id(), (id, current) -> {
                if (current.lastVerifiedAt().map(at -> at.isBefore(cutoff)).orElse(true)) {
                    won[0] = current.toBuilder().lastVerifiedAt(now).build();
                    move(current, won[0]);
                    return won[0];
                }
                return current;
            });
            if (won[0] != null) {
                claimed.add(won[0]);
                taken.add(won[0].id());
            }
        }
        return claimed;
    }

    @Override
    public boolean recordVerification(String id, VerificationStatus status, Instant verifiedAt) {
        return identities.computeIfPresent(id, (key, current) -> {
            Identity recorded = current.toBuilder().status(status).lastVerifiedAt(verifiedAt).build();
            move(current, recorded);
            return recorded;
        }) != null;
    }

    /** Moves an identity's claim index entry; called inside the compute that replaces {@code from} by {@code to}. */
    private void move(Identity from, Identity to) {
        ClaimKey old = ClaimKey.of(from);
        ClaimKey next = ClaimKey.of(to);
        if (!old.equals(next)) {
            // Added first, so a claim walking the index meanwhile never finds the identity missing.
            claimOrder.add(next);
            claimOrder.remove(old);
        }
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

    /** An entry of the claim order: never verified ({@code lastVerifiedAt} null) first, then oldest, then by id. */
    private record ClaimKey(Instant lastVerifiedAt, String id) implements Comparable<ClaimKey> {
        private static final Comparator<ClaimKey> ORDER = Comparator
                .comparing(ClaimKey::lastVerifiedAt, Comparator.nullsFirst(Comparator.<Instant>naturalOrder()))
                .thenComparing(ClaimKey::id);

        static ClaimKey of(Identity identity) {
            return new ClaimKey(identity.lastVerifiedAt().orElse(null), identity.id());
        }

        /** Sorts before every entry verified at or after {@code at}, after every one verified earlier. */
        static ClaimKey first(Instant at) {
            return new ClaimKey(at, "");
        }

        @Override
        public int compareTo(ClaimKey other) {
            return ORDER.compare(this, other);
        }
    }
}
