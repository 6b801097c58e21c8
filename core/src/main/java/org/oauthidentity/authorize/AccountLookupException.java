package org.oauthidentity.authorize;

import java.util.Optional;
import org.oauthidentity.Identity;
import org.oauthidentity.RefreshException;

/**
 * A code exchange succeeded, but the provider could not tell which vendor account the new tokens belong to (the
 * vendor's user API failed, or the token response named no account). The link fails: an identity whose account
 * is unknown could not be told apart from the owner's other identities at the same vendor.
 *
 * <p>{@link #issued()} is the grant the exchange produced, so that {@link AuthorizationFlow} can revoke it
 * ({@link AuthorizationException.Reason#ACCOUNT_UNKNOWN}). It holds tokens: never log it (its
 * {@code toString} does not print them).
 */
public final class AccountLookupException extends RefreshException {
    private static final long serialVersionUID = 1L;

    private final transient Identity issued;

    /**
     * @param details what failed, e.g. {@code HTTP 503 from gitlab.example.com}; never a token
     * @param issued the identity the exchange produced (refresh token included where one was issued), to revoke
     */
    public AccountLookupException(Details details, Identity issued, Throwable cause) {
        super(details, cause);
        this.issued = issued;
    }

    /** The grant the code exchange issued; empty after deserialization. */
    public Optional<Identity> issued() {
        return Optional.ofNullable(issued);
    }
}
