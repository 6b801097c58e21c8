package org.oauthidentity.benchmarks;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.oauthidentity.Identity;
import org.oauthidentity.store.jdbc.JdbcIdentityStore;

/**
 * Benchmark 10: what one sweep claim costs as the table grows. One process, one embedded PostgreSQL per size
 * ({@link SweepDatabase}: every row due), one {@link JdbcIdentityStore} over a one-connection HikariCP pool; a
 * pass's worth of {@code claimUnverified(cutoff, now, 256)} calls through the store's public API, as a
 * {@code ValidationSweep} with a one-hour interval makes them (cutoff = pass start - 1 h), each timed. Reported
 * per size: the median page time over the first 20 pages, 20 pages around the middle of the pass and the last 20
 * (at 10,000 rows, 40 pages, the windows overlap), and {@code EXPLAIN (ANALYZE, BUFFERS)} of the claim statement
 * as the store executed it (its SQL and parameters captured by {@link CountingDataSource}, run again in a
 * transaction that is rolled back) after the first page and before the last window.
 *
 * <p>When claiming every page would take longer than the budget (measured on the first window), the pass is
 * sampled: rows in claim order up to the middle window, and then up to the last one, are marked verified by one
 * bulk {@code UPDATE} each (the same row updates the claims would have made, in one statement), and only the three
 * windows are claimed through the store. The result says which it was.
 */
final class ClaimCost {
    static final String KIND = "claim";
    static final int PAGE = 256;
    static final int WINDOW = 20;

    record Size(int rows, List<Double> pageMillis, int[] windowStarts, boolean sampled, long claimed,
            double claimSeconds, Duration fill, String planStart, String planEnd, String planCounts) {

        int pages() {
            return (rows + PAGE - 1) / PAGE;
        }

        /** Median page time in ms of window 0 (start), 1 (middle) or 2 (end). */
        double median(int window) {
            int from = windowStarts[window];
            double[] w = pageMillis.subList(from, Math.min(from + WINDOW, pageMillis.size())).stream()
                    .mapToDouble(Double::doubleValue).sorted().toArray();
            return w.length == 0 ? Double.NaN
                    : w.length % 2 == 1 ? w[w.length / 2] : (w[w.length / 2 - 1] + w[w.length / 2]) / 2;
        }
    }

    private ClaimCost() {
    }

    static List<Size> run(int[] sizes, Duration budgetPerSize) throws Exception {
        size(2_000, budgetPerSize); // warm-up, not reported: class loading, the JIT, the driver's caches
        List<Size> results = new ArrayList<>();
        for (int rows : sizes) {
            results.add(size(rows, budgetPerSize));
        }
        return results;
    }

    private static Size size(int rows, Duration budget) throws Exception {
        try (SweepDatabase db = SweepDatabase.start(20);
                HikariDataSource pool = ManyIdentitiesDatabase.pool(db.jdbcUrl(), 1)) {
            Duration fill = db.fill(KIND, rows);
            db.execute("CHECKPOINT");
            CountingDataSource counting = new CountingDataSource(pool);
            JdbcIdentityStore store = JdbcIdentityStore.builder(counting).build();
            Instant passStart = Instant.now();
            Instant cutoff = passStart.minus(Duration.ofHours(1));
            int pages = (rows + PAGE - 1) / PAGE;
            int middle = Math.max(0, pages / 2 - WINDOW / 2);
            int last = Math.max(0, pages - WINDOW);
            long deadline = System.nanoTime() + budget.toNanos();

            // pageMillis.get(i) is page i of the pass; pages skipped in a sampled pass hold NaN.
            List<Double> pageMillis = new ArrayList<>();
            long claimed = 0;
            long claimNanos = 0;
            boolean sampled = false;
            String planStart = null;
            String planEnd = null;
            while (true) {
                int page = pageMillis.size();
                if (page == last && page > 0 && planEnd == null) {
                    planEnd = explain(db, counting.lastExecuted());
                }
                long start = System.nanoTime();
                List<Identity> claimedNow = store.claimUnverified(cutoff, Instant.now(), PAGE);
                long took = System.nanoTime() - start;
                if (claimedNow.isEmpty()) {
                    break;
                }
                claimNanos += took;
                claimed += claimedNow.size();
                pageMillis.add(took / 1e6);
                if (planStart == null) {
                    planStart = explain(db, counting.lastExecuted());
                }
                int next = page + 1;
                if (next == WINDOW && next < last) {
                    // Decide once, from the first window, whether every page fits in the budget.
                    double perPage = claimNanos / (double) next;
                    sampled = System.nanoTime() + perPage * (pages - next) > deadline;
                }
                if (sampled && (next == WINDOW && next < middle || next == middle + WINDOW && next < last)) {
                    int to = next == WINDOW ? middle : last;
                    claimed += skip(db, cutoff, (long) (to - next) * PAGE);
                    for (int i = next; i < to; i++) {
                        pageMillis.add(Double.NaN);
                    }
                }
            }
            if (planEnd == null) {
                planEnd = "(the pass had fewer than " + (WINDOW + 1) + " pages)";
            }
            String planCounts = planCounts(pool);
            return new Size(rows, pageMillis, new int[] {0, middle, last}, sampled, claimed, claimNanos / 1e9, fill,
                    planStart, planEnd, planCounts);
        }
    }

    /** Marks the next {@code count} claimable rows, in claim order, verified now: what claiming them would have done. */
    private static long skip(SweepDatabase db, Instant cutoff, long count) throws SQLException {
        String sql = "UPDATE oauth_identity SET last_verified_at = ? WHERE id IN (SELECT id FROM oauth_identity"
                + " WHERE last_verified_at IS NULL OR last_verified_at < ?"
                + " ORDER BY last_verified_at NULLS FIRST, id LIMIT ?)";
        try (Connection c = db.admin().getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setTimestamp(1, Timestamp.from(Instant.now()));
            ps.setTimestamp(2, Timestamp.from(cutoff));
            ps.setLong(3, count);
            return ps.executeUpdate();
        }
    }

    /**
     * {@code EXPLAIN (ANALYZE, BUFFERS)} of {@code executed} with its parameters, each in a transaction rolled back:
     * as a first execution plans it (a custom plan, for these parameter values), then as a server-prepared
     * statement planned without them ({@code plan_cache_mode = force_generic_plan}), the plan the server may settle
     * on once the driver has prepared the statement.
     */
    static String explain(SweepDatabase db, CountingDataSource.Executed executed) throws SQLException {
        if (executed == null) {
            return "(no statement captured)";
        }
        StringBuilder plan = new StringBuilder("-- custom plan (first execution):\n");
        try (Connection c = db.admin().getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("EXPLAIN (ANALYZE, BUFFERS) " + executed.sql())) {
                executed.bind(ps);
                lines(ps, plan);
            } finally {
                c.rollback();
            }
            plan.append("\n-- generic plan (PREPARE, plan_cache_mode = force_generic_plan):\n");
            StringBuilder numbered = new StringBuilder();
            int n = 0;
            for (char ch : executed.sql().toCharArray()) {
                if (ch == '?') {
                    numbered.append('$').append(++n);
                } else {
                    numbered.append(ch);
                }
            }
            try (Statement s = c.createStatement()) {
                s.execute("SET LOCAL plan_cache_mode = force_generic_plan");
                s.execute("PREPARE bench_claim AS " + numbered);
                // EXECUTE takes no bind parameters: the captured values go in as literals.
                String[] literals = new String[n];
                for (Object[] call : executed.parameters()) {
                    Object[] args = (Object[]) call[1];
                    literals[(Integer) args[0] - 1] = literal(((java.lang.reflect.Method) call[0]).getName(), args[1]);
                }
                try (ResultSet rs = s.executeQuery("EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_claim("
                        + String.join(", ", literals) + ")")) {
                    while (rs.next()) {
                        plan.append(rs.getString(1)).append('\n');
                    }
                }
                s.execute("DEALLOCATE bench_claim");
            } finally {
                c.rollback();
            }
        }
        return plan.toString();
    }

    /**
     * From a plan {@link #explain} made: the shared buffers (hit + read) the custom plan's statement touched in all,
     * and those of the scan that picks the page (the first node under {@code CTE}), as "N (picking the page: M)".
     */
    static String buffers(String plan) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("Buffers: shared hit=(\\d+)(?: read=(\\d+))?")
                .matcher(plan == null ? "" : plan);
        long[] found = new long[2];
        int cte = plan == null ? -1 : plan.indexOf("CTE ");
        int n = 0;
        while (m.find() && n < 2) {
            if (n == 1 && (cte < 0 || m.start() < cte)) {
                continue;
            }
            found[n++] = Long.parseLong(m.group(1)) + (m.group(2) == null ? 0 : Long.parseLong(m.group(2)));
        }
        return n < 2 ? "?" : String.format(java.util.Locale.ROOT, "%,d (picking the page: %,d)", found[0], found[1]);
    }

    /** A bound value as an SQL literal (instants in ISO-8601 with their offset). */
    private static String literal(String setter, Object value) {
        if (setter.equals("setNull") || value == null) {
            return "NULL";
        }
        if (value instanceof Number) {
            return value.toString();
        }
        Object v = value instanceof Timestamp ? ((Timestamp) value).toInstant() : value;
        return "'" + v.toString().replace("'", "''") + "'";
    }

    private static void lines(PreparedStatement ps, StringBuilder out) throws SQLException {
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.append(rs.getString(1)).append('\n');
            }
        }
    }

    /**
     * How PostgreSQL planned the statement the store's connection ran most ({@code pg_prepared_statements}: the
     * driver prepares a statement on the server from its fifth execution; the server may then switch to a generic
     * plan, which the EXPLAIN above, a first execution, does not show).
     */
    private static String planCounts(HikariDataSource pool) {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT generic_plans, custom_plans FROM pg_prepared_statements"
                        + " ORDER BY generic_plans + custom_plans DESC LIMIT 1")) {
            return rs.next() ? rs.getLong(1) + " generic, " + rs.getLong(2) + " custom" : "not server-prepared";
        } catch (SQLException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    /**
     * Runs it alone: {@code java ... ClaimCost [--budget=SECONDS] [rows...]}, default 150 s per size and 10000
     * 1000000.
     */
    public static void main(String[] args) throws Exception {
        Duration budget = Duration.ofSeconds(150);
        List<Integer> sizes = new ArrayList<>();
        for (String arg : args) {
            if (arg.startsWith("--budget=")) {
                budget = Duration.ofSeconds(Long.parseLong(arg.substring("--budget=".length())));
            } else {
                sizes.add(Integer.parseInt(arg));
            }
        }
        if (sizes.isEmpty()) {
            sizes = List.of(10_000, 1_000_000);
        }
        for (Size s : run(sizes.stream().mapToInt(Integer::intValue).toArray(), budget)) {
            System.out.printf("%,d rows: start %.2f ms, middle %.2f ms, end %.2f ms per page; sampled %s, %,d pages "
                    + "timed, %,d rows claimed or marked; buffers %s after the first page, %s before the last %d%n",
                    s.rows(), s.median(0), s.median(1), s.median(2), s.sampled(),
                    s.pageMillis().stream().filter(x -> !x.isNaN()).count(), s.claimed(), buffers(s.planStart()),
                    buffers(s.planEnd()), WINDOW);
        }
    }
}
