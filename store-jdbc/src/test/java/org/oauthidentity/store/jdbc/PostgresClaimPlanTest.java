package org.oauthidentity.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.oauthidentity.Identity;
import org.oauthidentity.VerificationStatus;

/**
 * The sweep's claim on a PostgreSQL table of many rows: the planner reaches the rows through
 * {@code oauth_identity_last_verified_idx} alone (no sequential scan, no sort), and a page costs about as many
 * buffers on a large table as on a small one, and at the end of a pass as at its start. Buffers, not time: they
 * do not depend on the machine. Plans and figures go to the test's output (target/surefire-reports).
 */
class PostgresClaimPlanTest extends StoreTestSupport {
    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    private static final Instant CUTOFF = NOW.minus(Duration.ofHours(1));
    private static final int PAGE = 256;
    private static final Pattern BUFFERS = Pattern.compile("Buffers: shared(?: hit=(\\d+))?(?: read=(\\d+))?");

    @Override
    TestDatabase newDatabase() {
        return TestDatabase.postgres();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void everyClaimStatementScansARangeOfTheLastVerifiedIndexUnderItsLockAndLimit() throws Exception {
        fill(200_000);
        Claims claims = store.claims();
        List<String> plans = List.of(
                explain("EXPLAIN (COSTS OFF) ", claims.neverVerifiedSql(), "", PAGE, NOW, CUTOFF),
                explain("EXPLAIN (COSTS OFF) ", claims.verifiedSql(), CUTOFF, PAGE, NOW, CUTOFF),
                explain("EXPLAIN (COSTS OFF) ", claims.verifiedAfterSql(),
                        CUTOFF, CUTOFF.minus(Duration.ofDays(4)), "id-0100000", PAGE, NOW, CUTOFF),
                // The plans a server-side prepared statement may settle on after a few executions.
                explainGeneric(claims.neverVerifiedSql(), "''", PAGE, literal(NOW), literal(CUTOFF)),
                explainGeneric(claims.verifiedSql(), literal(CUTOFF), PAGE, literal(NOW), literal(CUTOFF)),
                explainGeneric(claims.verifiedAfterSql(), literal(CUTOFF), literal(CUTOFF.minus(Duration.ofDays(4))),
                        "'id-0100000'", PAGE, literal(NOW), literal(CUTOFF)));

        for (String plan : plans) {
            System.out.println(plan);
            assertThat(plan).doesNotContain("Seq Scan").doesNotContain("Sort");
            List<String> lines = plan.lines().map(String::strip).toList();
            int limit = indexOf(lines, "->  Limit");
            int lockRows = indexOf(lines, "->  LockRows");
            int scan = indexOf(lines, "->  Index Scan using oauth_identity_last_verified_idx on oauth_identity");
            assertThat(limit).as(plan).isGreaterThan(indexOf(lines, "CTE page"));
            assertThat(lockRows).as(plan).isEqualTo(limit + 1);
            assertThat(scan).as(plan).isEqualTo(lockRows + 1);
            assertThat(lines.get(scan + 1)).as("a range of the index, not a filter over all of it")
                    .startsWith("Index Cond: ").contains("last_verified_at");
            int tids = indexOf(lines, "->  Tid Scan on oauth_identity");
            assertThat(lines.get(tids + 1)).as("the update finds the locked rows by their ctids")
                    .startsWith("TID Cond: (ctid = ANY ");
            assertThat(lines.stream().filter(line -> line.contains(" on oauth_identity")))
                    .as("nothing else reads the table").containsExactlyInAnyOrder("Update on oauth_identity",
                            lines.get(scan), lines.get(tids));
        }
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aPageTouchesAboutAsManyBuffersOnTenTimesTheRowsAndLateInAPassAsAtItsStart() throws Exception {
        fill(20_000);
        long small = firstPageBuffers();
        fill(200_000);
        long large = firstPageBuffers();
        System.out.printf("first page of %d: %d buffers at 20,000 rows, %d at 200,000 rows%n", PAGE, small, large);
        assertThat(large).as("buffers of a page at 200,000 rows vs at 20,000").isLessThanOrEqualTo(2 * small);

        // Most of the pass claimed, as a pass does it: each claim leaves a dead index entry at the front.
        int claimed = 0;
        while (claimed < 150_000) {
            List<Identity> page = store.claimUnverified(CUTOFF, NOW, 4096);
            assertThat(page).isNotEmpty();
            claimed += page.size();
        }
        Claims.Key resume = store.claims().resumesAfter(CUTOFF).orElseThrow();
        long late = buffers(explain("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) ",
                store.claims().verifiedAfterSql(),
                CUTOFF, resume.lastVerifiedAt(), resume.id(), PAGE, NOW, CUTOFF));
        long fromTheHead = buffers(explain("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) ",
                store.claims().verifiedSql(), CUTOFF, PAGE, NOW, CUTOFF));
        System.out.printf("after %d of the pass claimed: the next page touches %d buffers; the same page scanned"
                + " from the head of the index (as every page did before the cursor) %d%n", claimed, late, fromTheHead);
        assertThat(late).as("buffers of a page late in the pass vs the first").isLessThanOrEqualTo(2 * large);

        // The rest of the pass, then the empty page that ends it: the one scan from the head, once per pass.
        while (!store.claimUnverified(CUTOFF, NOW, 4096).isEmpty()) {
            claimed++;
        }
        long end = buffers(explain("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) ",
                store.claims().verifiedSql(), CUTOFF, PAGE, NOW, CUTOFF));
        System.out.printf("the empty page's scan from the head after the whole pass: %d buffers%n", end);
        assertThat(db.queryValue("SELECT COUNT(*) FROM oauth_identity WHERE last_verified_at = ?", Rows.timestamp(NOW)))
                .isEqualTo(180_000L);
    }

    /**
     * Each page resumes after the last row the store claimed: a row passed over (locked by another writer at that
     * moment) is not read again page after page, but claimed by the scan from the head that comes before the
     * pass's empty page.
     */
    @Test
    void aClaimResumesAfterItsLastRowAndClaimsWhatItPassedOverBeforeItsEmptyPage() throws Exception {
        for (String id : List.of("a", "b", "c", "d", "e")) {
            store.create(identity(id));
        }
        store.create(identity("old"));
        store.recordVerification("old", VerificationStatus.VALID, CUTOFF.minusSeconds(1));

        assertThat(ids(store.claimUnverified(CUTOFF, NOW, 2))).containsExactly("a", "b");
        try (Connection refresh = DriverManager.getConnection(db.url, db.user, db.password)) {
            // Another writer holds c (a refresh saving it): this page skips it.
            refresh.setAutoCommit(false);
            try (Statement s = refresh.createStatement()) {
                s.execute("SELECT id FROM oauth_identity WHERE id = 'c' FOR UPDATE");
            }
            assertThat(ids(store.claimUnverified(CUTOFF, NOW, 1))).containsExactly("d");
            refresh.commit();
        }
        // Linked again during the pass, behind where the claims are.
        store.delete("a");
        store.create(identity("a"));

        assertThat(ids(store.claimUnverified(CUTOFF, NOW, 2))).as("resumed after d").containsExactly("e", "old");
        assertThat(ids(store.claimUnverified(CUTOFF, NOW, 10))).as("from the head before an empty page")
                .containsExactly("a", "c");
        assertThat(store.claimUnverified(CUTOFF, NOW, 10)).isEmpty();
    }

    private static List<String> ids(List<Identity> page) {
        return page.stream().map(Identity::id).sorted().toList();
    }

    /** The first page of a pass: never-verified rows from the head. */
    private long firstPageBuffers() throws SQLException {
        String plan = explain("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) ", store.claims().neverVerifiedSql(),
                "", PAGE, NOW, CUTOFF);
        System.out.println(plan);
        assertThat(plan).contains("(actual rows=" + PAGE + " loops=1)");
        return buffers(plan);
    }

    /**
     * {@code rows} identities: a fifth never verified, a tenth verified within the interval (not due), the rest
     * verified days before the cutoff (due). One statement, then fresh statistics.
     */
    private void fill(int rows) throws SQLException {
        try (Connection c = DriverManager.getConnection(db.url, db.user, db.password);
                Statement s = c.createStatement()) {
            s.execute("DELETE FROM oauth_identity");
            // Deterministic figures: no autovacuum cleaning up the pass's dead index entries half-way.
            s.execute("ALTER TABLE oauth_identity SET (autovacuum_enabled = false)");
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO oauth_identity (id, provider_key,"
                    + " external_user_id, access_token, refresh_token, token_type, expires_at, scopes, extras,"
                    + " last_verified_at, status, version, incarnation, created_at, updated_at)"
                    + " SELECT 'id-' || lpad(g::text, 7, '0'), 'gitlab', 'ext-' || g, 'at-' || md5(g::text),"
                    + " 'rt-' || md5(g::text), 'Bearer', ?, '[\"read_api\"]', '{}',"
                    + " CASE WHEN g % 10 IN (3, 7) THEN NULL"
                    + " WHEN g % 10 = 0 THEN ? - (g % 977) * interval '1 second'"
                    + " ELSE ? - (g % 7919) * interval '1 second' END,"
                    + " 'VALID', 1, g, ?, ? FROM generate_series(1, ?) AS g")) {
                insert.setObject(1, Rows.timestamp(NOW));
                insert.setObject(2, Rows.timestamp(NOW.minus(Duration.ofMinutes(20))));
                insert.setObject(3, Rows.timestamp(CUTOFF.minus(Duration.ofDays(3))));
                insert.setObject(4, Rows.timestamp(NOW));
                insert.setObject(5, Rows.timestamp(NOW));
                insert.setInt(6, rows);
                insert.executeUpdate();
            }
            s.execute("VACUUM ANALYZE oauth_identity");
        }
        store = newStore().build();
    }

    /** The plan of one claim statement with these parameters; the claim itself, if run, is rolled back. */
    private String explain(String explain, String sql, Object... parameters) throws SQLException {
        try (Connection c = DriverManager.getConnection(db.url, db.user, db.password)) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(explain + sql)) {
                for (int i = 0; i < parameters.length; i++) {
                    if (parameters[i] instanceof Instant at) {
                        Rows.setTimestamp(ps, i + 1, at);
                    } else {
                        ps.setObject(i + 1, parameters[i]);
                    }
                }
                StringBuilder plan = new StringBuilder();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        plan.append(rs.getString(1)).append('\n');
                    }
                }
                return plan.toString();
            } finally {
                c.rollback();
            }
        }
    }

    /** The generic plan of one claim statement (parameters as placeholders), which the server may cache. */
    private String explainGeneric(String sql, Object... literals) throws SQLException {
        StringBuilder numbered = new StringBuilder();
        int n = 0;
        for (char ch : sql.toCharArray()) {
            numbered.append(ch == '?' ? "$" + ++n : String.valueOf(ch));
        }
        StringBuilder arguments = new StringBuilder();
        for (Object literal : literals) {
            arguments.append(arguments.length() == 0 ? "" : ", ").append(literal);
        }
        try (Connection c = DriverManager.getConnection(db.url, db.user, db.password);
                Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.execute("SET LOCAL plan_cache_mode = force_generic_plan");
            s.execute("PREPARE claim AS " + numbered);
            StringBuilder plan = new StringBuilder();
            try (ResultSet rs = s.executeQuery("EXPLAIN (COSTS OFF) EXECUTE claim(" + arguments + ")")) {
                while (rs.next()) {
                    plan.append(rs.getString(1)).append('\n');
                }
            }
            assertThat(plan).as("a generic plan").contains("$1");
            c.rollback();
            return plan.toString();
        }
    }

    private static String literal(Instant at) {
        return "'" + Rows.timestamp(at) + "'::timestamptz";
    }

    /** Shared buffers hit or read by the whole statement: the first Buffers line, the top node's. */
    private static long buffers(String plan) {
        Matcher m = BUFFERS.matcher(plan);
        assertThat(m.find()).as(plan).isTrue();
        return (m.group(1) == null ? 0 : Long.parseLong(m.group(1))) + (m.group(2) == null ? 0 : Long.parseLong(m.group(2)));
    }

    private static int indexOf(List<String> lines, String prefix) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return -1;
    }
}
