package org.oauthidentity.benchmarks;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * A JMH profiler reporting {@code cpu.per.op}: CPU time the benchmark's JVM used per operation (every thread:
 * the callers, the loopback server in the same JVM, GC and JIT), in µs. Unlike throughput it hardly moves
 * when other processes take CPU away, so on a shared machine it is the steadier way to compare two paths:
 * where CPU is the bottleneck, throughput is inversely proportional to it.
 */
public final class CpuProfiler implements InternalProfiler {
    private static final OperatingSystemMXBean OS =
            (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private long cpuBefore;

    @Override
    public String getDescription() {
        return "process CPU time per operation";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        cpuBefore = OS.getProcessCpuTime();
    }

    @Override
    @SuppressWarnings("rawtypes") // JMH's signature
    public Collection<? extends Result> afterIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams,
            IterationResult result) {
        long cpu = OS.getProcessCpuTime() - cpuBefore;
        long ops = result.getMetadata().getAllOps();
        if (cpu < 0 || ops <= 0) {
            return List.of();
        }
        return List.of(new ScalarResult("cpu.per.op", cpu / 1000.0 / ops, "µs/op", AggregationPolicy.AVG));
    }
}
