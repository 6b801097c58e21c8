package org.oauthidentity.providers.gitlab;

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
 * One GitLab instance's {@code /oauth/token}, {@code /oauth/revoke} and {@code /api/v4/user} on a loopback server.
 * {@link #approve} plays the user approving at the authorize URL: GitLab issues {@link #CODE} for that
 * authorization, bound to its PKCE challenge, and the browser comes back with it and the state. The code is
 * redeemed once, only with the matching verifier; a refresh is answered for the refresh token named in
 * {@link #answerRefreshOf}; anything else is {@code invalid_grant}. {@code GET /api/v4/user} with a bearer token
 * answers user {@link #USER_ID} (or what {@link #answerUserApi} set); a revocation is granted and its token kept.
 * Token requests ({@link #requests}), user API calls and revocations are recorded apart.
 */
final class GitLabOAuthEndpoint extends Dispatcher {
    static final String CODE = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    /** GitLab's numeric user id of the approving user, as {@code /api/v4/user} answers it. */
    static final long USER_ID = 4711;

    private final MockResponse tokens;
    private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
    private final List<RecordedRequest> userApiCalls = new CopyOnWriteArrayList<>();
    private final List<String> revokedTokens = new CopyOnWriteArrayList<>();
    private volatile MockResponse userApi = GitLabFixtures.json(200,
            "{\"id\":" + USER_ID + ",\"username\":\"alice\",\"name\":\"Alice\",\"state\":\"active\"}");
    private final AtomicBoolean redeemed = new AtomicBoolean();
    private volatile String challenge;
    private volatile String refreshToken;
    private volatile MockResponse refreshed;

    GitLabOAuthEndpoint(MockResponse tokens) {
        this.tokens = tokens;
    }

    /** The user approves the authorization at GitLab: returns the callback the browser is sent to. */
    HttpUrl approve(AuthorizationRedirect redirect) {
        HttpUrl authorize = redirect.url();
        challenge = authorize.queryParameter("code_challenge");
        return HttpUrl.get(authorize.queryParameter("redirect_uri")).newBuilder()
                .addQueryParameter("code", CODE)
                .addQueryParameter("state", redirect.state())
                .build();
    }

    void answerRefreshOf(String refreshToken, MockResponse refreshed) {
        this.refreshToken = refreshToken;
        this.refreshed = refreshed;
    }

    /** From now on {@code /api/v4/user} answers this to a request with a bearer token. */
    void answerUserApi(MockResponse answer) {
        this.userApi = answer;
    }

    /** The token requests, in order. */
    List<RecordedRequest> requests() {
        return requests;
    }

    List<RecordedRequest> userApiCalls() {
        return userApiCalls;
    }

    /** The {@code token} of each revocation, in order. */
    List<String> revokedTokens() {
        return revokedTokens;
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        String path = request.getUrl().encodedPath();
        if (path.endsWith("/api/v4/user")) {
            userApiCalls.add(request);
            String authorization = request.getHeaders().get("Authorization");
            return authorization != null && authorization.startsWith("Bearer ") ? userApi
                    : GitLabFixtures.json(401, "{\"message\":\"401 Unauthorized\"}");
        }
        if (path.endsWith("/oauth/revoke")) {
            revokedTokens.add(GitLabFixtures.form(request).get("token"));
            return GitLabFixtures.json(200, "{}");
        }
        requests.add(request);
        Map<String, String> form = GitLabFixtures.form(request);
        if ("authorization_code".equals(form.get("grant_type")) && CODE.equals(form.get("code"))
                && challenge != null && challenge.equals(s256(form.get("code_verifier")))
                && redeemed.compareAndSet(false, true)) {
            return tokens;
        }
        if ("refresh_token".equals(form.get("grant_type")) && refreshToken != null
                && refreshToken.equals(form.get("refresh_token"))) {
            return refreshed;
        }
        return GitLabFixtures.json(400, GitLabFixtures.INVALID_GRANT);
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
