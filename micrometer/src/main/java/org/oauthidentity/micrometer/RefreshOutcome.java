package org.oauthidentity.micrometer;

import java.util.Locale;
import java.util.Set;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.RefreshException;
import org.oauthidentity.RefreshNotPersistedException;
import org.oauthidentity.RefreshOutcomeUnknownException;
import org.oauthidentity.RefreshRejectedException;
import org.oauthidentity.TransientRefreshException;

/**
 * How one refresh ended, as the {@code outcome} tag, and the vendor's error code as the {@code error} tag. Both
 * tags take values from fixed sets, whatever a vendor sends. Stateless.
 */
enum RefreshOutcome {
    SUCCEEDED("succeeded"),
    ADOPTED("adopted"),
    NOT_VALID("not_valid"),
    CONFIGURATION("configuration"),
    TRANSIENT("transient"),
    OUTCOME_UNKNOWN("outcome_unknown"),
    REJECTED("rejected"),
    NOT_PERSISTED("not_persisted"),
    /** A {@link RefreshException} subtype of a provider's own, none of the above. */
    OTHER("other");

    /** The {@code error} tag of a refresh that failed without an error code, or did not fail. */
    static final String NO_ERROR = "none";
    /** The {@code error} tag of a code outside {@link #KNOWN_ERRORS}. */
    static final String OTHER_ERROR = "other";

    /** RFC 6749 section 5.2 and the codes the supported vendors add; anything else is {@link #OTHER_ERROR}. */
    private static final Set<String> KNOWN_ERRORS = Set.of(
            "invalid_request", "invalid_client", "invalid_grant", "unauthorized_client", "unsupported_grant_type",
            "invalid_scope", "access_denied", "server_error", "temporarily_unavailable", "deleted_client",
            "invalid_token", "interaction_required", "login_required", "consent_required");

    private final String tag;

    RefreshOutcome(String tag) {
        this.tag = tag;
    }

    String tag() {
        return tag;
    }

    /** The outcome of a failed refresh; the lost answer first, as it is also a transient failure. */
    static RefreshOutcome of(RefreshException failure) {
        if (failure instanceof RefreshOutcomeUnknownException) {
            return OUTCOME_UNKNOWN;
        }
        if (failure instanceof IdentityNotValid) {
            return NOT_VALID;
        }
        if (failure instanceof ProviderConfigurationException) {
            return CONFIGURATION;
        }
        if (failure instanceof TransientRefreshException) {
            return TRANSIENT;
        }
        if (failure instanceof RefreshRejectedException) {
            return REJECTED;
        }
        if (failure instanceof RefreshNotPersistedException) {
            return NOT_PERSISTED;
        }
        return OTHER;
    }

    /** The vendor's error code when it is a known one, {@code none} without a code, {@code other} else. */
    static String errorTag(RefreshException failure) {
        String code = failure.error().map(e -> e.trim().toLowerCase(Locale.ROOT)).orElse("");
        if (code.isEmpty()) {
            return NO_ERROR;
        }
        return KNOWN_ERRORS.contains(code) ? code : OTHER_ERROR;
    }
}
