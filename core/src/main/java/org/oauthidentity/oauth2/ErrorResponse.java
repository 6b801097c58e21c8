package org.oauthidentity.oauth2;

import java.time.Duration;
import java.util.Optional;

/**
 * A token endpoint's refusal, as read: HTTP status, the error fields in either spelling (RFC
 * {@code error}/{@code error_description} or Azure DevOps' {@code Error}/{@code ErrorDescription}), Google's
 * {@code error_subtype}, and {@code Retry-After}. Texts are raw here; {@link OAuth2Provider} sanitises them
 * and removes secrets before they reach an exception.
 */
public final class ErrorResponse {
    private final int status;
    private final String error;
    private final String description;
    private final String subtype;
    private final Duration retryAfter;

    ErrorResponse(int status, String error, String description, String subtype, Duration retryAfter) {
        this.status = status;
        this.error = error;
        this.description = description;
        this.subtype = subtype;
        this.retryAfter = retryAfter;
    }

    public int status() {
        return status;
    }

    /** True when the body was JSON carrying an error code. */
    public boolean structured() {
        return error != null;
    }

    public Optional<String> error() {
        return Optional.ofNullable(error);
    }

    public Optional<String> description() {
        return Optional.ofNullable(description);
    }

    public Optional<String> subtype() {
        return Optional.ofNullable(subtype);
    }

    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }

    /** True when the error code equals one of {@code codes}. */
    public boolean errorIs(String... codes) {
        if (error == null) {
            return false;
        }
        for (String code : codes) {
            if (code.equals(error)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "ErrorResponse{status=" + status + ", error=" + error + ", subtype=" + subtype + '}';
    }
}
