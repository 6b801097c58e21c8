package org.oauthidentity.store.jdbc;

/**
 * What one {@link JdbcIdentityStore#reencrypt()} pass did. When {@link #done()}, every row the pass saw is sealed
 * with the cipher's current key; once every instance writes with that key too, the old keys may leave the ring.
 * Immutable.
 */
public final class Reencryption {
    private final long examined;
    private final long rewritten;
    private final long unreadable;
    private final long contended;

    Reencryption(long examined, long rewritten, long unreadable, long contended) {
        this.examined = examined;
        this.rewritten = rewritten;
        this.unreadable = unreadable;
        this.contended = contended;
    }

    /** @return rows the pass looked at: every identity that existed when it reached its id */
    public long examined() {
        return examined;
    }

    /** @return rows the pass rewrote under the current key (rows a concurrent save moved there are not counted) */
    public long rewritten() {
        return rewritten;
    }

    /**
     * @return rows still under another key that the pass could not decrypt (a key already removed from the
     *     ring, a value altered or written by another cipher); each is logged at WARN with its id and the reason
     */
    public long unreadable() {
        return unreadable;
    }

    /**
     * @return rows still under another key because they were saved again under another key on every attempt
     *     (an instance still configured with an old current key); run the pass again once every instance is
     */
    public long contended() {
        return contended;
    }

    /** @return true when no row the pass saw is left under another key */
    public boolean done() {
        return unreadable == 0 && contended == 0;
    }

    @Override
    public String toString() {
        return "Reencryption{examined=" + examined + ", rewritten=" + rewritten + ", unreadable=" + unreadable
                + ", contended=" + contended + '}';
    }
}
