package org.oauthidentity.support;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A fixed set of threads that a test releases together, as many times as it likes (one pool, many rounds).
 * {@link #run} returns when every thread is done and rethrows the first failure, so an assertion made on a
 * worker thread fails the test. Close it after the test.
 */
public final class Concurrently implements AutoCloseable {
    /** The work of one thread; {@code threadNumber} runs from 0 to threads - 1. */
    @FunctionalInterface
    public interface Task {
        void run(int threadNumber) throws Exception;
    }

    /** Like {@link Task}, with a result per thread. */
    @FunctionalInterface
    public interface Call<T> {
        T call(int threadNumber) throws Exception;
    }

    private final int threads;
    private final ExecutorService pool;

    private Concurrently(int threads) {
        this.threads = threads;
        this.pool = Executors.newFixedThreadPool(threads);
    }

    public static Concurrently threads(int threads) {
        return new Concurrently(threads);
    }

    public int threads() {
        return threads;
    }

    /** Starts every thread, waits until all are parked at the gate, then opens it. */
    public void run(Task task) throws Exception {
        call(n -> {
            task.run(n);
            return null;
        });
    }

    /** As {@link #run}, collecting each thread's result, in thread-number order. */
    public <T> List<T> call(Call<T> call) throws Exception {
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<T>> futures = new ArrayList<>(threads);
        for (int t = 0; t < threads; t++) {
            int n = t;
            futures.add(pool.submit(() -> {
                ready.countDown();
                go.await();
                return call.call(n);
            }));
        }
        if (!ready.await(30, TimeUnit.SECONDS)) {
            throw new TimeoutException("threads did not start");
        }
        go.countDown();
        List<T> results = new ArrayList<>(threads);
        for (Future<T> f : futures) {
            try {
                results.add(f.get(60, TimeUnit.SECONDS));
            } catch (ExecutionException e) {
                if (e.getCause() instanceof Exception) {
                    throw (Exception) e.getCause();
                }
                if (e.getCause() instanceof Error) {
                    throw (Error) e.getCause();
                }
                throw e;
            }
        }
        return results;
    }

    @Override
    public void close() throws InterruptedException {
        pool.shutdownNow();
        if (!pool.awaitTermination(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("worker threads did not stop");
        }
    }
}
