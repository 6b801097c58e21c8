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
    /** Longer texts (query plans, process tables) printed verbatim after the details, each under its title. */
    private final List<String[]> appendices = new ArrayList<>();
    private final String startedAt = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
    private final double loadBefore = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    private final long[] cpuBefore = CpuTicks.read();
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

    void appendix(String title, String text) {
        appendices.add(new String[] {title, text});
    }

    static String met(boolean met) {
        return met ? "yes" : "**NO**";
    }

    static String fmt(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    String markdown() {
        int cores = Runtime.getRuntime().availableProcessors();
        StringBuilder md = new StringBuilder();
        md.append("# oauth-identity benchmarks: latest results\n\n");
        md.append("Produced by `benchmarks/run.sh` (`org.oauthidentity.benchmarks.RunAll`); see `benchmarks/README.md` "
                + "for what each line measures and how to read it.\n\n");
        md.append("| machine | |\n|---|---|\n");
        md.append("| date | ").append(startedAt).append(" |\n");
        md.append("| CPU | ").append(cpuModel()).append(", ").append(cores).append(" cores available to the JVM |\n");
        md.append("| other work on the machine | ").append(otherWork(cores)).append(" |\n");
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
        for (String[] a : appendices) {
            md.append("\n### ").append(a[0]).append("\n\n```\n").append(a[1].stripTrailing()).append("\n```\n");
        }
        return md.toString();
    }

    void write(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, markdown(), StandardCharsets.UTF_8);
    }

    /**
     * How busy the machine was with work other than this run: CPU time of the whole machine minus that of
     * this JVM and its JMH forks, over the run (Linux). Elsewhere, the load average before the run.
     */
    private String otherWork(int cores) {
        long[] now = CpuTicks.read();
        if (cpuBefore == null || now == null) {
            return fmt("load average %.2f before the run (%d cores)", loadBefore, cores);
        }
        long wall = now[0] - cpuBefore[0];
        long machineBusy = now[1] - cpuBefore[1];
        long ours = now[2] - cpuBefore[2];
        double others = wall <= 0 ? 0 : Math.max(0, machineBusy - ours) / (double) wall;
        String verdict = others > 0.25
                ? " (**shared machine**: figures are lower and noisier than on an idle one)"
                : " (about idle otherwise)";
        return fmt("other processes used %.2f of %d cores on average during the run%s", others, cores, verdict);
    }

    /** Clock ticks from /proc: elapsed (summed over CPUs, divided back to one CPU), machine busy, this process tree. */
    private static final class CpuTicks {
        static long[] read() {
            try {
                List<String> stat = Files.readAllLines(Path.of("/proc/stat"));
                String[] cpu = stat.get(0).trim().split("\\s+");
                long total = 0;
                for (int i = 1; i < cpu.length && i <= 8; i++) {
                    total += Long.parseLong(cpu[i]);
                }
                long idle = Long.parseLong(cpu[4]) + Long.parseLong(cpu[5]);
                long cpus = Math.max(1, stat.stream().filter(l -> l.matches("cpu\\d+ .*")).count());
                String self = Files.readString(Path.of("/proc/self/stat"));
                String[] f = self.substring(self.lastIndexOf(')') + 2).split(" ");
                // utime, stime, and cutime, cstime: the JMH forks once they have ended
                long ours = Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
                return new long[] {total / cpus, total - idle, ours};
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }
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
