package org.oauthidentity.testkit;

/**
 * Why the server refuses a token request, independent of how a vendor words it: {@link DialectRules}
 * turns it into the vendor's status, error code and description. Carries no token or secret.
 */
final class Refusal extends Exception {
    private static final long serialVersionUID = 1L;

    enum Kind {
        /** A required parameter is absent; the detail is its name. */
        MISSING_PARAMETER,
        /** A parameter is repeated or malformed, or the request is otherwise wrong; the detail says how. */
        INVALID_REQUEST,
        /** No client credentials, or a secret that does not match; the detail is the client id if known. */
        INVALID_CLIENT,
        /** A client id this server does not know; the detail is the id (not a secret). */
        UNKNOWN_CLIENT,
        /** The detail is the grant type as sent. */
        UNSUPPORTED_GRANT_TYPE,
        /** Asked for more than the grant allows. */
        INVALID_SCOPE,
        /** A refresh token or code this server never issued. */
        GRANT_UNKNOWN,
        /** A refresh token already rotated away, or a code already exchanged. */
        GRANT_REUSED,
        /** The user or the client revoked the grant. */
        GRANT_REVOKED,
        /** A refresh token past its lifetime, or a code older than ten minutes. */
        GRANT_EXPIRED,
        USER_SUSPENDED,
        /** The grant belongs to another client. */
        CLIENT_MISMATCH,
        /** The code was issued for another redirect URI. */
        REDIRECT_MISMATCH,
        /** The code was issued with a PKCE challenge and no verifier came. */
        PKCE_MISSING,
        /** The verifier does not hash to the code's challenge. */
        PKCE_MISMATCH,
        /** A verifier came for a code issued without a challenge. */
        PKCE_UNEXPECTED
    }

    /** Which grant the request was for; vendors word the same refusal differently for codes. */
    enum Grant { NONE, REFRESH, CODE }

    private final Kind kind;
    private final Grant grant;
    private final String detail;

    Refusal(Kind kind, Grant grant, String detail) {
        super(kind + (detail == null ? "" : ": " + detail), null, false, false);
        this.kind = kind;
        this.grant = grant;
        this.detail = detail;
    }

    static Refusal of(Kind kind) {
        return new Refusal(kind, Grant.NONE, null);
    }

    static Refusal missing(String parameter) {
        return new Refusal(Kind.MISSING_PARAMETER, Grant.NONE, parameter);
    }

    static Refusal invalidRequest(String why) {
        return new Refusal(Kind.INVALID_REQUEST, Grant.NONE, why);
    }

    static Refusal refresh(Kind kind) {
        return new Refusal(kind, Grant.REFRESH, null);
    }

    static Refusal code(Kind kind) {
        return new Refusal(kind, Grant.CODE, null);
    }

    Kind kind() {
        return kind;
    }

    Grant grant() {
        return grant;
    }

    String detail() {
        return detail;
    }
}
