package org.oauthidentity.benchmarks;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.sql.DataSource;
import org.oauthidentity.Identity;
import org.oauthidentity.store.jdbc.JdbcIdentityStore;

/**
 * The database of the fleet-scale sweep benchmarks (9 to 11): an embedded PostgreSQL (no fsync: durability is not
 * measured) whose schema comes from {@code JdbcIdentityStore.builder(ds).migrateSchema()}, filled by one
 * {@code INSERT ... SELECT generate_series} per batch of identities: a template row written through the store (so
 * every column is in the store's own format, as {@link ManyIdentitiesDatabase} does), copied with each identity's
 * own id, external user, tokens, incarnation and {@code last_verified_at}. One million rows take seconds.
 *
 * <p>Identity {@code n} (1 to count) of a batch of kind {@code k}: id {@code md5(k-n)} as a UUID (random order, as
 * a linking flow makes them), external user {@code user-k-n}, a 64-hex-character access token, refresh token
 * {@code k-} + n on 8 digits + {@code -} + 32 hex characters (the number lets {@link TokenEndpoint#track} count
 * requests per identity), status UNVERIFIED (the template's), and {@code last_verified_at} two hours ago plus n
 * microseconds: every row is due for a pass whose interval is one hour, as after the previous hourly pass.
 */
final class SweepDatabase implements AutoCloseable {
    private final EmbeddedPostgres postgres;
    private final String jdbcUrl;

    private SweepDatabase(EmbeddedPostgres postgres) {
        this.postgres = postgres;
        this.jdbcUrl = postgres.getJdbcUrl("postgres", "postgres");
    }

    /** Starts the server (room for {@code maxConnections}) and creates the schema through the store. */
    static SweepDatabase start(int maxConnections) throws IOException, SQLException {
        return start(maxConnections, false);
    }

    /**
     * As {@link #start(int)}; with {@code statementStatistics}, also loads {@code pg_stat_statements} (time the
     * server spent per statement: {@link #resetStatementStatistics()}, {@link #statementStatistics(int)}).
     */
    static SweepDatabase start(int maxConnections, boolean statementStatistics) throws IOException, SQLException {
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setServerConfig("fsync", "off")
                .setServerConfig("synchronous_commit", "off")
                .setServerConfig("full_page_writes", "off")
                .setServerConfig("max_connections", String.valueOf(maxConnections));
        if (statementStatistics) {
            builder.setServerConfig("shared_preload_libraries", "pg_stat_statements");
        }
        SweepDatabase db = new SweepDatabase(builder.start());
        try {
            JdbcIdentityStore.builder(db.admin()).migrateSchema().build();
            if (statementStatistics) {
                db.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            }
        } catch (SQLException | RuntimeException e) {
            db.close();
            throw e;
        }
        return db;
    }

    void resetStatementStatistics() throws SQLException {
        execute("SELECT pg_stat_statements_reset()");
    }

    /**
     * The {@code limit} statements the server spent most time executing since the reset: calls, total and mean
     * execution time (wall time in the executor, lock waits included), rows, and the statement's start (parameters
     * are {@code $n}: no value, so no token, appears).
     */
    String statementStatistics(int limit) throws SQLException {
        StringBuilder out = new StringBuilder(String.format(java.util.Locale.ROOT, "%10s %12s %9s %10s  %s%n",
                "calls", "total ms", "mean ms", "rows", "statement"));
        try (Connection c = admin().getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT calls, total_exec_time, mean_exec_time, rows, regexp_replace(query, '\\s+', ' ', 'g')"
                        + " FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT ?")) {
            ps.setInt(1, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String query = rs.getString(5);
                    out.append(String.format(java.util.Locale.ROOT, "%,10d %,12.0f %9.3f %,10d  %s%n", rs.getLong(1),
                            rs.getDouble(2), rs.getDouble(3), rs.getLong(4),
                            query.length() > 150 ? query.substring(0, 150) + "..." : query));
                }
            }
        }
        return out.toString();
    }

    String jdbcUrl() {
        return jdbcUrl;
    }

    /** Unpooled connections, for filling and checking (not for what is measured). */
    DataSource admin() {
        return postgres.getPostgresDatabase();
    }

    /** The refresh token prefix of batch {@code kind}, as {@link TokenEndpoint#track} takes it. */
    static String refreshPrefix(String kind) {
        return kind + "-";
    }

    /** Stores identities 1 to {@code count} of batch {@code kind} (see the class comment); returns the time taken. */
    Duration fill(String kind, int count) throws SQLException {
        long start = System.nanoTime();
        JdbcIdentityStore store = JdbcIdentityStore.builder(admin()).build();
        String templateId = "template-" + kind;
        store.create(Identity.builder()
                .id(templateId)
                .providerKey(Fixtures.PROVIDER_KEY)
                .externalUserId("template-" + kind)
                .accessToken("template-access")
                .refreshToken("template-refresh")
                .tokenType("Bearer")
                .scopes(List.of("api", "read_user"))
                .expiresAt(Instant.now().plus(Duration.ofHours(1)))
                .build());
        String copy = "INSERT INTO oauth_identity (id, provider_key, external_user_id, access_token, refresh_token,"
                + " token_type, expires_at, scopes, extras, last_verified_at, status, version, incarnation,"
                + " created_at, updated_at)"
                + " SELECT md5(?::text || '-' || n)::uuid::text, t.provider_key, 'user-' || ?::text || '-' || n,"
                + " md5('a' || ?::text || n) || md5('b' || ?::text || n),"
                + " ?::text || lpad(n::text, 8, '0') || '-' || md5('r' || ?::text || n),"
                + " t.token_type, t.expires_at, t.scopes, t.extras,"
                + " ?::timestamptz + n * interval '1 microsecond', t.status, t.version,"
                + " (random() * 9.0e18)::bigint, t.created_at, t.updated_at"
                + " FROM oauth_identity t, generate_series(1, ?) AS n WHERE t.id = ?";
        try (Connection c = admin().getConnection(); PreparedStatement ps = c.prepareStatement(copy)) {
            for (int i : new int[] {1, 2, 3, 4, 6}) {
                ps.setString(i, kind);
            }
            ps.setString(5, refreshPrefix(kind));
            ps.setTimestamp(7, Timestamp.from(Instant.now().minus(Duration.ofHours(2))));
            ps.setInt(8, count);
            ps.setString(9, templateId);
            int inserted = ps.executeUpdate();
            if (inserted != count) {
                throw new IllegalStateException("inserted " + inserted + " identities instead of " + count);
            }
        }
        store.delete(templateId);
        execute("VACUUM ANALYZE oauth_identity");
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /** Deletes every identity (TRUNCATE: the table and its indexes start empty again). */
    void clear() throws SQLException {
        execute("TRUNCATE oauth_identity");
    }

    void execute(String sql) throws SQLException {
        try (Connection c = admin().getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** One number from a query such as {@code SELECT count(*) ...}. */
    long count(String sql) throws SQLException {
        try (Connection c = admin().getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * Rows of {@code oauth_identity} updated so far: {all, HOT} (a HOT update writes no index entry; it needs room in
     * the row's page and no indexed column changed).
     */
    long[] updates() throws SQLException {
        try (Connection c = admin().getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables"
                        + " WHERE relname = 'oauth_identity'")) {
            return rs.next() ? new long[] {rs.getLong(1), rs.getLong(2)} : new long[] {0, 0};
        }
    }

    /** The server's process id (its backends are its children), from {@code postmaster.pid}; -1 if unknown. */
    long postmasterPid() {
        try (Connection c = admin().getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SHOW data_directory")) {
            rs.next();
            return Long.parseLong(Files.readAllLines(Path.of(rs.getString(1), "postmaster.pid")).get(0).trim());
        } catch (SQLException | IOException | RuntimeException e) {
            return -1;
        }
    }

    @Override
    public void close() throws IOException {
        postgres.close();
    }
}
