package org.oauthidentity.store.jdbc;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.oauthidentity.Identity;

/**
 * The sweep claims of {@link JdbcIdentityStore#claimUnverified}: a page of due rows (never verified, or last
 * verified before the cutoff) stamped {@code last_verified_at = now} in one statement, in the order of the index
 * {@code oauth_identity_last_verified_idx (last_verified_at NULLS FIRST, id)}. Thread-safe.
 *
 * <p><b>PostgreSQL.</b> Each statement reads one range of that index (an Index Cond, no filter over the rest of
 * the table, no sort), locks the rows {@code FOR UPDATE SKIP LOCKED} so instances claiming at once take disjoint
 * rows, and stamps them through their {@code ctid}s (a TID scan; a join by id may hash the whole table). Two
 * ranges, because the index cannot bound "NULL or before the cutoff" in one: the never-verified rows, then the
 * rows verified before the cutoff.
 *
 * <p>Why a cursor: a claim's update leaves the row's old index entry behind, dead, until a vacuum. Had every page
 * started at the head of the index, page k of a pass would step over the k - 1 pages of entries the pass itself
 * left dead there (and visit the heap for each one the first time): a pass would cost the square of its size.
 * So the store remembers, per cutoff (one per pass), the index key of the last row it claimed, and the next call
 * resumes after it: a page costs about the same at the end of a pass as at its start, whatever the table's size.
 * Rows the cursor has passed over (locked by another writer at the time, or linked since) are not lost: a call
 * whose resumed scan finds nothing scans once more from the head before it answers an empty page, so an empty
 * page still means that nothing due was left unlocked. That last scan steps over the whole pass's dead entries,
 * once per pass and instance.
 *
 * <p><b>H2</b> (one instance): one statement that picks the page by id and re-checks the claim condition. A
 * caller that raced another for the same rows may come back with a short page, and with an empty one only after
 * a few attempts while claimable rows remain.
 */
final class Claims {
    private static final String TABLE = JdbcIdentityStore.TABLE;
    private static final String CLAIMABLE = "(last_verified_at IS NULL OR last_verified_at < ?)";
    private static final String ORDER = " ORDER BY last_verified_at NULLS FIRST, id";
    private static final Comparator<Key> KEY_ORDER = Comparator
            .comparing(Key::lastVerifiedAt, Comparator.nullsFirst(Comparator.<Instant>naturalOrder()))
            .thenComparing(Key::id);

    private final Transactions transactions;
    private final Rows rows;
    private final Dialect dialect;
    /** PostgreSQL: never-verified rows after an id; every parameter is bound by {@link #neverVerified}. */
    private final String neverVerifiedSql;
    /** PostgreSQL: rows verified before the cutoff, from the first. */
    private final String verifiedSql;
    /** PostgreSQL: rows verified before the cutoff, after an index key. */
    private final String verifiedAfterSql;
    /** H2: the whole page in one statement. */
    private final String h2Sql;
    private final String claimableSql;
    /** Where this store's last claim ended; null before the first, and after a pass's empty page. */
    private final AtomicReference<Cursor> cursor = new AtomicReference<>();

    Claims(Transactions transactions, Rows rows, Dialect dialect) {
        this.transactions = transactions;
        this.rows = rows;
        this.dialect = dialect;
        neverVerifiedSql = postgresClaim("last_verified_at IS NULL AND id > ?");
        verifiedSql = postgresClaim("last_verified_at < ?");
        verifiedAfterSql = postgresClaim("last_verified_at < ? AND (last_verified_at, id) > (?, ?)");
        // Not "UPDATE ... WHERE <claimable> FETCH FIRST n": H2 2.4 then trusts the index entry it scanned
        // and hands a just-claimed row out twice (the concurrency tests catch that).
        h2Sql = dialect.returning("UPDATE " + TABLE + " SET last_verified_at = ? WHERE id IN (SELECT id FROM "
                + TABLE + " WHERE " + CLAIMABLE + ORDER + " FETCH FIRST ? ROWS ONLY) AND " + CLAIMABLE, Rows.COLUMNS);
        claimableSql = "SELECT 1 FROM " + TABLE + " WHERE " + CLAIMABLE + " FETCH FIRST 1 ROW ONLY";
    }

    /**
     * Materialized, so the page is chosen once: as a plain "id IN (subquery)" the planner may run the LIMIT
     * subquery again and claim more than the page. The update reaches the rows by the page's ctids, as one array:
     * joined to the page by id alone, a generic plan (which does not know the LIMIT) may hash the whole table.
     * A row is held by its lock from the scan to the update, so its ctid cannot move in between; the id and the
     * claim condition are checked again all the same. The join to the page only carries each row's old
     * {@code last_verified_at} out, for the cursor.
     */
    private String postgresClaim(String range) {
        return "WITH page AS MATERIALIZED (SELECT ctid AS claimed_ctid, id AS claimed_id,"
                + " last_verified_at AS claimed_from FROM " + TABLE + " WHERE " + range + ORDER
                + " LIMIT ? FOR UPDATE SKIP LOCKED) "
                + dialect.returning("UPDATE " + TABLE + " SET last_verified_at = ? FROM page"
                        + " WHERE ctid = ANY (ARRAY(SELECT claimed_ctid FROM page)) AND ctid = page.claimed_ctid"
                        + " AND id = page.claimed_id AND " + CLAIMABLE, Rows.COLUMNS + ", page.claimed_from");
    }

    /** PostgreSQL, for tests that read plans: never-verified rows after an id (id, limit, now, cutoff). */
    String neverVerifiedSql() {
        return neverVerifiedSql;
    }

    /** PostgreSQL, for tests that read plans: rows verified before the cutoff (cutoff, limit, now, cutoff). */
    String verifiedSql() {
        return verifiedSql;
    }

    /**
     * PostgreSQL, for tests that read plans: rows verified before the cutoff after an index key (cutoff, key's
     * last verified at, key's id, limit, now, cutoff).
     */
    String verifiedAfterSql() {
        return verifiedAfterSql;
    }

    /** Where the next claim with this cutoff resumes its index scan; empty when it starts from the head. */
    Optional<Key> resumesAfter(Instant cutoff) {
        Cursor resumed = cursor.get();
        return resumed != null && resumed.cutoff().equals(cutoff) ? Optional.of(resumed.last()) : Optional.empty();
    }

    List<Identity> claim(Instant cutoff, Instant now, int limit) {
        Objects.requireNonNull(cutoff, "cutoff");
        Objects.requireNonNull(now, "now");
        if (limit <= 0) {
            return List.of();
        }
        return dialect == Dialect.POSTGRESQL ? claimOnPostgres(cutoff, now, limit) : claimOnH2(cutoff, now, limit);
    }

    private List<Identity> claimOnPostgres(Instant cutoff, Instant now, int limit) {
        Key after = resumesAfter(cutoff).orElse(null);
        Page page = claimAfter(after, cutoff, now, limit);
        if (page.claimed.isEmpty() && after != null) {
            page = claimAfter(null, cutoff, now, limit);
        }
        // Several threads of one instance may move it at once; whatever it says, the head scan catches up.
        cursor.set(page.last == null ? null : new Cursor(cutoff, page.last));
        return page.claimed;
    }

    /** Up to {@code limit} due rows after {@code after} (from the head if null): never-verified ones, then the rest. */
    private Page claimAfter(Key after, Instant cutoff, Instant now, int limit) {
        Page page = new Page();
        if (after == null || after.lastVerifiedAt() == null) {
            page.add(neverVerified(after == null ? "" : after.id(), cutoff, now, limit));
            if (page.claimed.size() >= limit) {
                return page;
            }
            after = null;
        }
        page.add(verified(after, cutoff, now, limit - page.claimed.size()));
        return page;
    }

    private Page neverVerified(String afterId, Instant cutoff, Instant now, int limit) {
        return run(neverVerifiedSql, ps -> {
            ps.setString(1, afterId);
            ps.setInt(2, limit);
            Rows.setTimestamp(ps, 3, now);
            Rows.setTimestamp(ps, 4, cutoff);
        });
    }

    private Page verified(Key after, Instant cutoff, Instant now, int limit) {
        if (after == null) {
            return run(verifiedSql, ps -> {
                Rows.setTimestamp(ps, 1, cutoff);
                ps.setInt(2, limit);
                Rows.setTimestamp(ps, 3, now);
                Rows.setTimestamp(ps, 4, cutoff);
            });
        }
        return run(verifiedAfterSql, ps -> {
            Rows.setTimestamp(ps, 1, cutoff);
            Rows.setTimestamp(ps, 2, after.lastVerifiedAt());
            ps.setString(3, after.id());
            ps.setInt(4, limit);
            Rows.setTimestamp(ps, 5, now);
            Rows.setTimestamp(ps, 6, cutoff);
        });
    }

    private Page run(String sql, Binder binder) {
        return transactions.run("could not claim unverified identities", List.of(), c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                binder.bind(ps);
                Page page = new Page();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        Identity claimed = rows.read(rs);
                        page.claimed(claimed, new Key(Rows.instant(rs, "claimed_from"), claimed.id()));
                    }
                }
                return page;
            }
        });
    }

    private List<Identity> claimOnH2(Instant cutoff, Instant now, int limit) {
        for (int attempt = 1; ; attempt++) {
            List<Identity> claimed = transactions.run("could not claim unverified identities", List.of(), c -> {
                try (PreparedStatement ps = c.prepareStatement(h2Sql)) {
                    Rows.setTimestamp(ps, 1, now);
                    Rows.setTimestamp(ps, 2, cutoff);
                    ps.setInt(3, limit);
                    Rows.setTimestamp(ps, 4, cutoff);
                    List<Identity> page = new ArrayList<>();
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            page.add(rows.read(rs));
                        }
                    }
                    return page;
                }
            });
            if (!claimed.isEmpty() || attempt >= 3 || !claimableLeft(cutoff)) {
                return claimed;
            }
        }
    }

    private boolean claimableLeft(Instant cutoff) {
        return transactions.run("could not count unverified identities", List.of(), c -> {
            try (PreparedStatement ps = c.prepareStatement(claimableSql)) {
                Rows.setTimestamp(ps, 1, cutoff);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next();
                }
            }
        });
    }

    @FunctionalInterface
    private interface Binder {
        void bind(PreparedStatement ps) throws SQLException;
    }

    /** An entry of the claim index: {@code lastVerifiedAt} null for a never-verified row. */
    record Key(Instant lastVerifiedAt, String id) {
    }

    /** Where a pass with this cutoff stopped claiming. */
    private record Cursor(Instant cutoff, Key last) {
    }

    /** Rows claimed, and the greatest index key they had before the claim. */
    private static final class Page {
        final List<Identity> claimed = new ArrayList<>();
        Key last;

        /**
         * Java's string order may differ from the database's collation; the greatest key by Java's is still one of
         * the page's rows, so the next page at worst reads a few of this page's entries again, never skips one.
         */
        void claimed(Identity identity, Key key) {
            claimed.add(identity);
            if (last == null || KEY_ORDER.compare(key, last) > 0) {
                last = key;
            }
        }

        void add(Page more) {
            claimed.addAll(more.claimed);
            if (more.last != null) {
                last = more.last;
            }
        }
    }
}
