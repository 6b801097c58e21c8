package org.oauthidentity.benchmarks;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * CPU time of processes and of the whole machine from {@code /proc} (Linux), in clock ticks of 10 ms (the
 * {@code USER_HZ} of every Linux the benchmarks run on). A benchmark reads it before and after a phase and
 * shares the difference out over its processes, to say where the machine's cores went. Elsewhere every reading is
 * -1 and the benchmark says it could not tell.
 */
final class ProcCpu {
    static final double TICK_SECONDS = 0.01;

    private ProcCpu() {
    }

    /** User plus system time of process {@code pid} (all its threads), or -1 if it is gone or unreadable. */
    static long ticks(long pid) {
        String[] f = stat(pid);
        return f == null ? -1 : Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    /** Ticks of several processes, a missing one counted as 0. */
    static long ticks(List<Long> pids) {
        long sum = 0;
        for (long pid : pids) {
            sum += Math.max(0, ticks(pid));
        }
        return sum;
    }

    /** {@code pid} and its children (not their children): a PostgreSQL postmaster and its backends. */
    static List<Long> withChildren(long pid) {
        List<Long> pids = new ArrayList<>();
        pids.add(pid);
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path dir : dirs) {
                long child = Long.parseLong(dir.getFileName().toString());
                String[] f = stat(child);
                if (f != null && Long.parseLong(f[1]) == pid) {
                    pids.add(child);
                }
            }
        } catch (IOException | RuntimeException e) {
            // what was found so far
        }
        return pids;
    }

    /**
     * Context switches of process {@code pid} so far, voluntary and not, summed over its live threads (a thread that
     * has ended takes its count with it), or 0 if unreadable.
     */
    static long contextSwitches(long pid) {
        long sum = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", String.valueOf(pid), "task"))) {
            for (Path task : tasks) {
                try {
                    for (String line : Files.readAllLines(task.resolve("status"))) {
                        if (line.startsWith("voluntary_ctxt_switches:") || line.startsWith("nonvoluntary_ctxt_switches:")) {
                            sum += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException | RuntimeException e) {
            return sum;
        }
        return sum;
    }

    static long contextSwitches(List<Long> pids) {
        long sum = 0;
        for (long pid : pids) {
            sum += contextSwitches(pid);
        }
        return sum;
    }

    /** The whole machine: {busy, total} ticks summed over every CPU, or null. */
    static long[] machine() {
        try {
            String[] cpu = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < cpu.length && i <= 8; i++) {
                total += Long.parseLong(cpu[i]);
            }
            long idle = Long.parseLong(cpu[4]) + Long.parseLong(cpu[5]);
            return new long[] {total - idle, total};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The fields of {@code /proc/<pid>/stat} after the command name: [0] state, [1] ppid, ... [11] utime, [12] stime. */
    private static String[] stat(long pid) {
        try {
            String s = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            return s.substring(s.lastIndexOf(')') + 2).split(" ");
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
