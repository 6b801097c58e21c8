package org.oauthidentity.store.jdbc;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rewrites the credential columns of rows sealed under a key other than the cipher's current one
 * ({@link TokenCipher#needsReencryption}), page by page in id order, alongside live traffic.
 *
 * <p>Each row is read, decrypted and sealed again outside any transaction, then written by one compare-and-set
 * {@code UPDATE ... SET access_token, refresh_token, extras WHERE id AND incarnation AND version AND
 * access_token} that matches only if nothing saved the row since it was read (every save moves the version and
 * seals a fresh access token). It leaves {@code version}, {@code updated_at}, the lease and the sweep columns
 * alone, so a refresh that read the row before the rewrite still saves, and a save that lands first makes the
 * rewrite miss: it never overwrites newer tokens. A miss reads the row again and retries while it is still
 * under another key. Thread-safe; two passes at once only duplicate work.
 */
final class ReencryptionPass {
    private static final Logger log = LoggerFactory.getLogger(ReencryptionPass.class);
    private static final int ATTEMPTS = 3;

    private final Transactions transactions;
    private final Rows rows;
    private final TokenCipher cipher;
    private final String pageSql;
    private final String rowSql;
    private final String rewriteSql;

    ReencryptionPass(Transactions transactions, Rows rows, TokenCipher cipher, String table) {
        this.transactions = transactions;
        this.rows = rows;
        this.cipher = cipher;
        pageSql = "SELECT " + Rows.COLUMNS + " FROM " + table + " WHERE id > ? ORDER BY id FETCH FIRST ? ROWS ONLY";
        rowSql = "SELECT " + Rows.COLUMNS + " FROM " + table + " WHERE id = ?";
        rewriteSql = "UPDATE " + table + " SET access_token = ?, refresh_token = ?, extras = ?"
                + " WHERE id = ? AND incarnation = ? AND version = ? AND access_token = ?";
    }

    /** A row as the pass saw it: its identity (null when it does not decrypt) and its stored access token. */
    private static final class Seen {
        final String id;
        final Identity identity;
        final String storedAccessToken;
        final IdentityStoreException unreadable;
        final boolean stale;

        Seen(String id, Identity identity, String storedAccessToken, IdentityStoreException unreadable,
                boolean stale) {
            this.id = id;
            this.identity = identity;
            this.storedAccessToken = storedAccessToken;
            this.unreadable = unreadable;
            this.stale = stale;
        }
    }

    Reencryption run(int pageSize) {
        long examined = 0;
        long rewritten = 0;
        long unreadable = 0;
        long contended = 0;
        String after = "";  // identity ids are never empty
        while (true) {
            List<Seen> page = page(after, pageSize);
            for (Seen seen : page) {
                examined++;
                switch (rewrite(seen)) {
                    case REWRITTEN -> rewritten++;
                    case UNREADABLE -> unreadable++;
                    case CONTENDED -> contended++;
                    case CURRENT -> { }
                }
            }
            if (page.size() < pageSize) {
                Reencryption done = new Reencryption(examined, rewritten, unreadable, contended);
                log.info("re-encryption pass finished: {}", done);
                return done;
            }
            after = page.get(page.size() - 1).id;
        }
    }

    private enum Outcome { CURRENT, REWRITTEN, UNREADABLE, CONTENDED }

    private Outcome rewrite(Seen first) {
        Seen seen = first;
        for (int attempt = 1; ; attempt++) {
            if (!seen.stale) {
                return Outcome.CURRENT;
            }
            if (seen.unreadable != null) {
                Throwable cause = seen.unreadable.getCause();
                log.warn("identity {}: not re-encrypted: {}{}", seen.id, seen.unreadable.getMessage(),
                        cause == null ? "" : " (" + cause.getMessage() + ")");
                return Outcome.UNREADABLE;
            }
            if (compareAndSet(seen)) {
                return Outcome.REWRITTEN;
            }
            Optional<Seen> again = row(seen.id);
            if (again.isEmpty()) {
                return Outcome.CURRENT;  // deleted meanwhile: nothing left under the old key
            }
            if (attempt >= ATTEMPTS) {
                return again.get().stale ? Outcome.CONTENDED : Outcome.CURRENT;
            }
            seen = again.get();
        }
    }

    private boolean compareAndSet(Seen seen) {
        Identity identity = seen.identity;
        // Sealed before the statement's connection is taken: no transaction stays open across the cipher.
        Rows.Credentials stored = rows.credentials(identity);
        return transactions.run("could not re-encrypt identity " + seen.id, stored.secrets, c -> {
            try (PreparedStatement ps = c.prepareStatement(rewriteSql)) {
                ps.setString(1, stored.accessToken);
                Rows.setText(ps, 2, stored.refreshToken);
                ps.setString(3, stored.extras);
                ps.setString(4, seen.id);
                ps.setLong(5, identity.incarnation());
                ps.setLong(6, identity.version());
                ps.setString(7, seen.storedAccessToken);
                return ps.executeUpdate() == 1;
            }
        });
    }

    private List<Seen> page(String after, int pageSize) {
        return transactions.run("could not read identities to re-encrypt", List.of(), c -> {
            try (PreparedStatement ps = c.prepareStatement(pageSql)) {
                ps.setString(1, after);
                ps.setInt(2, pageSize);
                return read(ps);
            }
        });
    }

    private Optional<Seen> row(String id) {
        return transactions.run("could not read identity " + id, List.of(), c -> {
            try (PreparedStatement ps = c.prepareStatement(rowSql)) {
                ps.setString(1, id);
                return read(ps).stream().findFirst();
            }
        });
    }

    private List<Seen> read(PreparedStatement ps) throws SQLException {
        List<Seen> seen = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                String id = rs.getString("id");
                String accessToken = rs.getString("access_token");
                boolean stale = stale(accessToken) || stale(rs.getString("refresh_token"))
                        || stale(rs.getString("extras"));
                if (!stale) {
                    seen.add(new Seen(id, null, accessToken, null, false));
                    continue;
                }
                try {
                    seen.add(new Seen(id, rows.read(rs), accessToken, null, true));
                } catch (IdentityStoreException e) {
                    seen.add(new Seen(id, null, accessToken, e, true));
                }
            }
        }
        return seen;
    }

    private boolean stale(String stored) {
        return stored != null && cipher.needsReencryption(stored);
    }
}
