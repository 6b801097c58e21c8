package org.oauthidentity.store.jdbc;

import java.util.List;
import java.util.Objects;

/**
 * The database's schema is not one this release of the store can use, found at {@code build()}: a deployment
 * error, not a transient failure (retrying does not help; {@link org.oauthidentity.IdentityStoreException} is
 * for a database that cannot be reached). Callers branch on {@link #reason()}, never on the message; the
 * message names versions and scripts and what to do. Immutable.
 */
public final class SchemaVersionException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /** What is wrong with the schema. */
    public enum Reason {
        /**
         * Versions the store needs are missing and the store was not asked to migrate
         * ({@code migrateSchema()} off): apply them with your migration tool, or turn migration on.
         */
        OUTDATED
    }

    private final Reason reason;
    private final int databaseVersion;
    private final transient List<Integer> missingVersions;

    SchemaVersionException(Reason reason, int databaseVersion, List<Integer> missingVersions, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.databaseVersion = databaseVersion;
        this.missingVersions = List.copyOf(missingVersions);
    }

    /** @return why the schema was refused */
    public Reason reason() {
        return reason;
    }

    /** @return the highest schema version the database has (0: none of the store's tables) */
    public int databaseVersion() {
        return databaseVersion;
    }

    /** @return the newest schema version this release knows, and migrates to */
    public int codeVersion() {
        return Schema.LATEST;
    }

    /** @return the versions the store needs and the database lacks, ascending */
    public List<Integer> missingVersions() {
        return missingVersions == null ? List.of() : missingVersions;
    }
}
