package org.oauthidentity.http;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * The token caches of every identity one client serves, bounded: at most {@code maxEntries}, and an entry
 * unused for {@code idleMillis} goes. Evicting loses nothing: the store holds every identity, so an evicted
 * identity's next call loads it again (one store read); a refresh in flight when its entry goes completes,
 * is saved, and reaches the callers already waiting for it.
 *
 * <p>Thread-safe. {@link #get} is one {@link ConcurrentHashMap} read when the identity is cached. Adding an
 * entry past the bound, or the idle check (at most once per {@code idleMillis / 4}), triggers a sweep that runs
 * on one caller's thread at a time: it drops the idle entries, then, if still over the bound, the least recently
 * used ones until the bound less 1 % is reached (a sort of the entries: its cost is spread over the misses that
 * follow). "Recently" is known to the second. As with any LRU bound, a working set larger than the bound thrashes:
 * size the bound above the hot set (the default leaves room for as many cold identities as hot ones).
 */
final class TokenCaches {
    private final ConcurrentHashMap<String, TokenCache> caches = new ConcurrentHashMap<>();
    private final TokenCache.Settings settings;
    private final int maxEntries;
    private final long idleMillis;
    private final AtomicBoolean sweeping = new AtomicBoolean();
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private volatile long nextIdleSweep;

    TokenCaches(TokenCache.Settings settings, int maxEntries, long idleMillis) {
        this.settings = settings;
        this.maxEntries = maxEntries;
        this.idleMillis = idleMillis;
    }

    /** The cache of {@code identityId}, created (unloaded) if it has none. */
    TokenCache get(String identityId) {
        TokenCache cache = caches.get(identityId);
        if (cache != null) {
            hits.increment();
            return cache;
        }
        misses.increment();
        cache = caches.computeIfAbsent(identityId, id -> {
            TokenCache created = new TokenCache(id, settings);
            created.lastUsed = settings.clock.millis();
            return created;
        });
        long now = settings.clock.millis();
        if (caches.size() > maxEntries || now >= nextIdleSweep) {
            sweep(now);
        }
        return cache;
    }

    /** Forgets {@code identityId}: its next call reads the store again. */
    void invalidate(String identityId) {
        caches.remove(identityId);
    }

    /** Forgets {@code cache} if it is still the one cached for its identity (a failed first load). */
    void forget(TokenCache cache) {
        caches.remove(cache.identityId(), cache);
    }

    int size() {
        return caches.size();
    }

    long hits() {
        return hits.sum();
    }

    long misses() {
        return misses.sum();
    }

    private void sweep(long now) {
        // A caller that finds a sweep running leaves; the sweeper looks again after it is done, so an entry added
        // meanwhile is never left over the bound.
        while (sweeping.compareAndSet(false, true)) {
            try {
                nextIdleSweep = now + Math.max(1, idleMillis / 4);
                caches.values().removeIf(cache -> now - cache.lastUsed >= idleMillis);
                int excess = caches.size() - maxEntries;
                if (excess > 0) {
                    int evict = excess + maxEntries / 100;
                    List<TokenCache> oldestFirst = new ArrayList<>(caches.values());
                    oldestFirst.sort(Comparator.comparingLong(cache -> cache.lastUsed));
                    for (int i = 0; i < evict && i < oldestFirst.size(); i++) {
                        forget(oldestFirst.get(i));
                    }
                }
            } finally {
                sweeping.set(false);
            }
            if (caches.size() <= maxEntries) {
                return;
            }
        }
    }
}
