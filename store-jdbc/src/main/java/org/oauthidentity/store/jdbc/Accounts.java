package org.oauthidentity.store.jdbc;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.oauthidentity.Identity;

/**
 * The account queries of {@link JdbcIdentityStore}: an identity by provider key, external user id and owner
 * (the unique index {@code oauth_identity_account_idx}), and an owner's identities
 * ({@code oauth_identity_owner_idx}). One read-only statement each. Thread-safe.
 */
final class Accounts {
    private static final String FIND = "SELECT " + Rows.COLUMNS + " FROM " + JdbcIdentityStore.TABLE
            + " WHERE provider_key = ? AND external_user_id = ? AND owner_id = ?";
    private static final String BY_OWNER = "SELECT " + Rows.COLUMNS + " FROM " + JdbcIdentityStore.TABLE
            + " WHERE owner_id = ? ORDER BY id";

    private final Transactions transactions;
    private final Rows rows;

    Accounts(Transactions transactions, Rows rows) {
        this.transactions = transactions;
        this.rows = rows;
    }

    Optional<Identity> find(String providerKey, String externalUserId, String ownerId) {
        Objects.requireNonNull(providerKey, "providerKey");
        Objects.requireNonNull(externalUserId, "externalUserId");
        Objects.requireNonNull(ownerId, "ownerId");
        return transactions.run("could not look up an identity of provider " + providerKey + " by account",
                List.of(), c -> {
                    try (PreparedStatement ps = c.prepareStatement(FIND)) {
                        ps.setString(1, providerKey);
                        ps.setString(2, externalUserId);
                        ps.setString(3, ownerId);
                        try (ResultSet rs = ps.executeQuery()) {
                            return rs.next() ? Optional.of(rows.read(rs)) : Optional.<Identity>empty();
                        }
                    }
                });
    }

    /** The identity holding {@code identity}'s account and owner, if it has both and another holds them. */
    Optional<Identity> sameAccount(Identity identity) {
        if (identity.externalUserId().isEmpty() || identity.ownerId().isEmpty()) {
            return Optional.empty();
        }
        return find(identity.providerKey(), identity.externalUserId().get(), identity.ownerId().get())
                .filter(holder -> !holder.id().equals(identity.id()));
    }

    List<Identity> listByOwner(String ownerId) {
        Objects.requireNonNull(ownerId, "ownerId");
        return transactions.run("could not list the identities of an owner", List.of(), c -> {
            try (PreparedStatement ps = c.prepareStatement(BY_OWNER)) {
                ps.setString(1, ownerId);
                List<Identity> owned = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        owned.add(rows.read(rs));
                    }
                }
                return owned;
            }
        });
    }
}
