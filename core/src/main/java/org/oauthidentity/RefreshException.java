package org.oauthidentity;

import java.io.IOException;
import java.util.Optional;

/**
 * Every way a refresh can fail. Callers branch on the subtype, never on the message:
 * {@link IdentityNotValid} (permanent: unlink), {@link ProviderConfigurationException} (our client is
 * misconfigured: not the identity's fault), {@link TransientRefreshException} (try later),
 * {@link RefreshRejectedException} (the vendor refused the request for another stated reason) and
 * {@link RefreshNotPersistedException} (the vendor answered but the store could not save the result).
 *
 * <p>It is an {@link IOException} so that it travels unchanged out of OkHttp's {@code execute()} and into
 * {@code Callback.onFailure}. Messages read like {@code HTTP 400 (invalid_grant): Token has been expired or
 * revoked.} and never contain a token or a client secret: vendor text is cut and stripped of control
 * characters before it gets here.
 */
public class RefreshException extends IOException {
    private static final long serialVersionUID = 1L;

    private final int httpStatus;
    private final String error;
    private final String errorDescription;
    private final String errorSubtype;

    protected RefreshException(Details details, Throwable cause) {
        super(details.message(), cause);
        this.httpStatus = details.httpStatus;
        this.error = details.error;
        this.errorDescription = details.errorDescription;
        this.errorSubtype = details.errorSubtype;
    }

    /** The token endpoint's HTTP status, or 0 when no response arrived. */
    public int httpStatus() {
        return httpStatus;
    }

    /** The vendor's error code ({@code invalid_grant}, ...), if it sent one. */
    public Optional<String> error() {
        return Optional.ofNullable(error);
    }

    /** The vendor's description, sanitised (control characters replaced, length capped). */
    public Optional<String> errorDescription() {
        return Optional.ofNullable(errorDescription);
    }

    /** The vendor's sub-code, e.g. Google's {@code invalid_rapt} or an Entra {@code AADSTS700082}. */
    public Optional<String> errorSubtype() {
        return Optional.ofNullable(errorSubtype);
    }

    /**
     * What is known about a failure. Build one per failure; the strings are sanitised on the way in.
     */
    public static final class Details {
        private static final int MAX_TEXT = 300;
        /** What stands in for a text that echoed a credential. */
        static final String WITHHELD = "<withheld: it echoed a credential>";

        private int httpStatus;
        private String error;
        private String errorDescription;
        private String errorSubtype;
        private String message;

        private Details() {
        }

        /** A failure with a plain explanation, no HTTP response involved. */
        public static Details of(String message) {
            Details d = new Details();
            d.message = sanitize(message);
            return d;
        }

        /** A failure the token endpoint reported. */
        public static Details http(int status, String error, String errorDescription) {
            Details d = new Details();
            d.httpStatus = status;
            d.error = sanitize(error);
            d.errorDescription = sanitize(errorDescription);
            return d;
        }

        public Details subtype(String subtype) {
            this.errorSubtype = sanitize(subtype);
            return this;
        }

        /**
         * Adds context after the standard message, e.g. what an operator should check. Hints are the
         * library's own words, so they are not cut to the vendor-text cap.
         */
        public Details hint(String hint) {
            String base = message();
            this.message = base + (base.endsWith(".") ? " " : ". ") + hint.replaceAll("\\p{Cntrl}", " ");
            return this;
        }

        public int httpStatus() {
            return httpStatus;
        }

        public Optional<String> error() {
            return Optional.ofNullable(error);
        }

        public Optional<String> errorDescription() {
            return Optional.ofNullable(errorDescription);
        }

        public Optional<String> errorSubtype() {
            return Optional.ofNullable(errorSubtype);
        }

        String message() {
            if (message != null) {
                return message;
            }
            StringBuilder sb = new StringBuilder("HTTP ").append(httpStatus).append(" (")
                    .append(error == null ? "no error code" : error);
            if (errorSubtype != null) {
                sb.append('/').append(errorSubtype);
            }
            sb.append("): ").append(errorDescription == null ? "no description" : errorDescription);
            return sb.toString();
        }

        /**
         * {@code text} as an exception may show it, or {@code <withheld: it echoed a credential>} in its place
         * when it echoes a credential. This is the library's one rule for text that a vendor, a browser callback
         * or a database built from values we sent it; vendor modules and stores use it too.
         *
         * <p>The text is first cut to the length an exception shows (300 characters, then {@code …}); only that
         * part is checked and returned. It is withheld whole when it holds any 8 consecutive characters of one
         * of {@code secrets}: as written, percent-encoded in either hex case, or form-encoded ({@code +} for a
         * space), with control characters in between ignored. A piece suffices because echoes are often cut
         * short, and what is left of a partly scrubbed text still gives most of a token away. Secrets shorter
         * than 8 characters are ignored: they cannot be told apart from ordinary words, and are no secret worth
         * the name.
         *
         * <p>Cost: linear in the cut text plus the secrets' total length. Thread-safe.
         *
         * @return null for null; else the text (cut) or the marker. Control characters are left for the caller.
         */
        public static String withoutSecrets(String text, Iterable<String> secrets) {
            if (text == null) {
                return null;
            }
            String checked = text;
            if (text.length() > MAX_TEXT) {
                int end = Character.isHighSurrogate(text.charAt(MAX_TEXT - 1)) ? MAX_TEXT - 1 : MAX_TEXT;
                checked = text.substring(0, end);
            }
            if (EchoedSecrets.echoes(checked, secrets)) {
                return WITHHELD;
            }
            return checked.length() == text.length() ? text : checked + '…';
        }

        /** Replaces control characters (log injection) and caps length; vendors' text is untrusted. */
        static String sanitize(String text) {
            if (text == null) {
                return null;
            }
            StringBuilder sb = new StringBuilder(Math.min(text.length(), MAX_TEXT + 1));
            for (int i = 0; i < text.length() && sb.length() < MAX_TEXT; i++) {
                char c = text.charAt(i);
                sb.append(unsafe(c) ? ' ' : c);
            }
            if (text.length() > MAX_TEXT) {
                sb.append('…');
            }
            return sb.toString();
        }

        /** Control, invisible formatting and Unicode line/paragraph separators (which some viewers break on). */
        static boolean unsafe(char c) {
            int type = Character.getType(c);
            return Character.isISOControl(c) || type == Character.FORMAT
                    || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR;
        }
    }
}
