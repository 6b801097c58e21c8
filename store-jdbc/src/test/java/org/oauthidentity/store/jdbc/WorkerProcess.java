package org.oauthidentity.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@link FleetWorker} in its own JVM, started with this JVM's classpath. Its stdout lines arrive on a queue;
 * its stderr (logs) goes to target/fleet-logs/. Waiting for a line is bounded, so a stuck worker fails the test
 * instead of hanging it.
 */
final class WorkerProcess implements AutoCloseable {
    private static final long LINE_TIMEOUT_SECONDS = 120;

    final String name;
    final Process process;
    private final Writer stdin;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Path log;

    private WorkerProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // the process died; the test notices the missing lines
            }
        }, name + "-stdout");
        reader.setDaemon(true);
        reader.start();
    }

    static WorkerProcess start(String name, String mode, TestDatabase db, String... args) {
        List<String> command = new ArrayList<>(List.of(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"),
                // Small, quick-starting JVMs: they run for seconds.
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k", "-Xmx192m",
                FleetWorker.class.getName(), mode, db.dialect.name(), db.url, db.user, db.password));
        command.addAll(List.of(args));
        try {
            Path logs = Files.createDirectories(Paths.get("target", "fleet-logs"));
            Path log = logs.resolve(name + ".log");
            Process process = new ProcessBuilder(command).redirectError(log.toFile()).start();
            return new WorkerProcess(name, process, log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void send(String line) {
        try {
            stdin.write(line + "\n");
            stdin.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(name + " is gone (see " + log + ")", e);
        }
    }

    /** The next line, which must start with {@code prefix}. */
    String expect(String prefix) throws InterruptedException {
        String line = lines.poll(LINE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertThat(line).as("%s answered (see %s)", name, log).isNotNull();
        assertThat(line).as("%s's answer", name).startsWith(prefix);
        return line;
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
