package org.oauthidentity.store.jdbc;

import java.sql.SQLException;
import java.util.Collection;
import org.oauthidentity.RefreshException.Details;

/**
 * Keeps credentials out of the exceptions the store throws. Statements bind every value as a parameter, so
 * SQL text never holds a token; but a database may echo the values of a failing row (PostgreSQL's
 * "Failing row contains (...)", H2's "Value too long ... 'eyJ...'"), sometimes cut short or encoded. So when a
 * failed statement carried credentials, every message in the cause chain goes through the library's one rule
 * for echoed credentials ({@link Details#withoutSecrets}): a message that echoes any piece of one is withheld,
 * and a message longer than the rule checks is cut to the part it checked. Only the exceptions whose text had
 * to change, and those above them in the chain, are replaced; the rest of the chain is kept as thrown, and the
 * replacements keep class names, SQLStates, vendor codes and stack traces, so an outage is still diagnosable.
 */
final class Redaction {
    private static final int MAX_DEPTH = 16;

    private Redaction() {
    }

    /** {@code failure} itself when no message in its chain echoes a secret, else a scrubbed copy of the chain. */
    static Throwable scrub(Throwable failure, Collection<String> secrets) {
        if (failure == null || secrets.isEmpty()) {
            return failure;
        }
        return scrub(failure, secrets, 0);
    }

    private static Throwable scrub(Throwable t, Collection<String> secrets, int depth) {
        Throwable original = t.getCause() == t ? null : t.getCause();
        // Past the depth bound the rest of the chain goes unchecked, so it is dropped.
        Throwable cause = original == null || depth >= MAX_DEPTH ? null : scrub(original, secrets, depth + 1);
        if (cause == original && printsSafely(t, secrets) && nextExceptionsPrintSafely(t, secrets)) {
            return t;
        }
        ScrubbedSQLException copy = new ScrubbedSQLException(
                t.getClass().getName() + ": " + Details.withoutSecrets(t.getMessage(), secrets),
                t instanceof SQLException ? ((SQLException) t).getSQLState() : null,
                t instanceof SQLException ? ((SQLException) t).getErrorCode() : 0, cause);
        copy.setStackTrace(t.getStackTrace());
        return copy;
    }

    /** True when the rule leaves what {@code t} prints of itself (message, toString) as it is. */
    private static boolean printsSafely(Throwable t, Collection<String> secrets) {
        String message = t.getMessage();
        if (!unchanged(message, secrets)) {
            return false;
        }
        // toString usually adds only the class name; a driver whose toString says more is held to the rule too.
        String shown = t.toString();
        return shown.equals(message == null ? t.getClass().getName() : t.getClass().getName() + ": " + message)
                || unchanged(shown, secrets);
    }

    /** A kept SQLException keeps its next exceptions (and their causes), so they are held to the rule too. */
    private static boolean nextExceptionsPrintSafely(Throwable t, Collection<String> secrets) {
        if (!(t instanceof SQLException)) {
            return true;
        }
        int count = 0;
        for (SQLException next = ((SQLException) t).getNextException(); next != null; next = next.getNextException()) {
            int depth = 0;
            for (Throwable c = next; c != null; c = c.getCause() == c ? null : c.getCause()) {
                if (++count > MAX_DEPTH * MAX_DEPTH || depth++ > MAX_DEPTH || !printsSafely(c, secrets)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean unchanged(String text, Collection<String> secrets) {
        return text == null || text.equals(Details.withoutSecrets(text, secrets));
    }

    /** Stands in for a database exception whose text (or a cause's) had to change; names the original class. */
    static final class ScrubbedSQLException extends SQLException {
        private static final long serialVersionUID = 1L;

        ScrubbedSQLException(String message, String sqlState, int vendorCode, Throwable cause) {
            super(message, sqlState, vendorCode, cause);
        }
    }
}
