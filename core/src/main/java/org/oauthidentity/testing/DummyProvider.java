package org.oauthidentity.testing;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.Provider;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.RefreshException;
import org.oauthidentity.RefreshException.Details;
import org.oauthidentity.TransientRefreshException;

/**
 * A {@link Provider} for unit tests: no network, scripted per call, counting calls.
 *
 * <p>Each {@link #refresh} takes the next scripted {@link Step} ({@link #then}), else the first matching
 * rule ({@link #when}), else the default step ({@link #otherwise}, initially {@link Step#SUCCEED}). A success
 * issues a new unique access token that expires {@link #tokenLifetime} after the injected clock's now;
 * {@link Step#ROTATE} also issues a new refresh token. Identities without a refresh token fail with
 * {@link IdentityNotValid}, as with a real provider. Thread-safe.
 */
public final class DummyProvider implements Provider {

    /** What one refresh does. */
    public enum Step {
        /** New access token, same refresh token. */
        SUCCEED,
        /** New access token and new refresh token. */
        ROTATE,
        /** {@link IdentityNotValid}, as for 400 invalid_grant. */
        FAIL_PERMANENTLY,
        /** {@link TransientRefreshException}, as for a 503. */
        FAIL_TRANSIENTLY,
        /** {@link ProviderConfigurationException}, as for invalid_client. */
        FAIL_CONFIGURATION
    }

    private final String key;
    private final Clock clock;
    private final Queue<Step> script = new ConcurrentLinkedQueue<>();
    private final List<Rule> rules = new CopyOnWriteArrayList<>();
    private final AtomicInteger calls = new AtomicInteger();
    private final AtomicInteger issued = new AtomicInteger();
    private final ConcurrentHashMap<String, AtomicInteger> callsPerIdentity = new ConcurrentHashMap<>();
    private volatile Step otherwise = Step.SUCCEED;
    private volatile Duration tokenLifetime = Duration.ofHours(1);

    private DummyProvider(String key, Clock clock) {
        this.key = Objects.requireNonNull(key, "key");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    public static DummyProvider create(String key, Clock clock) {
        return new DummyProvider(key, clock);
    }

    /** Scripts the next calls, in order; each step is used once. */
    public DummyProvider then(Step... steps) {
        script.addAll(List.of(steps));
        return this;
    }

    /** For identities matching {@code which}, when nothing is scripted: always {@code step}. */
    public DummyProvider when(Predicate<Identity> which, Step step) {
        rules.add(new Rule(which, step));
        return this;
    }

    /** What calls do when nothing is scripted and no rule matches. */
    public DummyProvider otherwise(Step step) {
        this.otherwise = Objects.requireNonNull(step, "step");
        return this;
    }

    public DummyProvider tokenLifetime(Duration lifetime) {
        this.tokenLifetime = Objects.requireNonNull(lifetime, "lifetime");
        return this;
    }

    /** Refresh calls made, including failed ones and those refused for lack of a refresh token. */
    public int calls() {
        return calls.get();
    }

    public int calls(String identityId) {
        AtomicInteger n = callsPerIdentity.get(identityId);
        return n == null ? 0 : n.get();
    }

    @Override
    public String key() {
        return key;
    }

    @Override
    public Identity refresh(Identity identity) throws RefreshException {
        calls.incrementAndGet();
        callsPerIdentity.computeIfAbsent(identity.id(), id -> new AtomicInteger()).incrementAndGet();
        if (identity.refreshToken().isEmpty()) {
            throw new IdentityNotValid(Details.of("identity " + identity.id() + " has no refresh token"));
        }
        Step step = script.poll();
        if (step == null) {
            step = rules.stream().filter(r -> r.which.test(identity)).map(r -> r.step).findFirst().orElse(otherwise);
        }
        int n = issued.incrementAndGet();
        switch (step) {
            case FAIL_PERMANENTLY:
                throw new IdentityNotValid(Details.http(400, "invalid_grant", "Token has been expired or revoked."));
            case FAIL_TRANSIENTLY:
                throw new TransientRefreshException(Details.http(503, "temporarily_unavailable", "Try again later."),
                        null);
            case FAIL_CONFIGURATION:
                throw new ProviderConfigurationException(Details.http(401, "invalid_client", "Unknown client."));
            case ROTATE:
                return issue(identity, n).refreshToken("dummy-refresh-" + n).build();
            case SUCCEED:
            default:
                return issue(identity, n).build();
        }
    }

    private Identity.Builder issue(Identity identity, int n) {
        return identity.toBuilder()
                .accessToken("dummy-access-" + n)
                .expiresAt(clock.instant().plus(tokenLifetime));
    }

    @Override
    public String toString() {
        return "DummyProvider{key=" + key + ", calls=" + calls.get() + '}';
    }

    private static final class Rule {
        final Predicate<Identity> which;
        final Step step;

        Rule(Predicate<Identity> which, Step step) {
            this.which = which;
            this.step = step;
        }
    }
}
