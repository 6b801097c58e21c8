package org.oauthidentity.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import okhttp3.HttpUrl;
import org.oauthidentity.authorize.AuthorizationException;
import org.oauthidentity.authorize.AuthorizationFlow;

/**
 * Delivers one authorization callback to several instances of a service at the same moment, as a browser that
 * sends it twice or a load balancer that replays it would: for tests that the pending-authorization store lets
 * exactly one of them link the account.
 */
public final class CallbackRace {
    private CallbackRace() {
    }

    /**
     * Completes {@code callback} on every flow at once (threads released together) and returns each flow's outcome
     * in order: the linked {@link org.oauthidentity.Identity}, or the {@link AuthorizationException.Reason} it
     * was refused with. Any other failure is rethrown. Waits at most 30 s.
     */
    public static List<Object> completeAtOnce(HttpUrl callback, String ownerBinding, List<AuthorizationFlow> flows)
            throws InterruptedException, ExecutionException, TimeoutException {
        ExecutorService threads = Executors.newFixedThreadPool(flows.size());
        try {
            CyclicBarrier together = new CyclicBarrier(flows.size());
            List<Future<Object>> outcomes = new ArrayList<>();
            for (AuthorizationFlow flow : flows) {
                outcomes.add(threads.submit(() -> {
                    together.await();
                    try {
                        return flow.complete(callback, ownerBinding);
                    } catch (AuthorizationException e) {
                        return e.reason();
                    }
                }));
            }
            List<Object> results = new ArrayList<>();
            for (Future<Object> outcome : outcomes) {
                results.add(outcome.get(30, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            threads.shutdownNow();
        }
    }
}
