package org.oauthidentity.testkit;

import java.time.Clock;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import org.oauthidentity.testkit.ClientRegistry.Client;
import org.oauthidentity.testkit.DialectRules.ErrorAnswer;
import org.oauthidentity.testkit.Refusal.Kind;

/**
 * The token endpoint (RFC 6749 §3.2) and the revocation endpoint (RFC 7009), in the dialect's terms. Checks
 * in the order real servers do: the request's form, the client's credentials, the grant type, the
 * grant's parameters, then the grant itself (in {@link AuthorizationState}). Stateless itself; thread-safe
 * because the state is.
 */
final class TokenEndpoint {
    private final DialectRules rules;
    private final ClientRegistry clients;
    private final AuthorizationState state;
    private final Counters counters;
    private final Clock clock;
    private final String issuer;

    TokenEndpoint(DialectRules rules, ClientRegistry clients, AuthorizationState state, Counters counters,
                  Clock clock, String issuer) {
        this.rules = rules;
        this.clients = clients;
        this.state = state;
        this.counters = counters;
        this.clock = clock;
        this.issuer = issuer;
    }

    MockResponse token(RecordedRequest request) {
        boolean basic = rules.acceptsBasic() && Http.basicCredentials(request.getHeaders().get("Authorization")) != null;
        try {
            if (!"POST".equals(request.getMethod())) {
                return Http.text(405, "text/plain", "Method Not Allowed");
            }
            if (!Form.isUrlEncoded(request)) {
                throw Refusal.invalidRequest("The request body must be application/x-www-form-urlencoded.");
            }
            Form form = Form.of(request);
            Client client = authenticate(request, form);
            String grantType = form.get("grant_type");
            AuthorizationState.Issued issued;
            if (grantType == null) {
                throw Refusal.missing("grant_type");
            } else if (grantType.equals("refresh_token")) {
                issued = refresh(client, form);
            } else if (grantType.equals(rules.codeGrantType())) {
                issued = exchangeCode(client, form);
            } else {
                throw new Refusal(Kind.UNSUPPORTED_GRANT_TYPE, Refusal.Grant.NONE, grantType);
            }
            return Http.json(200, rules.tokenResponse(issued, issuer));
        } catch (Refusal refusal) {
            return refuse(refusal, basic);
        }
    }

    MockResponse revoke(RecordedRequest request) {
        boolean basic = rules.acceptsBasic() && Http.basicCredentials(request.getHeaders().get("Authorization")) != null;
        try {
            if (!"POST".equals(request.getMethod())) {
                return Http.text(405, "text/plain", "Method Not Allowed");
            }
            Form form = Form.of(request);
            Client client = rules.revocationAuthenticatesClient() ? authenticate(request, form) : null;
            String token = form.get("token");
            if (token == null) {
                token = request.getUrl().queryParameter("token"); // Google also takes ?token=
            }
            if (token == null) {
                throw Refusal.missing("token");
            }
            boolean revoked = state.revoke(token, client, rules.accessTokenRevocationRevokesGrant());
            if (revoked) {
                counters.revocation();
            } else if (!rules.revocationAuthenticatesClient()) {
                // Google tells an unknown token apart; RFC 7009 §2.2 servers answer 200 regardless.
                return Http.json(400, DialectRules.JSON.createObjectNode()
                        .put("error", "invalid_token").put("error_description", "Token expired or revoked"));
            }
            return Http.json(200, DialectRules.JSON.createObjectNode());
        } catch (Refusal refusal) {
            return refuse(refusal, basic);
        }
    }

    /** Client authentication as the dialect does it: Basic, form body, or Azure DevOps' client assertion. */
    private Client authenticate(RecordedRequest request, Form form) throws Refusal {
        if (rules.clientAssertion()) {
            String type = form.get("client_assertion_type");
            if (type == null) {
                throw Refusal.missing("client_assertion_type");
            }
            if (!type.equals(DialectRules.JWT_BEARER_ASSERTION_TYPE)) {
                throw Refusal.invalidRequest("client_assertion_type must be " + DialectRules.JWT_BEARER_ASSERTION_TYPE);
            }
            String assertion = form.get("client_assertion");
            if (assertion == null) {
                throw Refusal.missing("client_assertion");
            }
            return clients.authenticateByAssertion(assertion);
        }
        String[] basic = rules.acceptsBasic() ? Http.basicCredentials(request.getHeaders().get("Authorization")) : null;
        String formId = form.get("client_id");
        String formSecret = form.get("client_secret");
        if (basic != null && formSecret != null) {
            // RFC 6749 §2.3: a client MUST NOT use more than one authentication method per request.
            throw Refusal.invalidRequest("The request uses more than one client authentication method.");
        }
        String id = basic != null ? basic[0] : formId;
        String secret = basic != null ? basic[1] : formSecret;
        if (id == null || secret == null) {
            throw Refusal.of(Kind.INVALID_CLIENT);
        }
        return clients.authenticate(id, secret);
    }

    private AuthorizationState.Issued refresh(Client client, Form form) throws Refusal {
        String parameter = rules.refreshTokenParameter();
        String refreshToken = form.get(parameter);
        if (refreshToken == null) {
            throw Refusal.missing(parameter);
        }
        if (rules.redirectUriRequiredOnRefresh()) {
            requireRegisteredRedirect(form);
        }
        return state.refresh(client, refreshToken, scopes(form.get("scope")), rules.rotationRevokesAccessTokens());
    }

    private AuthorizationState.Issued exchangeCode(Client client, Form form) throws Refusal {
        String parameter = rules.codeParameter();
        String code = form.get(parameter);
        if (code == null) {
            throw Refusal.missing(parameter);
        }
        String redirectUri = form.get("redirect_uri");
        if (redirectUri == null) {
            throw Refusal.missing("redirect_uri");
        }
        return state.exchangeCode(client, code, redirectUri, form.get("code_verifier"));
    }

    private void requireRegisteredRedirect(Form form) throws Refusal {
        String redirectUri = form.get("redirect_uri");
        if (redirectUri == null) {
            throw Refusal.missing("redirect_uri");
        }
        if (!clients.isRegisteredRedirect(redirectUri)) {
            throw Refusal.invalidRequest("The redirect_uri does not match a callback URL registered for the application.");
        }
    }

    private MockResponse refuse(Refusal refusal, boolean basic) {
        ErrorAnswer answer = rules.describe(refusal);
        MockResponse response = Http.json(answer.status(), rules.errorBody(answer, clock.instant()));
        if (answer.status() == 401 && basic) {
            // RFC 6749 §5.2: a 401 to a client that used Basic carries the challenge it failed.
            response = response.newBuilder().setHeader("WWW-Authenticate", "Basic realm=\"oauth\"").build();
        }
        return response;
    }

    /** Space-delimited scopes (RFC 6749 §3.3); empty for none. */
    static Set<String> scopes(String scope) {
        Set<String> scopes = new LinkedHashSet<>();
        if (scope != null) {
            Arrays.stream(scope.trim().split("\\s+")).filter(s -> !s.isEmpty()).forEach(scopes::add);
        }
        return scopes;
    }
}
