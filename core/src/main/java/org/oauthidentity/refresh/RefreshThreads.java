package org.oauthidentity.refresh;

import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The library's own threads, shared by every refresher of the JVM and created on first use: daemon threads, so
 * they never keep a JVM alive. Refreshes run on a pool that grows with the refreshes in flight (each is bounded by
 * the lease wait, the retry policy and the provider's HTTP timeouts) and lets idle threads go after a minute;
 * lease renewals run on one timer thread.
 */
final class RefreshThreads {
    private RefreshThreads() {
    }

    static Executor executor() {
        return Pool.INSTANCE;
    }

    static ScheduledExecutorService timer() {
        return Timer.INSTANCE;
    }

    private static ThreadFactory daemons(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return task -> {
            Thread thread = new Thread(task, prefix + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    private static final class Pool {
        static final Executor INSTANCE = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS,
                new SynchronousQueue<>(), daemons("oauth-identity-refresh-"));
    }

    private static final class Timer {
        static final ScheduledExecutorService INSTANCE = create();

        private static ScheduledExecutorService create() {
            ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, daemons("oauth-identity-lease-"));
            timer.setRemoveOnCancelPolicy(true);
            return timer;
        }
    }
}
