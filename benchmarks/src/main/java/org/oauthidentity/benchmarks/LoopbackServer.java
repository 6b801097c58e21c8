package org.oauthidentity.benchmarks;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The API both sides of a comparison call: a JDK HTTP server on loopback answering every request with the
 * same small JSON body. Unlike mockwebserver3 it records nothing, so a long benchmark does not grow the heap.
 */
final class LoopbackServer implements AutoCloseable {
    private static final byte[] BODY = "{\"id\":42,\"username\":\"bench\"}".getBytes(StandardCharsets.UTF_8);

    private final HttpServer server;
    private final ExecutorService executor;
    final AtomicLong requests = new AtomicLong();
    final AtomicLong unauthorized = new AtomicLong();

    LoopbackServer(int threads) throws IOException {
        server = HttpServers.create(1024);
        executor = Executors.newFixedThreadPool(threads);
        server.setExecutor(executor);
        server.createContext("/", exchange -> {
            requests.incrementAndGet();
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, BODY.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(BODY);
            }
        });
        server.start();
    }

    String url(String path) {
        return HttpServers.url(server, path);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    /**
     * Serves in a process of its own (see {@link LoopbackServerProcess}): prints {@code PORT <n>} once
     * listening, and exits when its standard input ends, that is when the process that started it is gone.
     */
    public static void main(String[] args) throws IOException {
        LoopbackServer server = new LoopbackServer(args.length > 0 ? Integer.parseInt(args[0]) : 8);
        System.out.println("PORT " + server.server.getAddress().getPort());
        System.out.flush();
        while (System.in.read() != -1) {
            // nothing to read: waiting for the end of the stream
        }
        server.close();
        System.exit(0);
    }
}
