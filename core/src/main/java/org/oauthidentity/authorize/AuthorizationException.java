package org.oauthidentity.authorize;

import java.util.Objects;
import java.util.Optional;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.RefreshException;
import org.oauthidentity.RefreshRejectedException;
import org.oauthidentity.TransientRefreshException;

/**
 * An authorization could not be started or completed. Callers branch on {@link #reason()}, never on the
 * message. Whatever the reason, no identity was stored or updated, and a pending authorization that was found
 * has been consumed: the user starts again. When the vendor had already issued a new grant (the code was
 * redeemed, then the account lookup or the store failed), {@link #grantRevocation()} says whether the flow
 * revoked it, and the message says so too.
 *
 * <p>When the token endpoint refused the code exchange, {@link #tokenEndpointError()} is the core
 * {@link RefreshException} it was mapped to (its status, error code, {@code Retry-After}). Messages carry
 * the vendor's sanitised error code and description, never a state, code, verifier, token or secret.
 */
public final class AuthorizationException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why an authorization failed. */
    public enum Reason {
        /** The callback's {@code state} is missing, unknown, expired or was already used (replay). */
        INVALID_STATE,
        /** The state belongs to another user or session. The pending authorization is discarded: it leaked. */
        OWNER_MISMATCH,
        /** The user (or the vendor's policy) refused: {@code error=access_denied} in the callback. */
        ACCESS_DENIED,
        /** The callback carried another error ({@code invalid_scope}, {@code server_error}, ...). */
        VENDOR_ERROR,
        /** The callback has a valid state but no code, or repeats a parameter. */
        MALFORMED_CALLBACK,
        /**
         * The token endpoint refused the code ({@code invalid_grant}): it expired, was already redeemed, or
         * was issued for another redirect URI or PKCE verifier.
         */
        CODE_REJECTED,
        /**
         * Our side is misconfigured: the client credentials were rejected ({@code invalid_client},
         * {@code unauthorized_client}, a bare 401), the vendor refuses this client the code flow, or the
         * provider has no authorization endpoint. Cause: a {@link ProviderConfigurationException} when it
         * came from the token endpoint.
         */
        CONFIGURATION,
        /**
         * The token endpoint failed transiently (cause: a {@link TransientRefreshException}), or the
         * {@link PendingAuthorizationStore} failed (cause: the store's exception, an
         * {@link org.oauthidentity.IdentityStoreException} from this library's stores): Redis or the database is
         * down or did not answer in time. Nothing was stored; the user starts again.
         */
        UNAVAILABLE,
        /**
         * The token endpoint refused the exchange for another stated reason; cause: a
         * {@link RefreshRejectedException}.
         */
        EXCHANGE_REJECTED,
        /**
         * The code was redeemed, but the provider could not tell which vendor account it belongs to (the
         * vendor's user API failed or the response named none); cause: an {@link AccountLookupException}. The new
         * grant was revoked where possible: see {@link #grantRevocation()}.
         */
        ACCOUNT_UNKNOWN,
        /**
         * The code was redeemed, but the identity store failed to store the identity; cause: the store's
         * exception. The new grant was revoked where possible: see {@link #grantRevocation()}.
         */
        NOT_STORED
    }

    /** What became of a grant the vendor issued before the authorization failed. */
    public enum GrantRevocation {
        /** No new grant is known to exist: the failure came before the code was redeemed, or the exchange failed. */
        NO_GRANT,
        /** The new grant was revoked at the vendor. */
        REVOKED,
        /**
         * Revoking the new grant failed (the vendor refused or was unreachable): it stays active at the vendor until
         * it expires or the user removes the application's access there.
         */
        REVOCATION_FAILED,
        /**
         * The provider cannot revoke grants: the new grant stays active at the vendor until it expires or the user
         * removes the application's access there.
         */
        NOT_REVOCABLE
    }

    private final Reason reason;
    private final String vendorError;
    private final String vendorErrorDescription;
    private final GrantRevocation grantRevocation;

    AuthorizationException(Reason reason, String message, String vendorError, String vendorErrorDescription,
            Throwable cause) {
        this(reason, message, vendorError, vendorErrorDescription, cause, GrantRevocation.NO_GRANT);
    }

    AuthorizationException(Reason reason, String message, String vendorError, String vendorErrorDescription,
            Throwable cause, GrantRevocation grantRevocation) {
        super("authorization failed (" + reason + "): " + message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.vendorError = vendorError;
        this.vendorErrorDescription = vendorErrorDescription;
        this.grantRevocation = Objects.requireNonNull(grantRevocation, "grantRevocation");
    }

    public Reason reason() {
        return reason;
    }

    /** The vendor's error code from the callback or the token endpoint ({@code access_denied}, ...). */
    public Optional<String> vendorError() {
        return Optional.ofNullable(vendorError);
    }

    /** The vendor's description of it, sanitised (control characters replaced, length capped). */
    public Optional<String> vendorErrorDescription() {
        return Optional.ofNullable(vendorErrorDescription);
    }

    /** Whether a grant the vendor issued before the failure was revoked; {@code NO_GRANT} when none was issued. */
    public GrantRevocation grantRevocation() {
        return grantRevocation;
    }

    /** The token endpoint's refusal, as the core error type it maps to; absent for other reasons. */
    public Optional<RefreshException> tokenEndpointError() {
        Throwable cause = getCause();
        return cause instanceof RefreshException && !(cause instanceof AccountLookupException)
                ? Optional.of((RefreshException) cause) : Optional.empty();
    }
}
