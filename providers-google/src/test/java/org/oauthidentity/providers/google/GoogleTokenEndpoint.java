package org.oauthidentity.providers.google;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import okhttp3.HttpUrl;
import org.oauthidentity.authorize.AuthorizationRedirect;

/**
 * oauth2.googleapis.com/token on a loopback server, for code exchanges. {@link #approve} plays the user
 * consenting at the authorize URL: Google issues {@link #CODE}, bound to the PKCE challenge, and the browser
 * comes back with it and the state. The code is redeemed once, only with the matching verifier; anything else
 * gets Google's {@code invalid_grant}. Every token request is recorded; {@code /revoke} is granted and its
 * token kept ({@link #revokedTokens}).
 */
final class GoogleTokenEndpoint extends Dispatcher {
    /** Google's codes look like this: "4/0A" and about seventy URL-safe characters. */
    static final String CODE = "4/0AeaYSHBq3xN8yK2mL7pQ4rT9vW1zC6dF0gJ5hK8nP3sU7xA2bE4iM6oR9tY1wQ";

    private final MockResponse tokens;
    private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
    private final List<String> revokedTokens = new CopyOnWriteArrayList<>();
    private final AtomicBoolean redeemed = new AtomicBoolean();
    private volatile String challenge;
    private volatile Runnable whileAnswering = () -> { };

    GoogleTokenEndpoint(MockResponse tokens) {
        this.tokens = tokens;
    }

    /** The user consents at Google: returns the callback the browser is sent to. */
    HttpUrl approve(AuthorizationRedirect redirect) {
        HttpUrl authorize = redirect.url();
        challenge = authorize.queryParameter("code_challenge");
        return HttpUrl.get(authorize.queryParameter("redirect_uri")).newBuilder()
                .addQueryParameter("state", redirect.state())
                .addQueryParameter("code", CODE)
                .addQueryParameter("scope", authorize.queryParameter("scope"))
                .build();
    }

    /** Runs while Google works on each token request (a clock moving on). */
    void whileAnswering(Runnable action) {
        whileAnswering = action;
    }

    /** The token requests, in order. */
    List<RecordedRequest> requests() {
        return requests;
    }

    /** The {@code token} of each revocation, in order. */
    List<String> revokedTokens() {
        return revokedTokens;
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        if (request.getUrl().encodedPath().equals("/revoke")) {
            revokedTokens.add(GoogleFixtures.form(request).get("token"));
            return new MockResponse.Builder().code(200).build();
        }
        requests.add(request);
        whileAnswering.run();
        Map<String, String> form = GoogleFixtures.form(request);
        if ("authorization_code".equals(form.get("grant_type")) && CODE.equals(form.get("code"))
                && challenge != null && challenge.equals(s256(form.get("code_verifier")))
                && redeemed.compareAndSet(false, true)) {
            return tokens;
        }
        return GoogleFixtures.json(400, GoogleFixtures.error("invalid_grant", "Bad Request"));
    }

    static String s256(String verifier) {
        if (verifier == null) {
            return "";
        }
        try {
            return Base64.getUrlEncoder().withoutPadding().encodeToString(
                    MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
