package org.oauthidentity.testkit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import org.oauthidentity.testkit.AuthorizationState.Access;

/**
 * A protected resource (RFC 6750): any path under {@code /api/}, any method. 200 with a small JSON about the
 * token's user for a current access token; 401 with {@code WWW-Authenticate: Bearer error="invalid_token"}
 * for an expired (by the injected clock), revoked, unknown or suspended user's token, and a bare challenge
 * when no token came.
 */
final class ApiEndpoint {
    private final AuthorizationState state;
    private final Counters counters;

    ApiEndpoint(AuthorizationState state, Counters counters) {
        this.state = state;
        this.counters = counters;
    }

    MockResponse call(RecordedRequest request) {
        MockResponse response = answer(request);
        counters.apiCall(response.getCode());
        return response;
    }

    private MockResponse answer(RecordedRequest request) {
        String token = Http.bearerToken(request.getHeaders().get("Authorization"));
        if (token == null) {
            return new MockResponse.Builder()
                    .code(401)
                    .setHeader("WWW-Authenticate", "Bearer realm=\"api\"")
                    .setHeader("Content-Type", "application/json; charset=utf-8")
                    .body("{\"error\":\"unauthorized\"}")
                    .build();
        }
        Access access = state.checkAccess(token);
        String why;
        switch (access.verdict()) {
            case OK:
                ObjectNode user = DialectRules.JSON.createObjectNode()
                        .put("id", access.userId())
                        .put("username", access.userId())
                        .put("client_id", access.clientId())
                        .put("scope", String.join(" ", access.scopes()));
                return Http.json(200, user);
            case EXPIRED: why = "The access token expired"; break;
            case REVOKED: why = "The access token was revoked"; break;
            case SUSPENDED: why = "The user account is suspended"; break;
            default: why = "The access token is invalid"; break;
        }
        return new MockResponse.Builder()
                .code(401)
                .setHeader("WWW-Authenticate",
                        "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"" + why + "\"")
                .setHeader("Content-Type", "application/json; charset=utf-8")
                .body(DialectRules.JSON.createObjectNode().put("error", "invalid_token")
                        .put("error_description", why).toString())
                .build();
    }
}
