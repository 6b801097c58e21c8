package org.oauthidentity;

/** A compare-and-set save lost: the stored identity has moved past the version the caller read. */
public class VersionConflictException extends IdentityStoreException {
    private static final long serialVersionUID = 1L;

    public VersionConflictException(String id, long expectedVersion) {
        super("identity " + id + " is no longer at version " + expectedVersion);
    }
}
