package org.oauthidentity.refresh;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.oauthidentity.Identity;

/**
 * The identities of this JVM whose last token request lost its answer, by the incarnation and version whose
 * refresh token was sent: if the vendor later refuses that same refresh token, the refusal may be the lost
 * request's doing (the vendor rotated, the new token never arrived), and it is reported as such. Bounded: past
 * {@link #MAX} entries the oldest knowledge is dropped wholesale (losing it only makes a report less precise).
 * Thread-safe.
 */
final class LostAnswers {
    static final int MAX = 10_000;

    private final Map<String, Sent> sent = new ConcurrentHashMap<>();

    void remember(Identity used) {
        if (sent.size() >= MAX) {
            sent.clear();
        }
        sent.put(used.id(), key(used));
    }

    boolean contains(Identity used) {
        return key(used).equals(sent.get(used.id()));
    }

    void forget(Identity used) {
        sent.remove(used.id());
    }

    private static Sent key(Identity identity) {
        return new Sent(identity.incarnation(), identity.version());
    }

    private record Sent(long incarnation, long version) {
    }
}
