package org.oauthidentity.testkit;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import org.oauthidentity.testkit.FakeAuthorizationServer.Fault;

/**
 * MockWebServer's dispatcher: routes each request to its endpoint and applies pending faults to token
 * requests, counting and recording each token request (faulted ones included) before it is answered.
 * MockWebServer calls {@link #dispatch} from one thread per connection, concurrently; this class keeps no
 * state of its own apart from the fault queue, which hands each pending fault to exactly one request under
 * its own lock, and the requests held at gates ({@link HeldRequests}), each blocking only its own
 * connection's thread.
 *
 * <p>A bug in the fake (an unexpected exception) answers 500 and is recorded, so the test that caused it
 * fails in {@link FakeAuthorizationServer#verifyNoInternalFailures()} instead of passing as an "outage".
 */
final class Router extends Dispatcher {
    private final String prefix;
    private final DialectRules rules;
    private final TokenEndpoint token;
    private final AuthorizeEndpoint authorize;
    private final ApiEndpoint api;
    private final Counters counters;
    private final TokenRequestLog tokenRequests;
    private final List<Throwable> failures;
    private final Deque<Fault> faults = new ArrayDeque<>();
    private final HeldRequests held = new HeldRequests();

    Router(String prefix, DialectRules rules, TokenEndpoint token, AuthorizeEndpoint authorize, ApiEndpoint api,
           Counters counters, TokenRequestLog tokenRequests, List<Throwable> failures) {
        this.prefix = prefix;
        this.rules = rules;
        this.token = token;
        this.authorize = authorize;
        this.api = api;
        this.counters = counters;
        this.tokenRequests = tokenRequests;
        this.failures = failures;
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        try {
            return route(request);
        } catch (RuntimeException | Error e) {
            failures.add(e);
            return Http.text(500, "text/plain", "fake authorization server failed: " + e.getClass().getName());
        }
    }

    private MockResponse route(RecordedRequest request) {
        String path = request.getUrl().encodedPath();
        if (!path.startsWith(prefix + "/")) {
            return notFound();
        }
        String local = path.substring(prefix.length());
        if (local.equals(rules.tokenPath()) && "POST".equals(request.getMethod())) {
            Form form = Form.of(request);
            counters.tokenRequest(form.peek("grant_type"));
            tokenRequests.add(TokenRequest.of(request, form));
            Fault fault = nextFault();
            if (fault == null) {
                return token.token(request);
            }
            counters.faultServed();
            return fault.answer(() -> token.token(request), held);
        }
        if (local.equals(rules.tokenPath())) {
            return token.token(request); // answers 405: only a POST is a token request
        }
        if (local.equals(rules.authorizePath())) {
            return authorize.authorize(request);
        }
        if (local.equals(rules.revocationPath())) {
            return token.revoke(request);
        }
        if (local.startsWith("/api/")) {
            return api.call(request);
        }
        return notFound();
    }

    /** Drops the requests held at gates, now and later; MockWebServer also calls it as it shuts down. */
    void releaseHeld() {
        held.releaseAll();
    }

    @Override
    public void close() {
        releaseHeld();
    }

    void addFaults(int times, Fault fault) {
        synchronized (faults) {
            for (int i = 0; i < times; i++) {
                faults.addLast(fault);
            }
        }
    }

    void clearFaults() {
        synchronized (faults) {
            faults.clear();
        }
    }

    int pendingFaults() {
        synchronized (faults) {
            return faults.size();
        }
    }

    private Fault nextFault() {
        synchronized (faults) {
            return faults.pollFirst();
        }
    }

    private static MockResponse notFound() {
        return Http.text(404, "text/plain", "Not Found");
    }
}
