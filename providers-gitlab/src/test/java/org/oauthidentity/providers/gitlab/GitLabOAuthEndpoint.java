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
 * One GitLab instance's {@code /oauth/token} on a loopback server. {@link #approve} plays the user approving
 * at the authorize URL: GitLab issues {@link #CODE} for that authorization, bound to its PKCE challenge, and
 * the browser comes back with it and the state. The code is redeemed once, only with the matching verifier;
 * a refresh is answered for the refresh token named in {@link #answerRefreshOf}; anything else is
 * {@code invalid_grant}. Every request is recorded.
 */
final class GitLabOAuthEndpoint extends Dispatcher {
    static final String CODE = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private final MockResponse tokens;
    private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
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

    List<RecordedRequest> requests() {
        return requests;
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
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
