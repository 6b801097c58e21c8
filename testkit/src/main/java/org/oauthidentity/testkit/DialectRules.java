package org.oauthidentity.testkit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.UUID;
import org.oauthidentity.oauth2.ClientAuthentication;
import org.oauthidentity.testkit.FakeAuthorizationServer.Dialect;
import org.oauthidentity.testkit.Refusal.Grant;

/**
 * Everything that differs between vendors, in one place: paths, how clients authenticate, which parameter
 * carries what, the shape of a token response, and the status, code and wording of each refusal. The
 * wording is the vendors' own where it is known (Doorkeeper's for GitLab, AADSTS codes for Entra, Google's
 * terse texts) because client code and people's log searches match on it. Immutable.
 */
final class DialectRules {
    static final String JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    static final String JWT_BEARER_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    static final ObjectMapper JSON = new ObjectMapper();

    private static final String DOORKEEPER_INVALID_GRANT = "The provided authorization grant is invalid, expired,"
            + " revoked, does not match the redirection URI used in the authorization request, or was issued to"
            + " another client.";
    private static final String DOORKEEPER_INVALID_CLIENT = "Client authentication failed due to unknown client,"
            + " no client authentication included, or unsupported authentication method.";
    private static final String GOOGLE_REFRESH_REFUSED = "Token has been expired or revoked.";
    private static final DateTimeFormatter ENTRA_TIMESTAMP =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

    final Dialect dialect;
    final String tenant;

    DialectRules(Dialect dialect, String tenant) {
        this.dialect = dialect;
        this.tenant = tenant;
    }

    // ---- paths (relative to the instance prefix) ------------------------------------------------------------

    String tokenPath() {
        switch (dialect) {
            case AZURE_DEVOPS: return "/oauth2/token";
            case ENTRA: return "/" + tenant + "/oauth2/v2.0/token";
            case GOOGLE: return "/token";
            default: return "/oauth/token";
        }
    }

    String authorizePath() {
        switch (dialect) {
            case AZURE_DEVOPS: return "/oauth2/authorize";
            case ENTRA: return "/" + tenant + "/oauth2/v2.0/authorize";
            case GOOGLE: return "/o/oauth2/v2/auth";
            default: return "/oauth/authorize";
        }
    }

    /** Null when the vendor has no revocation endpoint. */
    String revocationPath() {
        switch (dialect) {
            case GOOGLE: return "/revoke";
            case GENERIC:
            case GITLAB: return "/oauth/revoke";
            default: return null;
        }
    }

    // ---- client authentication and parameters -------------------------------------------------------------

    /** Azure DevOps: the client secret travels as {@code client_assertion}, and no client id is sent. */
    boolean clientAssertion() {
        return dialect == Dialect.AZURE_DEVOPS;
    }

    /** HTTP Basic (RFC 6749 §2.3.1). Entra documents only the form body for secrets. */
    boolean acceptsBasic() {
        return dialect == Dialect.GENERIC || dialect == Dialect.GITLAB || dialect == Dialect.GOOGLE;
    }

    /** How core's OAuth2Provider should authenticate to this dialect. */
    ClientAuthentication clientAuthentication() {
        switch (dialect) {
            case GENERIC: return ClientAuthentication.CLIENT_SECRET_BASIC;
            case AZURE_DEVOPS: return ClientAuthentication.NONE;
            default: return ClientAuthentication.CLIENT_SECRET_POST;
        }
    }

    String codeGrantType() {
        return dialect == Dialect.AZURE_DEVOPS ? JWT_BEARER_GRANT : "authorization_code";
    }

    String refreshTokenParameter() {
        return dialect == Dialect.AZURE_DEVOPS ? "assertion" : "refresh_token";
    }

    String codeParameter() {
        return dialect == Dialect.AZURE_DEVOPS ? "assertion" : "code";
    }

    /** Azure DevOps' authorize endpoint wants {@code response_type=Assertion}. */
    String responseType() {
        return dialect == Dialect.AZURE_DEVOPS ? "Assertion" : "code";
    }

    boolean redirectUriRequiredOnRefresh() {
        return dialect == Dialect.AZURE_DEVOPS;
    }

    /** GitLab and Google revoke a whole grant from either token (Doorkeeper keeps both in one record). */
    boolean accessTokenRevocationRevokesGrant() {
        return dialect == Dialect.GITLAB || dialect == Dialect.GOOGLE;
    }

    /** Google's revocation endpoint takes no client credentials; RFC 7009 and Doorkeeper want them. */
    boolean revocationAuthenticatesClient() {
        return dialect != Dialect.GOOGLE;
    }

    // ---- token responses ------------------------------------------------------------------------------------

    String defaultProviderKey() {
        switch (dialect) {
            case AZURE_DEVOPS: return "vsts";
            case ENTRA: return "entra";
            case GITLAB: return "gitlab";
            case GOOGLE: return "google";
            default: return "oauth2";
        }
    }

    /** Google never rotates; the others issue a new refresh token on every refresh. */
    boolean defaultRotation() {
        return dialect != Dialect.GOOGLE;
    }

    Duration defaultAccessTokenLifetime() {
        switch (dialect) {
            case GITLAB: return Duration.ofHours(2);
            case GENERIC: return Duration.ofHours(1);
            default: return Duration.ofSeconds(3599);
        }
    }

    /** GitLab: rotation revokes the previous access token together with the previous refresh token. */
    boolean rotationRevokesAccessTokens() {
        return dialect == Dialect.GITLAB;
    }

    String tokenType() {
        return dialect == Dialect.AZURE_DEVOPS ? "jwt-bearer" : "Bearer";
    }

    /** The token response as this vendor writes it. */
    ObjectNode tokenResponse(AuthorizationState.Issued issued, String issuer) {
        ObjectNode json = JSON.createObjectNode();
        json.put("access_token", issued.accessToken);
        json.put("token_type", tokenType());
        long expiresIn = issued.lifetime().getSeconds();
        if (dialect == Dialect.AZURE_DEVOPS) {
            json.put("expires_in", Long.toString(expiresIn)); // Azure DevOps sends a JSON string
        } else {
            json.put("expires_in", expiresIn);
        }
        if (dialect == Dialect.ENTRA) {
            json.put("ext_expires_in", expiresIn);
        }
        if (issued.refreshToken != null) {
            json.put("refresh_token", issued.refreshToken);
        }
        json.put("scope", String.join(" ", issued.scopes));
        if (dialect == Dialect.GITLAB) {
            json.put("created_at", issued.issuedAt.getEpochSecond());
        }
        if (dialect != Dialect.AZURE_DEVOPS && issued.grantedScopes.contains("openid")) {
            json.put("id_token", idToken(issued, issuer, dialect == Dialect.ENTRA));
        }
        return json;
    }

    /**
     * An OpenID Connect ID token with the claims clients read ({@code iss}, {@code sub}, {@code aud},
     * {@code iat}, {@code exp}; Entra's also {@code oid}, see {@link FakeAuthorizationServer#entraObjectId}).
     * Unsigned ({@code alg: none}): the fake proves nothing about identity.
     */
    private static String idToken(AuthorizationState.Issued issued, String issuer, boolean objectId) {
        ObjectNode header = JSON.createObjectNode().put("alg", "none").put("typ", "JWT");
        ObjectNode claims = JSON.createObjectNode()
                .put("iss", issuer)
                .put("sub", issued.userId)
                .put("aud", issued.clientId)
                .put("iat", issued.issuedAt.getEpochSecond())
                .put("exp", issued.expiresAt.getEpochSecond());
        if (objectId) {
            claims.put("oid", FakeAuthorizationServer.entraObjectId(issued.userId));
        }
        return Secrets.base64url(header.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)) + "."
                + Secrets.base64url(claims.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)) + ".";
    }

    // ---- refusals -------------------------------------------------------------------------------------------

    /** A refusal as the vendor sends it: status, error code, description. */
    record ErrorAnswer(int status, String error, String description) {
    }

    ErrorAnswer describe(Refusal r) {
        switch (dialect) {
            case ENTRA: return entra(r);
            case GITLAB: return gitlab(r);
            case GOOGLE: return google(r);
            case AZURE_DEVOPS:
                if (r.kind() == Refusal.Kind.INVALID_CLIENT || r.kind() == Refusal.Kind.UNKNOWN_CLIENT) {
                    return new ErrorAnswer(401, "invalid_client", "Failed to deserialize the JsonWebToken object.");
                }
                return generic(r);
            default: return generic(r);
        }
    }

    /** The error body: RFC 6749 §5.2 names, Azure DevOps' PascalCase, or Entra's with its extra fields. */
    ObjectNode errorBody(ErrorAnswer answer, Instant now) {
        ObjectNode json = JSON.createObjectNode();
        if (dialect == Dialect.AZURE_DEVOPS) {
            json.put("Error", answer.error());
            json.put("ErrorDescription", answer.description());
            return json;
        }
        json.put("error", answer.error());
        if (dialect != Dialect.ENTRA) {
            json.put("error_description", answer.description());
            return json;
        }
        String traceId = UUID.randomUUID().toString();
        String correlationId = UUID.randomUUID().toString();
        String timestamp = ENTRA_TIMESTAMP.format(now);
        // Entra appends trace lines with CR LF to the description; clients must cope with control characters.
        json.put("error_description", answer.description() + "\r\nTrace ID: " + traceId
                + "\r\nCorrelation ID: " + correlationId + "\r\nTimestamp: " + timestamp);
        int code = aadstsCode(answer.description());
        json.putArray("error_codes").add(code);
        json.put("timestamp", timestamp);
        json.put("trace_id", traceId);
        json.put("correlation_id", correlationId);
        json.put("error_uri", "https://login.microsoftonline.com/error?code=" + code);
        return json;
    }

    private static int aadstsCode(String description) {
        int end = description.indexOf(':');
        try {
            return Integer.parseInt(description.substring("AADSTS".length(), end));
        } catch (RuntimeException e) {
            return 0;
        }
    }

    private static ErrorAnswer generic(Refusal r) {
        switch (r.kind()) {
            case MISSING_PARAMETER:
                return new ErrorAnswer(400, "invalid_request", "Missing required parameter: " + r.detail() + ".");
            case INVALID_REQUEST: return new ErrorAnswer(400, "invalid_request", r.detail());
            case INVALID_CLIENT:
            case UNKNOWN_CLIENT: return new ErrorAnswer(401, "invalid_client", "Client authentication failed.");
            case UNSUPPORTED_GRANT_TYPE:
                return new ErrorAnswer(400, "unsupported_grant_type", "The authorization grant type is not supported.");
            case INVALID_SCOPE:
                return new ErrorAnswer(400, "invalid_scope", "The requested scope exceeds the scope granted.");
            default: return new ErrorAnswer(400, "invalid_grant", grantText(r));
        }
    }

    private static String grantText(Refusal r) {
        String what = r.grant() == Grant.CODE ? "authorization code" : "refresh token";
        switch (r.kind()) {
            case GRANT_UNKNOWN: return "The " + what + " is invalid.";
            case GRANT_REUSED: return "The " + what + " has already been used.";
            case GRANT_REVOKED: return "The " + what + " has been revoked.";
            case GRANT_EXPIRED: return "The " + what + " has expired.";
            case USER_SUSPENDED: return "The user account is suspended.";
            case CLIENT_MISMATCH: return "The " + what + " was issued to another client.";
            case REDIRECT_MISMATCH:
                return "The redirect_uri does not match the one used in the authorization request.";
            case PKCE_MISSING: return "The code_verifier is required.";
            case PKCE_MISMATCH: return "The code_verifier does not match the code_challenge.";
            case PKCE_UNEXPECTED: return "A code_verifier was sent for a code issued without a code_challenge.";
            default: return "The grant is invalid.";
        }
    }

    private ErrorAnswer entra(Refusal r) {
        switch (r.kind()) {
            case MISSING_PARAMETER:
                return new ErrorAnswer(400, "invalid_request",
                        "AADSTS900144: The request body must contain the following parameter: '" + r.detail() + "'.");
            case INVALID_REQUEST: return new ErrorAnswer(400, "invalid_request", "AADSTS900144: " + r.detail());
            case INVALID_CLIENT:
                if (r.detail() == null) {
                    return new ErrorAnswer(401, "invalid_client", "AADSTS7000218: The request body must contain the"
                            + " following parameter: 'client_assertion' or 'client_secret'.");
                }
                return new ErrorAnswer(401, "invalid_client", "AADSTS7000215: Invalid client secret provided. Ensure"
                        + " the secret being sent in the request is the client secret value, not the client secret"
                        + " ID, for a secret added to app '" + r.detail() + "'.");
            case UNKNOWN_CLIENT:
                return new ErrorAnswer(400, "unauthorized_client", "AADSTS700016: Application with identifier '"
                        + r.detail() + "' was not found in the directory '" + tenant + "'.");
            case UNSUPPORTED_GRANT_TYPE:
                return new ErrorAnswer(400, "unsupported_grant_type",
                        "AADSTS70003: The app requested an unsupported grant type '" + r.detail() + "'.");
            case INVALID_SCOPE:
                return new ErrorAnswer(400, "invalid_scope",
                        "AADSTS70011: The provided value for the input parameter 'scope' is not valid.");
            case GRANT_REUSED:
                if (r.grant() == Grant.CODE) {
                    return invalidGrant("AADSTS54005: OAuth2 Authorization code was already redeemed, please retry"
                            + " with a new valid code or use an existing refresh token.");
                }
                return invalidGrant("AADSTS70000: Provided grant is invalid or malformed.");
            case GRANT_EXPIRED:
                if (r.grant() == Grant.CODE) {
                    return invalidGrant("AADSTS70008: The provided authorization code or refresh token has expired"
                            + " due to inactivity. Send a new interactive authorization request for this user and"
                            + " resource.");
                }
                return invalidGrant("AADSTS700082: The refresh token has expired due to inactivity.");
            case GRANT_REVOKED:
                return invalidGrant("AADSTS50173: The provided grant has expired due to it being revoked, a fresh"
                        + " auth token is needed. The user might have changed or reset their password.");
            case USER_SUSPENDED: return invalidGrant("AADSTS50057: The user account is disabled.");
            case REDIRECT_MISMATCH:
                return invalidGrant("AADSTS70000: The redirect URI does not match the one used in the"
                        + " authorization request.");
            case PKCE_MISSING:
            case PKCE_MISMATCH:
                return invalidGrant("AADSTS501481: The Code_Verifier does not match the code_challenge supplied in"
                        + " the authorization request.");
            default: return invalidGrant("AADSTS70000: Provided grant is invalid or malformed.");
        }
    }

    private static ErrorAnswer gitlab(Refusal r) {
        switch (r.kind()) {
            case MISSING_PARAMETER:
                return new ErrorAnswer(400, "invalid_request", "Missing required parameter: " + r.detail() + ".");
            case INVALID_REQUEST: return new ErrorAnswer(400, "invalid_request", r.detail());
            case INVALID_CLIENT:
            case UNKNOWN_CLIENT: return new ErrorAnswer(401, "invalid_client", DOORKEEPER_INVALID_CLIENT);
            case UNSUPPORTED_GRANT_TYPE:
                return new ErrorAnswer(400, "unsupported_grant_type",
                        "The authorization grant type is not supported by the authorization server.");
            case INVALID_SCOPE:
                return new ErrorAnswer(400, "invalid_scope", "The requested scope is invalid, unknown, or malformed.");
            default: return invalidGrant(DOORKEEPER_INVALID_GRANT);
        }
    }

    private static ErrorAnswer google(Refusal r) {
        switch (r.kind()) {
            case MISSING_PARAMETER:
                return new ErrorAnswer(400, "invalid_request", "Missing required parameter: " + r.detail());
            case INVALID_REQUEST: return new ErrorAnswer(400, "invalid_request", r.detail());
            case INVALID_CLIENT: return new ErrorAnswer(401, "invalid_client", "Unauthorized");
            case UNKNOWN_CLIENT: return new ErrorAnswer(401, "invalid_client", "The OAuth client was not found.");
            case UNSUPPORTED_GRANT_TYPE:
                return new ErrorAnswer(400, "unsupported_grant_type", "Invalid grant_type: " + r.detail());
            case INVALID_SCOPE: return new ErrorAnswer(400, "invalid_scope", "Some requested scopes were invalid.");
            case CLIENT_MISMATCH: return new ErrorAnswer(400, "unauthorized_client", "Unauthorized");
            default:
                break;
        }
        if (r.grant() != Grant.CODE) {
            return invalidGrant(GOOGLE_REFRESH_REFUSED);
        }
        switch (r.kind()) {
            case REDIRECT_MISMATCH: return new ErrorAnswer(400, "redirect_uri_mismatch", "Bad Request");
            case PKCE_MISSING: return invalidGrant("Missing code verifier.");
            case PKCE_MISMATCH: return invalidGrant("Invalid code verifier.");
            default: return invalidGrant("Bad Request");
        }
    }

    private static ErrorAnswer invalidGrant(String description) {
        return new ErrorAnswer(400, "invalid_grant", description);
    }
}
