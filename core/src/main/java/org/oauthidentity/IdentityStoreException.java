package org.oauthidentity;

/** The {@link IdentityStore} failed (database down, constraint violated). Messages name ids, never tokens. */
public class IdentityStoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public IdentityStoreException(String message) {
        super(message);
    }

    public IdentityStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
