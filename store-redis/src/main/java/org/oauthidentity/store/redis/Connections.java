package org.oauthidentity.store.redis;

import java.time.Duration;
import java.util.Collection;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.function.Function;
import org.oauthidentity.IdentityStoreException;
import org.oauthidentity.RefreshException.Details;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Connection;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.util.Pool;

/**
 * One command on a connection of the caller's pool, within bounds: the borrow waits at most the timeout, whatever
 * the pool's own {@code maxWait} (whose default is forever), and the command's answer at most the timeout or the
 * pool's socket timeout, the shorter. The connection goes back with the pool's socket timeout as it found it, or
 * is invalidated when it broke. Every failure becomes an {@link IdentityStoreException}. Thread-safe (the pool is).
 */
final class Connections {
    private static final Logger log = LoggerFactory.getLogger(Connections.class);
    private static final int MAX_DEPTH = 16;

    private final Pool<Jedis> pool;
    private final Duration timeout;
    private final int timeoutMillis;

    Connections(Pool<Jedis> pool, Duration timeout) {
        this.pool = Objects.requireNonNull(pool, "pool");
        this.timeout = timeout;
        this.timeoutMillis = (int) timeout.toMillis();
    }

    Duration timeout() {
        return timeout;
    }

    /**
     * Runs {@code command} on a pooled connection.
     *
     * @param failure what a failure's message starts with ("could not ..."); names no secret
     * @param secrets what no message in a failure's cause chain may show
     */
    <T> T call(String failure, Collection<String> secrets, Function<Jedis, T> command) {
        Jedis jedis = borrow(failure, secrets);
        Connection connection = jedis.getConnection();
        boolean broken = false;
        int poolTimeout = connection.getSoTimeout();
        try {
            connection.setSoTimeout(poolTimeout > 0 ? Math.min(poolTimeout, timeoutMillis) : timeoutMillis);
            return command.apply(jedis);
        } catch (RuntimeException e) {
            broken = true;
            throw new IdentityStoreException(failure + ": Redis failed (" + e.getClass().getSimpleName() + ")",
                    withoutSecrets(e, secrets));
        } finally {
            giveBack(jedis, connection, poolTimeout, broken);
        }
    }

    private Jedis borrow(String failure, Collection<String> secrets) {
        try {
            return pool.borrowObject(timeout);
        } catch (NoSuchElementException e) {
            // The pool's own words ("Timeout waiting for idle object") or a refused connection as its cause.
            String why = e.getCause() == null ? "no connection free within " + timeout
                    : "no connection (" + e.getCause().getClass().getSimpleName() + ")";
            throw new IdentityStoreException(failure + ": Redis unavailable, " + why, withoutSecrets(e, secrets));
        } catch (Exception e) {
            throw new IdentityStoreException(failure + ": Redis unavailable (" + e.getClass().getSimpleName() + ")",
                    withoutSecrets(e, secrets));
        }
    }

    private void giveBack(Jedis jedis, Connection connection, int poolTimeout, boolean failed) {
        try {
            // A failed command may have left an answer unread on the connection: it never serves another command.
            if (!failed && !connection.isBroken()) {
                connection.setSoTimeout(poolTimeout);
                pool.returnResource(jedis);
                return;
            }
        } catch (RuntimeException e) {
            // The socket broke while being reset: drop the connection below.
        }
        try {
            pool.returnBrokenResource(jedis);
        } catch (RuntimeException e) {
            // Destroying a connection to a Redis that went away can fail too; the call's own outcome stands.
            log.debug("could not drop a broken Redis connection ({})", e.getClass().getSimpleName());
        }
    }

    /** {@code failure} when no message in its chain shows a piece of a secret; otherwise none of the chain. */
    static Throwable withoutSecrets(Throwable failure, Collection<String> secrets) {
        Throwable t = failure;
        for (int depth = 0; t != null; t = t.getCause() == t ? null : t.getCause(), depth++) {
            String shown = t.toString();
            // A chain too deep to check, or a message the rule would change (an echo, or too long to check).
            if (depth >= MAX_DEPTH || !shown.equals(Details.withoutSecrets(shown, secrets))) {
                return null;
            }
        }
        return failure;
    }
}
