package org.oauthidentity.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@link LoopbackServer} in a JVM of its own, so that what the benchmark's JVM spends per call (CPU,
 * allocation) is the client's alone. It shares the machine's cores with the benchmark, as a server on the
 * same host would. Ends with {@link #close()}, or by itself when this JVM goes away.
 */
final class LoopbackServerProcess implements AutoCloseable {
    private final Process process;
    private final int port;

    LoopbackServerProcess(int threads) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        process = new ProcessBuilder(List.of(java, "-Xms256m", "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                LoopbackServer.class.getName(), String.valueOf(threads)))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        if (line == null || !line.startsWith("PORT ")) {
            process.destroyForcibly();
            throw new IOException("the loopback server process did not start: " + line);
        }
        port = Integer.parseInt(line.substring("PORT ".length()).trim());
    }

    String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    @Override
    public void close() {
        try {
            process.getOutputStream().close();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (IOException e) {
            process.destroyForcibly();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
