package org.oauthidentity;

/** No identity with that id is stored (it was never created, or was deleted). */
public class IdentityNotFoundException extends IdentityStoreException {
    private static final long serialVersionUID = 1L;

    public IdentityNotFoundException(String id) {
        super("no identity " + id);
    }
}
