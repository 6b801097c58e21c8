package org.oauthidentity.providers.vsts;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import okhttp3.HttpUrl;
import org.oauthidentity.authorize.AuthorizationRedirect;

/**
 * The vendor's side of linking an account, on a loopback server: {@link #approve} plays the user approving
 * at the authorize URL (the vendor issues {@link #CODE} for that authorization and the browser comes back with
 * it and the state); the token endpoint then redeems that code once, only with the PKCE verifier of the
 * challenge the authorize URL carried (none when it carried none), and answers anything else with the vendor's
 * {@code invalid_grant}. Every token request is recorded. Legacy Azure DevOps' profile
 * ({@code GET} {@link #PROFILE_PATH}) answers profile {@link #PROFILE_ID} (or what {@link #answerProfile} set) to a
 * request with a bearer token; its calls are recorded apart.
 */
final class CodeRedeemingEndpoint extends Dispatcher {
    static final String CODE = "ado-code-6f1d2c9e8b7a4f3e9d2c1b0a9f8e7d6c";
    /** Where legacy Azure DevOps says whose token it is (the path of {@code AzureDevOps.LEGACY_PROFILE_URL}). */
    static final String PROFILE_PATH = "/_apis/profile/profiles/me";
    /** The approving user's profile id, a GUID as Azure DevOps gives it. */
    static final String PROFILE_ID = "9d3c5b7a-2e41-4f6a-b8c9-0d1e2f3a4b5c";

    private final String codeField;
    private final MockResponse tokens;
    private final MockResponse invalidGrant;
    private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
    private final List<RecordedRequest> profileCalls = new CopyOnWriteArrayList<>();
    private volatile MockResponse profile = VendorFixtures.json(200, "{\"displayName\":\"Alice\",\"publicAlias\":\""
            + PROFILE_ID + "\",\"emailAddress\":\"alice@example.com\",\"coreRevision\":412,"
            + "\"timeStamp\":\"2025-04-07T09:14:58.7370000+00:00\",\"id\":\"" + PROFILE_ID + "\",\"revision\":412}");
    private final AtomicBoolean redeemed = new AtomicBoolean();
    private volatile String issuedFor;
    private volatile String challenge;
    private volatile Runnable whileAnswering = () -> { };

    /**
     * @param codeField the form field carrying the code ({@code code}, or {@code assertion} at legacy Azure DevOps)
     * @param tokens the answer to the one good redemption
     * @param invalidGrant the answer to any other
     */
    CodeRedeemingEndpoint(String codeField, MockResponse tokens, MockResponse invalidGrant) {
        this.codeField = codeField;
        this.tokens = tokens;
        this.invalidGrant = invalidGrant;
    }

    /** The user approves the authorization at the vendor: returns the callback the browser is sent to. */
    HttpUrl approve(AuthorizationRedirect redirect) {
        HttpUrl authorize = redirect.url();
        issuedFor = authorize.queryParameter("state");
        challenge = authorize.queryParameter("code_challenge");
        return HttpUrl.get(authorize.queryParameter("redirect_uri")).newBuilder()
                .addQueryParameter("code", CODE)
                .addQueryParameter("state", redirect.state())
                .build();
    }

    /** Runs while the vendor works on each token request (a clock moving on). */
    void whileAnswering(Runnable action) {
        whileAnswering = action;
    }

    /** From now on the profile answers this to a request with a bearer token. */
    void answerProfile(MockResponse answer) {
        profile = answer;
    }

    /** The token requests, in order. */
    List<RecordedRequest> requests() {
        return requests;
    }

    List<RecordedRequest> profileCalls() {
        return profileCalls;
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        if (request.getUrl().encodedPath().equals(PROFILE_PATH)) {
            profileCalls.add(request);
            String authorization = request.getHeaders().get("Authorization");
            return authorization != null && authorization.startsWith("Bearer ") ? profile
                    : VendorFixtures.json(401, "{\"message\":\"TF400813: The user is not authorized.\"}");
        }
        requests.add(request);
        whileAnswering.run();
        // toMap refuses a field sent twice: the request then fails.
        Map<String, String> form = VendorFixtures.formFields(request).stream()
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        boolean pkceOk = challenge == null ? !form.containsKey("code_verifier") : s256(form.get("code_verifier"))
                .equals(challenge);
        if (issuedFor != null && CODE.equals(form.get(codeField)) && pkceOk && redeemed.compareAndSet(false, true)) {
            return tokens;
        }
        return invalidGrant;
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
