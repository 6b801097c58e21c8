package org.oauthidentity.testkit;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import okhttp3.HttpUrl;
import org.oauthidentity.testkit.ClientRegistry.Client;

/**
 * The authorization endpoint (RFC 6749 §4.1.1) with the browser and the user taken out: the user is the
 * one signed in at the fake (or named by {@code login_hint}) and approves at once, unless set to deny.
 * The answer is the redirect a browser would follow: {@code redirect_uri?code=..&state=..}, or
 * {@code ?error=access_denied&state=..}. An unknown client or an unregistered redirect URI gets an error
 * page and no redirect (RFC 6749 §4.1.2.1: never send the user to an unverified URI).
 */
final class AuthorizeEndpoint {
    private final DialectRules rules;
    private final ClientRegistry clients;
    private final AuthorizationState state;
    private final Counters counters;

    AuthorizeEndpoint(DialectRules rules, ClientRegistry clients, AuthorizationState state, Counters counters) {
        this.rules = rules;
        this.clients = clients;
        this.state = state;
        this.counters = counters;
    }

    MockResponse authorize(RecordedRequest request) {
        if (!"GET".equals(request.getMethod())) {
            return Http.text(405, "text/plain", "Method Not Allowed");
        }
        HttpUrl url = request.getUrl();
        Client client = clients.byIdOrNull(url.queryParameter("client_id"));
        if (client == null) {
            return errorPage("The client_id is unknown.");
        }
        String redirectUri = url.queryParameter("redirect_uri");
        List<String> registered = clients.redirectUris();
        if (redirectUri == null && registered.size() == 1) {
            redirectUri = registered.get(0); // RFC 6749 §3.1.2.3: optional when only one is registered
        }
        if (!clients.isRegisteredRedirect(redirectUri)) {
            return errorPage("The redirect_uri is not registered for this client.");
        }
        String st = url.queryParameter("state");
        if (!rules.responseType().equals(url.queryParameter("response_type"))) {
            return redirect(redirectUri, "error", "unsupported_response_type", st);
        }
        String challenge = url.queryParameter("code_challenge");
        String method = url.queryParameter("code_challenge_method");
        if ((challenge == null) != (method == null) || (method != null && !method.equals("S256"))) {
            return redirect(redirectUri, "error", "invalid_request", st);
        }
        String user = url.queryParameter("login_hint");
        if (user == null || user.isBlank()) {
            user = state.signedInUser();
        }
        if (user == null) {
            return redirect(redirectUri, "error", "login_required", st);
        }
        String code = state.approveIfConsenting(client, user, redirectUri, challenge,
                TokenEndpoint.scopes(url.queryParameter("scope")));
        if (code == null) {
            return redirect(redirectUri, "error", "access_denied", st);
        }
        counters.authorization();
        return redirect(redirectUri, "code", code, st);
    }

    private static MockResponse redirect(String redirectUri, String name, String value, String state) {
        Map<String, String> query = new LinkedHashMap<>();
        query.put(name, value);
        query.put("state", state);
        return new MockResponse.Builder()
                .code(302)
                .setHeader("Location", Http.withQuery(redirectUri, query))
                .setHeader("Cache-Control", "no-store")
                .body("")
                .build();
    }

    private static MockResponse errorPage(String message) {
        return Http.text(400, "text/html; charset=utf-8",
                "<!DOCTYPE html><html><head><title>Authorization error</title></head><body><p>"
                        + message + "</p></body></html>");
    }
}
