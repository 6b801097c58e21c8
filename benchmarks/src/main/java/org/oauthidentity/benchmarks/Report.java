package org.oauthidentity.benchmarks;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/** The results file: the machine, a table of measures against their targets, and the details behind them. */
final class Report {
    /** A line of the table. {@code ratio} is against plain OkHttp of the same run; {@code met} is yes, NO or —. */
    record Row(String measure, String figure, String target, String ratio, String met) {
    }

    private final List<Row> rows = new ArrayList<>();
    private final List<String> details = new ArrayList<>();
    private final String startedAt = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
    private final double loadBefore = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    private final String settings;

    Report(String settings) {
        this.settings = settings;
    }

    void row(String measure, String figure, String target, String ratio, String met) {
        rows.add(new Row(measure, figure, target, ratio, met));
    }

    void detail(String line) {
        details.add(line);
    }

    static String met(boolean met) {
        return met ? "yes" : "**NO**";
    }

    static String fmt(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    String markdown() {
        int cores = Runtime.getRuntime().availableProcessors();
        double loadAfter = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        StringBuilder md = new StringBuilder();
        md.append("# oauth-identity benchmarks: latest results\n\n");
        md.append("Produced by `benchmarks/run.sh` (`org.oauthidentity.benchmarks.RunAll`); see `benchmarks/README.md` "
                + "for what each line measures and how to read it.\n\n");
        md.append("| machine | |\n|---|---|\n");
        md.append("| date | ").append(startedAt).append(" |\n");
        md.append("| CPU | ").append(cpuModel()).append(", ").append(cores).append(" cores available to the JVM |\n");
        md.append("| load average (1 min) | ").append(fmt("%.2f before, %.2f after", loadBefore, loadAfter))
                .append(loadBefore > cores / 2.0 || loadAfter > cores / 2.0
                        ? " (**shared machine**: other work was running; figures are lower and noisier than on an idle one)"
                        : "")
                .append(" |\n");
        md.append("| OS | ").append(System.getProperty("os.name")).append(' ').append(System.getProperty("os.version"))
                .append(" (").append(System.getProperty("os.arch")).append(") |\n");
        md.append("| JVM | ").append(System.getProperty("java.vm.name")).append(' ')
                .append(System.getProperty("java.runtime.version")).append(" |\n");
        String commit = System.getProperty("bench.commit", "");
        if (!commit.isBlank()) {
            md.append("| commit | ").append(commit).append(" |\n");
        }
        String note = System.getProperty("bench.note", "");
        if (!note.isBlank()) {
            md.append("| note | ").append(note).append(" |\n");
        }
        md.append("| settings | ").append(settings).append(" |\n\n");

        md.append("| measure | figure | target | ratio vs plain OkHttp (same run) | meets target |\n");
        md.append("|---|---|---|---|---|\n");
        for (Row r : rows) {
            md.append("| ").append(r.measure()).append(" | ").append(r.figure()).append(" | ").append(r.target())
                    .append(" | ").append(r.ratio()).append(" | ").append(r.met()).append(" |\n");
        }
        md.append("\n## Details\n\n");
        for (String d : details) {
            md.append("- ").append(d).append('\n');
        }
        return md.toString();
    }

    void write(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, markdown(), StandardCharsets.UTF_8);
    }

    private static String cpuModel() {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (Files.isReadable(cpuinfo)) {
            try (Stream<String> lines = Files.lines(cpuinfo)) {
                String model = lines.filter(l -> l.startsWith("model name")).findFirst()
                        .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(null);
                if (model != null) {
                    return model;
                }
            } catch (IOException | RuntimeException e) {
                // fall through to the architecture alone
            }
        }
        return System.getProperty("os.arch");
    }
}
