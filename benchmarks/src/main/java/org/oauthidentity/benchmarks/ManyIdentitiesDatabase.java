package org.oauthidentity.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;
import javax.sql.DataSource;
import org.oauthidentity.Identity;
import org.oauthidentity.store.jdbc.JdbcIdentityStore;

/**
 * The database of benchmarks 6 to 8: {@value #STORED} identities in store-jdbc on an embedded PostgreSQL, every
 * {@value #HOT_EVERY}th of them hot ({@value #HOT} in all), tokens far from expiry. Ids are UUIDs (as a service's
 * linking flow makes them) and tokens are the lengths vendors issue: GitLab-like (64 hex characters, access and
 * refresh) for half the identities, Google-like ({@code ya29.} + 160 characters, refresh {@code 1//0} + 99) for
 * the other half, alternating through the hot set too. Everything is derived from the identity's number, so a
 * JMH fork that connects to a database filled by another JVM knows its ids and tokens without reading them.
 */
final class ManyIdentitiesDatabase implements AutoCloseable {
    static final int STORED = 100_000;
    static final int HOT = 10_000;
    static final int HOT_EVERY = STORED / HOT;
    /** A JMH fork finds the database its parent filled here; without it, it starts its own. */
    static final String URL_PROPERTY = "bench.many.jdbcUrl";

    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private static final char[] URL_SAFE =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".toCharArray();

    private final EmbeddedPostgres postgres;
    private final String jdbcUrl;

    private ManyIdentitiesDatabase(EmbeddedPostgres postgres) {
        this.postgres = postgres;
        this.jdbcUrl = postgres.getJdbcUrl("postgres", "postgres");
    }

    /** Starts an embedded PostgreSQL and stores {@value #STORED} identities in it (a few seconds). */
    static ManyIdentitiesDatabase start() throws IOException, SQLException {
        // Durability is not measured: without fsync, filling the table is cheap.
        EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                .setServerConfig("fsync", "off")
                .setServerConfig("synchronous_commit", "off")
                .setServerConfig("full_page_writes", "off")
                .start();
        ManyIdentitiesDatabase db = new ManyIdentitiesDatabase(postgres);
        try (HikariDataSource pool = pool(db.jdbcUrl, 2)) {
            fill(pool);
        } catch (SQLException | RuntimeException e) {
            db.close();
            throw e;
        }
        return db;
    }

    String jdbcUrl() {
        return jdbcUrl;
    }

    /** A HikariCP pool of {@code size} connections, as a service would put under the store. */
    static HikariDataSource pool(String jdbcUrl, int size) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(size);
        config.setPoolName("bench-many");
        return new HikariDataSource(config);
    }

    /** A store over {@code dataSource}; the schema must exist. */
    static JdbcIdentityStore store(DataSource dataSource) {
        return JdbcIdentityStore.builder(dataSource).build();
    }

    static String id(int n) {
        return UUID.nameUUIDFromBytes(("bench-identity-" + n).getBytes(StandardCharsets.UTF_8)).toString();
    }

    /** The hot identities' ids, in the order of their numbers. */
    static List<String> hotIds() {
        List<String> ids = new ArrayList<>(HOT);
        for (int n = 0; n < STORED; n += HOT_EVERY) {
            ids.add(id(n));
        }
        return ids;
    }

    /** The numbers of the hot identities' ids as {@link #hotIds()} lists them: {@code k * HOT_EVERY}. */
    static int hotNumber(int k) {
        return k * HOT_EVERY;
    }

    static String accessToken(int n) {
        SplittableRandom random = new SplittableRandom(n * 2L);
        return googleLike(n) ? "ya29." + chars(random, URL_SAFE, 160) : chars(random, HEX, 64);
    }

    static String refreshToken(int n) {
        SplittableRandom random = new SplittableRandom(n * 2L + 1);
        return googleLike(n) ? "1//0" + chars(random, URL_SAFE, 99) : chars(random, HEX, 64);
    }

    /** Alternates by tens, so the hot set (every tenth) is half of each kind too. */
    private static boolean googleLike(int n) {
        return (n / HOT_EVERY) % 2 == 1;
    }

    private static String chars(SplittableRandom random, char[] alphabet, int length) {
        char[] out = new char[length];
        for (int i = 0; i < length; i++) {
            out[i] = alphabet[random.nextInt(alphabet.length)];
        }
        return new String(out);
    }

    /**
     * Identity 0 through the store (so every column is in the store's own format), then the others as copies of
     * its row with their own id, tokens and incarnation, 10,000 per statement.
     */
    private static void fill(DataSource dataSource) throws SQLException {
        JdbcIdentityStore store = JdbcIdentityStore.builder(dataSource).createSchemaIfMissing().build();
        Identity first = store.create(identity(0, Instant.now().plus(Duration.ofDays(365))));
        String copy = "INSERT INTO oauth_identity (id, provider_key, external_user_id, access_token, refresh_token,"
                + " token_type, expires_at, scopes, extras, last_verified_at, status, version, incarnation,"
                + " created_at, updated_at)"
                + " SELECT u.id, t.provider_key, u.external_user_id, u.access_token, u.refresh_token, t.token_type,"
                + " t.expires_at, t.scopes, t.extras, t.last_verified_at, t.status, t.version, u.incarnation,"
                + " t.created_at, t.updated_at"
                + " FROM oauth_identity t,"
                + " unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[])"
                + " AS u(id, external_user_id, access_token, refresh_token, incarnation)"
                + " WHERE t.id = ?";
        int chunk = 10_000;
        SplittableRandom incarnations = new SplittableRandom(42);
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(copy)) {
            for (int from = 1; from < STORED; from += chunk) {
                int n = Math.min(chunk, STORED - from);
                String[] ids = new String[n];
                String[] users = new String[n];
                String[] access = new String[n];
                String[] refresh = new String[n];
                Long[] incarnation = new Long[n];
                for (int i = 0; i < n; i++) {
                    ids[i] = id(from + i);
                    users[i] = "user-" + (from + i);
                    access[i] = accessToken(from + i);
                    refresh[i] = refreshToken(from + i);
                    incarnation[i] = incarnations.nextLong();
                }
                Array[] arrays = {c.createArrayOf("text", ids), c.createArrayOf("text", users),
                        c.createArrayOf("text", access), c.createArrayOf("text", refresh),
                        c.createArrayOf("bigint", incarnation)};
                for (int i = 0; i < arrays.length; i++) {
                    ps.setArray(i + 1, arrays[i]);
                }
                ps.setString(6, first.id());
                if (ps.executeUpdate() != n) {
                    throw new IllegalStateException("copied fewer rows than " + n);
                }
            }
        }
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("ANALYZE oauth_identity")) {
            ps.execute();
        }
    }

    private static Identity identity(int n, Instant expiresAt) {
        return Identity.builder()
                .id(id(n))
                .providerKey(Fixtures.PROVIDER_KEY)
                .externalUserId("user-" + n)
                .accessToken(accessToken(n))
                .refreshToken(refreshToken(n))
                .tokenType("Bearer")
                .scopes(List.of("api", "read_user"))
                .expiresAt(expiresAt)
                .build();
    }

    @Override
    public void close() throws IOException {
        postgres.close();
    }
}
