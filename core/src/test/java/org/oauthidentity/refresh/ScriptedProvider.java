package org.oauthidentity.refresh;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.oauthidentity.Identity;
import org.oauthidentity.Provider;
import org.oauthidentity.RefreshException;

/**
 * A vendor that answers each refresh with the next scripted step: new tokens, or a failure the step throws.
 * After the script, every refresh issues new tokens. Counts the refreshes it was asked for. Thread-safe.
 */
final class ScriptedProvider implements Provider {
    /** One answer of the vendor. */
    @FunctionalInterface
    interface Answer {
        Identity answer(Identity identity, int call) throws RefreshException;
    }

    private final Queue<Answer> script = new ConcurrentLinkedQueue<>();
    private final AtomicInteger calls = new AtomicInteger();

    ScriptedProvider then(Answer answer) {
        script.add(answer);
        return this;
    }

    int calls() {
        return calls.get();
    }

    static Identity rotated(Identity identity, int call) {
        return identity.toBuilder().accessToken("access-token-r" + call).refreshToken("refresh-token-r" + call).build();
    }

    @Override
    public String key() {
        return "example";
    }

    @Override
    public Identity refresh(Identity identity) throws RefreshException {
        int call = calls.incrementAndGet();
        Answer next = script.poll();
        return next != null ? next.answer(identity, call) : rotated(identity, call);
    }
}
