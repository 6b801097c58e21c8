package org.oauthidentity.sweep;

import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A {@link ScheduledExecutorService} whose periodic tasks run only when the test calls {@link #tick()}, on
 * the calling thread: scheduling without waiting for time to pass.
 */
final class ManualScheduler extends AbstractExecutorService implements ScheduledExecutorService {
    final List<Task> tasks = new CopyOnWriteArrayList<>();
    private volatile boolean shutdown;

    /** Runs every periodic task that is not cancelled once, on this thread. */
    void tick() {
        for (Task task : tasks) {
            if (!task.isCancelled() && !shutdown) {
                task.command.run();
            }
        }
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
        Task task = new Task(command, unit.toNanos(initialDelay), unit.toNanos(delay), true);
        tasks.add(task);
        return task;
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
        Task task = new Task(command, unit.toNanos(initialDelay), unit.toNanos(period), false);
        tasks.add(task);
        return task;
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
        throw new UnsupportedOperationException("only periodic tasks");
    }

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
        throw new UnsupportedOperationException("only periodic tasks");
    }

    @Override
    public void execute(Runnable command) {
        throw new UnsupportedOperationException("only periodic tasks");
    }

    @Override
    public void shutdown() {
        shutdown = true;
    }

    @Override
    public List<Runnable> shutdownNow() {
        shutdown = true;
        return List.of();
    }

    @Override
    public boolean isShutdown() {
        return shutdown;
    }

    @Override
    public boolean isTerminated() {
        return shutdown;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
        return shutdown;
    }

    static final class Task implements ScheduledFuture<Object> {
        final Runnable command;
        final long initialDelayNanos;
        final long periodNanos;
        final boolean fixedDelay;
        private volatile boolean cancelled;

        Task(Runnable command, long initialDelayNanos, long periodNanos, boolean fixedDelay) {
            this.command = command;
            this.initialDelayNanos = initialDelayNanos;
            this.periodNanos = periodNanos;
            this.fixedDelay = fixedDelay;
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(periodNanos, TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed other) {
            return Long.compare(getDelay(TimeUnit.NANOSECONDS), other.getDelay(TimeUnit.NANOSECONDS));
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            cancelled = true;
            return true;
        }

        @Override
        public boolean isCancelled() {
            return cancelled;
        }

        @Override
        public boolean isDone() {
            return cancelled;
        }

        @Override
        public Object get() {
            throw new UnsupportedOperationException();
        }

        @Override
        public Object get(long timeout, TimeUnit unit) {
            throw new UnsupportedOperationException();
        }
    }
}
