package org.oauthidentity.store.jdbc;

import java.sql.SQLException;
import java.util.Collection;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Keeps credentials out of the exceptions the store throws. Statements bind every value as a parameter, so
 * SQL text never holds a token; but a database may echo the values of a failing row (PostgreSQL's
 * "Failing row contains (...)", H2's "Value too long ... 'eyJ...'"), sometimes cut short. So when a failed
 * statement carried credentials, every message in the cause chain is checked for any 8-character piece of
 * any of them, and a message that has one is withheld. The chain is kept otherwise (class names, SQLStates,
 * stack traces), so an outage is still diagnosable.
 */
final class Redaction {
    static final int WINDOW = 8;
    private static final int MAX_DEPTH = 16;

    private Redaction() {
    }

    /** {@code failure} itself when no message in its chain echoes a secret, else a scrubbed copy of the chain. */
    static Throwable scrub(Throwable failure, Collection<String> secrets) {
        if (failure == null || secrets.isEmpty() || !leaksAnywhere(failure, secrets)) {
            return failure;
        }
        return copy(failure, secrets, 0);
    }

    /** True if {@code text} contains a secret, or any {@link #WINDOW}-character piece of one. */
    static boolean leaks(String text, Collection<String> secrets) {
        if (text == null || text.isEmpty()) {
            return false;
        }
        Set<String> pieces = null;
        for (String secret : secrets) {
            if (secret == null || secret.length() < 4) {
                continue;
            }
            if (secret.length() < WINDOW) {
                if (text.contains(secret)) {
                    return true;
                }
                continue;
            }
            if (text.length() < WINDOW) {
                continue;
            }
            if (pieces == null) {
                pieces = new HashSet<>();
                for (int i = 0; i + WINDOW <= text.length(); i++) {
                    pieces.add(text.substring(i, i + WINDOW));
                }
            }
            for (int i = 0; i + WINDOW <= secret.length(); i++) {
                if (pieces.contains(secret.substring(i, i + WINDOW))) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean leaksAnywhere(Throwable failure, Collection<String> secrets) {
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        int depth = 0;
        for (Throwable t = failure; t != null && depth < MAX_DEPTH && seen.put(t, Boolean.TRUE) == null;
                t = t.getCause(), depth++) {
            if (leaks(t.getMessage(), secrets) || leaks(t.toString(), secrets)) {
                return true;
            }
            if (t instanceof SQLException && ((SQLException) t).getNextException() != null
                    && leaksAnywhere(((SQLException) t).getNextException(), secrets)) {
                return true;
            }
        }
        return false;
    }

    private static Throwable copy(Throwable t, Collection<String> secrets, int depth) {
        String message = t.getMessage();
        String safe = leaks(message, secrets) || leaks(t.toString(), secrets)
                ? "<message withheld: the database echoed a credential>" : message;
        Throwable cause = t.getCause() == null || t.getCause() == t || depth >= MAX_DEPTH
                ? null : copy(t.getCause(), secrets, depth + 1);
        ScrubbedSQLException copy = new ScrubbedSQLException(t.getClass().getName() + ": " + safe,
                t instanceof SQLException ? ((SQLException) t).getSQLState() : null,
                t instanceof SQLException ? ((SQLException) t).getErrorCode() : 0, cause);
        copy.setStackTrace(t.getStackTrace());
        return copy;
    }

    /** Stands in for a database exception whose message had to be withheld; names the original class. */
    static final class ScrubbedSQLException extends SQLException {
        private static final long serialVersionUID = 1L;

        ScrubbedSQLException(String message, String sqlState, int vendorCode, Throwable cause) {
            super(message, sqlState, vendorCode, cause);
        }
    }
}
