package org.oauthidentity;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;

/**
 * Whether a text repeats a credential we sent: the rule behind {@link RefreshException.Details#withoutSecrets}.
 *
 * <p>A text echoes a secret when it holds any {@value #WINDOW} consecutive characters of it, read three ways:
 * as written; percent-decoded (either hex case, multi-byte UTF-8 included) with {@code +} read as a space, as a
 * form body is; and percent-decoded with {@code +} kept. Control and invisible formatting characters are
 * skipped in all three, so a token cut up by line breaks still counts. A piece is enough because vendors and
 * databases quote values cut short, and a token missing its tail is still most of a token. Secrets shorter
 * than {@value #WINDOW} characters are ignored: they cannot be told apart from ordinary words.
 *
 * <p>Stateless and thread-safe.
 */
final class EchoedSecrets {
    static final int WINDOW = 8;

    private EchoedSecrets() {
    }

    /**
     * True if {@code text} echoes any of {@code secrets} by the rule above. Cost: the text's windows are
     * indexed once (at most three per character, so callers cap the text first), then each secret costs one
     * set look-up per character; nothing is proportional to text length times secret length.
     */
    static boolean echoes(String text, Iterable<String> secrets) {
        if (text == null || text.isEmpty()) {
            return false;
        }
        Set<String> windows = null;
        for (String secret : secrets) {
            if (secret == null || secret.length() < WINDOW) {
                continue;
            }
            if (windows == null) {
                windows = windowsOf(text);
                if (windows.isEmpty()) {
                    return false;
                }
            }
            for (int i = 0; i + WINDOW <= secret.length(); i++) {
                if (windows.contains(secret.substring(i, i + WINDOW))) {
                    return true;
                }
            }
        }
        return false;
    }

    private static Set<String> windowsOf(String text) {
        Set<String> windows = new HashSet<>();
        addWindows(readable(text, false, '+'), windows);
        if (text.indexOf('%') >= 0 || text.indexOf('+') >= 0) {
            addWindows(readable(text, true, ' '), windows);
            addWindows(readable(text, true, '+'), windows);
        }
        return windows;
    }

    private static void addWindows(CharSequence text, Set<String> windows) {
        String s = text.toString();
        for (int i = 0; i + WINDOW <= s.length(); i++) {
            windows.add(s.substring(i, i + WINDOW));
        }
    }

    /** {@code text} without unsafe characters; with {@code decode}, %XX runs decoded and '+' read as {@code plus}. */
    private static StringBuilder readable(String text, boolean decode, char plus) {
        StringBuilder out = new StringBuilder(text.length());
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (decode && escapeAt(text, i)) {
                // A run of escapes is decoded as one: a non-ASCII character spans several.
                byte[] bytes = new byte[(text.length() - i) / 3];
                int n = 0;
                while (escapeAt(text, i)) {
                    bytes[n++] = (byte) (hex(text.charAt(i + 1)) << 4 | hex(text.charAt(i + 2)));
                    i += 3;
                }
                appendSafe(out, new String(bytes, 0, n, StandardCharsets.UTF_8));
                continue;
            }
            if (decode && c == '+') {
                out.append(plus);
            } else if (!RefreshException.Details.unsafe(c)) {
                out.append(c);
            }
            i++;
        }
        return out;
    }

    private static boolean escapeAt(String text, int i) {
        return i + 2 < text.length() && text.charAt(i) == '%' && hex(text.charAt(i + 1)) >= 0
                && hex(text.charAt(i + 2)) >= 0;
    }

    /** ASCII hex only: {@link Character#digit} would also take other scripts' digits. */
    private static int hex(char c) {
        return c >= '0' && c <= '9' ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                : -1;
    }

    private static void appendSafe(StringBuilder out, String decoded) {
        for (int i = 0; i < decoded.length(); i++) {
            char c = decoded.charAt(i);
            if (!RefreshException.Details.unsafe(c)) {
                out.append(c);
            }
        }
    }
}
