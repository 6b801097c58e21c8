package org.oauthidentity.store.jdbc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityStoreException;
import org.oauthidentity.VerificationStatus;

/**
 * Turns identities into column values and rows back into identities, applying the {@link TokenCipher} to the
 * credential columns. Timestamps are kept to the microsecond (what both databases store), so an identity
 * read back equals the one returned by the write. Thread-safe.
 */
final class Rows {
    static final String COLUMNS = "id, provider_key, external_user_id, owner_id, access_token, refresh_token,"
            + " token_type, expires_at, scopes, extras, last_verified_at, status, version, incarnation, lease_owner,"
            + " lease_expires_at";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<List<String>> SCOPES = new TypeReference<>() { };
    private static final TypeReference<LinkedHashMap<String, String>> EXTRAS = new TypeReference<>() { };

    private final TokenCipher cipher;

    Rows(TokenCipher cipher) {
        this.cipher = cipher;
    }

    /** The stored form of one identity's credentials, and the values an error message must never show. */
    static final class Credentials {
        final String accessToken;
        final String refreshToken;
        final String scopes;
        final String extras;
        final List<String> secrets;

        private Credentials(String accessToken, String refreshToken, String scopes, String extras,
                List<String> secrets) {
            this.accessToken = accessToken;
            this.refreshToken = refreshToken;
            this.scopes = scopes;
            this.extras = extras;
            this.secrets = secrets;
        }
    }

    Credentials credentials(Identity identity) {
        List<String> secrets = new ArrayList<>();
        secrets.add(identity.accessToken());
        identity.refreshToken().ifPresent(secrets::add);
        secrets.addAll(identity.extras().values());
        String extras = json(identity.extras(), identity.id());
        String scopes = json(new ArrayList<>(identity.scopes()), identity.id());
        if (cipher == null) {
            secrets.add(extras);
            return new Credentials(identity.accessToken(), identity.refreshToken().orElse(null), scopes, extras,
                    secrets);
        }
        String accessToken = encrypt(identity.accessToken(), "access_token", identity.id(), secrets);
        String refreshToken = identity.refreshToken()
                .map(token -> encrypt(token, "refresh_token", identity.id(), secrets))
                .orElse(null);
        String encryptedExtras = encrypt(extras, "extras", identity.id(), secrets);
        secrets.add(accessToken);
        if (refreshToken != null) {
            secrets.add(refreshToken);
        }
        secrets.add(encryptedExtras);
        return new Credentials(accessToken, refreshToken, scopes, encryptedExtras, secrets);
    }

    /** Reads the identity at the result set's current row. */
    Identity read(ResultSet rs) throws SQLException {
        String id = rs.getString("id");
        String status = rs.getString("status");
        VerificationStatus verification;
        try {
            verification = VerificationStatus.valueOf(status);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IdentityStoreException("identity " + id + " has an unknown status in the database: " + status);
        }
        String refreshToken = rs.getString("refresh_token");
        return Identity.builder()
                .id(id)
                .providerKey(rs.getString("provider_key"))
                .externalUserId(rs.getString("external_user_id"))
                .ownerId(rs.getString("owner_id"))
                .accessToken(decrypt(rs.getString("access_token"), "access_token", id))
                .refreshToken(refreshToken == null ? null : decrypt(refreshToken, "refresh_token", id))
                .tokenType(rs.getString("token_type"))
                .expiresAt(instant(rs, "expires_at"))
                .scopes(parse(rs.getString("scopes"), SCOPES, id))
                .extras(parse(decrypt(rs.getString("extras"), "extras", id), EXTRAS, id))
                .lastVerifiedAt(instant(rs, "last_verified_at"))
                .status(verification)
                .version(rs.getLong("version"))
                .incarnation(rs.getLong("incarnation"))
                .build();
    }

    static OffsetDateTime timestamp(Instant instant) {
        return instant == null ? null : OffsetDateTime.ofInstant(instant.truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
    }

    static void setTimestamp(PreparedStatement ps, int index, Instant instant) throws SQLException {
        if (instant == null) {
            ps.setNull(index, Types.TIMESTAMP_WITH_TIMEZONE);
        } else {
            ps.setObject(index, timestamp(instant));
        }
    }

    static void setText(PreparedStatement ps, int index, String value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.VARCHAR);
        } else {
            ps.setString(index, value);
        }
    }

    static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }

    private String encrypt(String plaintext, String column, String id, List<String> secrets) {
        try {
            return cipher.encrypt(plaintext, column + ":" + id);
        } catch (RuntimeException e) {
            throw new IdentityStoreException("could not encrypt the " + column + " of identity " + id,
                    Redaction.scrub(e, secrets));
        }
    }

    private String decrypt(String stored, String column, String id) {
        if (cipher == null || stored == null) {
            return stored;
        }
        try {
            return cipher.decrypt(stored, column + ":" + id);
        } catch (RuntimeException e) {
            // The cause names the cipher's complaint (a bad tag, a missing key); the ciphertext is not secret.
            throw new IdentityStoreException("could not decrypt the " + column + " of identity " + id
                    + " (wrong key, or a value written for another identity or column)", e);
        }
    }

    private static String json(Object value, String id) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IdentityStoreException("could not encode identity " + id);
        }
    }

    private static <T> T parse(String json, TypeReference<T> type, String id) {
        try {
            T value = JSON.readValue(json, type);
            if (value == null) {
                throw new IdentityStoreException("identity " + id + " has a null JSON column");
            }
            return value;
        } catch (JsonProcessingException e) {
            // Jackson's message quotes the text it choked on, which may be a decrypted credential.
            throw new IdentityStoreException("identity " + id + " has a JSON column that does not parse");
        }
    }
}
