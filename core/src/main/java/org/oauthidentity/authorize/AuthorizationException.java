package org.oauthidentity.authorize;

import java.util.Objects;
import java.util.Optional;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.RefreshException;
import org.oauthidentity.RefreshRejectedException;
import org.oauthidentity.TransientRefreshException;

/**
 * An authorization could not be started or completed. Callers branch on {@link #reason()}, never on the
 * message. Whatever the reason, no identity was stored, and a pending authorization that was found has been
 * consumed: the user starts again.
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
        /** The token endpoint failed transiently; cause: a {@link TransientRefreshException}. */
        UNAVAILABLE,
        /**
         * The token endpoint refused the exchange for another stated reason; cause: a
         * {@link RefreshRejectedException}.
         */
        EXCHANGE_REJECTED
    }

    private final Reason reason;
    private final String vendorError;
    private final String vendorErrorDescription;

    AuthorizationException(Reason reason, String message, String vendorError, String vendorErrorDescription,
            Throwable cause) {
        super("authorization failed (" + reason + "): " + message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.vendorError = vendorError;
        this.vendorErrorDescription = vendorErrorDescription;
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

    /** The token endpoint's refusal, as the core error type it maps to; absent for other reasons. */
    public Optional<RefreshException> tokenEndpointError() {
        return getCause() instanceof RefreshException ? Optional.of((RefreshException) getCause()) : Optional.empty();
    }
}
