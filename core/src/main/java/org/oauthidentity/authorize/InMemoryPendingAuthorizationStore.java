package org.oauthidentity.authorize;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * {@link PendingAuthorizationStore} in this JVM's memory: for a service that runs as one instance, tests
 * and demos. Nothing survives a restart (users then start over).
 *
 * <p>Thread-safe: {@link #consume} is one {@link ConcurrentMap#remove(Object)}, so exactly one of several
 * concurrent callers gets a record. Expiry is checked on read; expired records stay in memory until
 * {@link #purgeExpired} (which {@link AuthorizationFlow} calls at most once per TTL) or until consumed.
 */
public final class InMemoryPendingAuthorizationStore implements PendingAuthorizationStore {
    private final ConcurrentMap<String, Entry> entries = new ConcurrentHashMap<>();

    @Override
    public void put(String key, PendingAuthorization authorization, Instant expiresAt) {
        Entry entry = new Entry(Objects.requireNonNull(authorization, "authorization"),
                Objects.requireNonNull(expiresAt, "expiresAt"));
        if (entries.putIfAbsent(Objects.requireNonNull(key, "key"), entry) != null) {
            throw new IllegalStateException("a pending authorization with this key exists already");
        }
    }

    @Override
    public Optional<PendingAuthorization> consume(String key, Instant now) {
        Entry entry = entries.remove(key);
        if (entry == null || entry.expiredAt(now)) {
            return Optional.empty();
        }
        return Optional.of(entry.authorization);
    }

    @Override
    public int purgeExpired(Instant now) {
        int purged = 0;
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            // remove(key, value): a concurrent consume of the same entry wins or loses cleanly.
            if (e.getValue().expiredAt(now) && entries.remove(e.getKey(), e.getValue())) {
                purged++;
            }
        }
        return purged;
    }

    /** Records held, expired ones included until purged. */
    int size() {
        return entries.size();
    }

    @Override
    public String toString() {
        return "InMemoryPendingAuthorizationStore{size=" + entries.size() + '}';
    }

    private static final class Entry {
        final PendingAuthorization authorization;
        final Instant expiresAt;

        Entry(PendingAuthorization authorization, Instant expiresAt) {
            this.authorization = authorization;
            this.expiresAt = expiresAt;
        }

        boolean expiredAt(Instant now) {
            return !now.isBefore(expiresAt);
        }
    }
}
