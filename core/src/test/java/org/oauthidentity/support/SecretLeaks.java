package org.oauthidentity.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Asserts that secret values appear nowhere in a text or in anything an exception would print. */
public final class SecretLeaks {
    private SecretLeaks() {
    }

    public static void assertNoSecretIn(String text, String... secrets) {
        for (String secret : secrets) {
            assertThat(text).as("text must not contain a secret").doesNotContain(secret);
        }
    }

    /** Checks the message, toString and the full stack trace (every cause and suppressed exception). */
    public static void assertNoSecretIn(Throwable thrown, String... secrets) {
        StringWriter trace = new StringWriter();
        thrown.printStackTrace(new PrintWriter(trace));
        assertNoSecretIn(trace.toString(), secrets);
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            assertNoSecretIn(String.valueOf(t.getMessage()), secrets);
            assertNoSecretIn(t.toString(), secrets);
        }
    }
}
