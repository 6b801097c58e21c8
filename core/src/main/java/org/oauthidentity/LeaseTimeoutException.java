package org.oauthidentity;

/** Another holder kept an identity's refresh lease longer than the caller was willing to wait. */
public class LeaseTimeoutException extends IdentityStoreException {
    private static final long serialVersionUID = 1L;

    public LeaseTimeoutException(String id) {
        super("timed out waiting for another refresh of identity " + id);
    }
}
