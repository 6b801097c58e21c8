package org.oauthidentity.http;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;

/** Queues tasks until the test runs them, on the test's thread. */
final class ManualExecutor implements Executor {
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();

    @Override
    public void execute(Runnable task) {
        tasks.add(task);
    }

    int pending() {
        return tasks.size();
    }

    void runAll() {
        for (Runnable task; (task = tasks.poll()) != null; ) {
            task.run();
        }
    }
}
