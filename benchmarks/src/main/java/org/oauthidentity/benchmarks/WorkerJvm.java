package org.oauthidentity.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A benchmark worker in a JVM of its own (this JVM's java and class path), spoken to line by line: commands on its
 * stdin, answers on its stdout, its stderr passed through. {@code EXIT} ends it; one that does not end within
 * 30 s is killed.
 */
final class WorkerJvm implements AutoCloseable {
    private final String name;
    private final Process process;
    private final BufferedReader out;
    private final Writer in;

    /**
     * @param jvmOptions options before the class path (heap, flight recording)
     * @param main the worker's main class
     * @param args its arguments
     */
    WorkerJvm(List<String> jvmOptions, Class<?> main, String... args) throws IOException {
        this.name = main.getSimpleName();
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    }

    long pid() {
        return process.pid();
    }

    void send(String line) throws IOException {
        in.write(line + "\n");
        in.flush();
    }

    /** The next answer, which must start with {@code prefix}; the JVM's own log lines on stdout are skipped. */
    String expect(String prefix) throws IOException {
        String line = out.readLine();
        while (line != null && line.startsWith("[") && line.contains("][")) {
            line = out.readLine(); // e.g. a flight recording starting
        }
        if (line == null || !line.startsWith(prefix)) {
            throw new IOException("a " + name + " answered " + line + " instead of " + prefix);
        }
        return line;
    }

    @Override
    public void close() {
        try {
            send("EXIT");
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (IOException | InterruptedException e) {
            process.destroyForcibly();
        }
    }
}
