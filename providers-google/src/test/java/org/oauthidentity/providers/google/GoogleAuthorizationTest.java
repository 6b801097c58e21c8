package org.oauthidentity.providers.google;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.oauthidentity.providers.google.GoogleFixtures.CLIENT_ID;
import static org.oauthidentity.providers.google.GoogleFixtures.CLIENT_SECRET;
import static org.oauthidentity.providers.google.GoogleFixtures.ID_TOKEN;
import static org.oauthidentity.providers.google.GoogleFixtures.NEW_ACCESS_TOKEN;
import static org.oauthidentity.providers.google.GoogleFixtures.NOW;
import static org.oauthidentity.providers.google.GoogleFixtures.REFRESH_TOKEN;
import static org.oauthidentity.providers.google.GoogleFixtures.form;
import static org.oauthidentity.providers.google.GoogleFixtures.json;
import static org.oauthidentity.providers.google.GoogleTokenEndpoint.CODE;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.authorize.AuthorizationException;
import org.oauthidentity.authorize.AuthorizationException.GrantRevocation;
import org.oauthidentity.authorize.AuthorizationException.Reason;
import org.oauthidentity.authorize.AuthorizationFlow;
import org.oauthidentity.authorize.AuthorizationRedirect;
import org.oauthidentity.authorize.InMemoryPendingAuthorizationStore;
import org.oauthidentity.store.InMemoryIdentityStore;
import org.oauthidentity.testing.ManualClock;

/**
 * Linking a Google account: given a Google web client, when a user consents, then the authorization asked
 * for offline access with a consent prompt (so a refresh token is issued), the code is redeemed with its
 * PKCE verifier and the client credentials in the form, and the store holds an identity with the refresh
 * token, the id_token and the account's {@code sub} as external user id; a refused code stores nothing.
 */
class GoogleAuthorizationTest {
    static final String ALICE = "session-alice";
    static final String REDIRECT_URI = "https://app.example.com/oauth/google/callback";
    static final String SCOPE = "openid email https://www.googleapis.com/auth/userinfo.profile";
    /** The first exchange of an offline grant with consent: a refresh token, and an id_token for openid. */
    static final String LINKED_TOKEN = "{\n  \"access_token\": \"" + NEW_ACCESS_TOKEN + "\",\n  \"expires_in\": 3599,\n"
            + "  \"refresh_token\": \"" + REFRESH_TOKEN + "\",\n  \"scope\": \"" + SCOPE + "\",\n"
            + "  \"token_type\": \"Bearer\",\n  \"id_token\": \"" + ID_TOKEN + "\"\n}";

    private final ManualClock clock = ManualClock.at(NOW);
    private final InMemoryIdentityStore identities = new InMemoryIdentityStore();
    private final MockWebServer server = new MockWebServer();
    private GoogleTokenEndpoint google;

    @BeforeEach
    void start() throws Exception {
        google = new GoogleTokenEndpoint(json(200, LINKED_TOKEN));
        server.setDispatcher(google);
        server.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private AuthorizationFlow flow(GoogleProvider provider) {
        return AuthorizationFlow.builder(provider)
                .identityStore(identities)
                .pendingAuthorizations(new InMemoryPendingAuthorizationStore())
                .clock(clock)
                .idGenerator(() -> "identity-google")
                .build();
    }

    private AuthorizationFlow flow() {
        return flow(GoogleFixtures.provider(server).clock(clock).build());
    }

    @Test
    void theAuthorizeUrlAsksForOfflineAccessWithAConsentPromptAndPkce() throws Exception {
        AuthorizationRedirect redirect = flow().start(REDIRECT_URI, ALICE, List.of(SCOPE.split(" ")));

        HttpUrl url = redirect.url();
        assertThat(url.newBuilder().query(null).build().toString()).isEqualTo(GoogleProvider.AUTHORIZATION_URL);
        Map<String, String> query = query(url);
        assertThat(query).containsOnlyKeys("response_type", "client_id", "redirect_uri", "scope", "state",
                "code_challenge", "code_challenge_method", "access_type", "prompt", "include_granted_scopes");
        assertThat(query).containsEntry("response_type", "code")
                .containsEntry("client_id", CLIENT_ID)
                .containsEntry("redirect_uri", REDIRECT_URI)
                .containsEntry("scope", SCOPE)
                .containsEntry("state", redirect.state())
                .containsEntry("code_challenge_method", "S256")
                .containsEntry("access_type", "offline")
                .containsEntry("prompt", "consent")
                .containsEntry("include_granted_scopes", "true");
        assertThat(query.get("code_challenge")).matches("[A-Za-z0-9_-]{43}");
    }

    @Test
    void withoutScopesTheAuthorizationAsksForTheConfiguredOnes() throws Exception {
        assertThat(flow().start(REDIRECT_URI, ALICE, List.of()).url().queryParameter("scope"))
                .isEqualTo("openid email");
        GoogleProvider drive = GoogleFixtures.provider(server).scopes("https://www.googleapis.com/auth/drive.file")
                .authorizationUrl(server.url("/o/oauth2/v2/auth").toString()).build();

        HttpUrl url = flow(drive).start(REDIRECT_URI, ALICE, List.of()).url();

        assertThat(url.queryParameter("scope")).isEqualTo("https://www.googleapis.com/auth/drive.file");
        assertThat(url.host()).isEqualTo(server.getHostName());
        assertThat(url.encodedPath()).isEqualTo("/o/oauth2/v2/auth");
    }

    @Test
    void linkingAnAccountStoresTheRefreshTokenTheIdTokenAndTheAccountsSub() throws Exception {
        google.whileAnswering(() -> clock.advance(Duration.ofSeconds(2))); // expiry counts from the request
        AuthorizationFlow flow = flow();
        AuthorizationRedirect redirect = flow.start(REDIRECT_URI, ALICE, List.of(SCOPE.split(" ")));

        Identity linked = flow.complete(google.approve(redirect), ALICE);

        assertThat(linked.id()).isEqualTo("identity-google");
        assertThat(linked.version()).isEqualTo(1);
        assertThat(linked.providerKey()).isEqualTo(GoogleProvider.DEFAULT_PROVIDER_KEY);
        assertThat(linked.accessToken()).isEqualTo(NEW_ACCESS_TOKEN);
        assertThat(linked.refreshToken()).contains(REFRESH_TOKEN);
        assertThat(linked.expiresAt()).contains(NOW.plusSeconds(3599));
        assertThat(linked.tokenType()).isEqualTo("Bearer");
        assertThat(linked.scopes()).containsExactly(SCOPE.split(" "));
        assertThat(linked.extras()).containsOnly(Map.entry(GoogleProvider.ID_TOKEN_EXTRA, ID_TOKEN));
        // The sub claim, read without checking the signature: a label for the account, not a proof.
        assertThat(linked.externalUserId()).contains("110169484474386276334");
        assertThat(linked.ownerId()).contains(ALICE);
        assertThat(identities.findByExternalUser(GoogleProvider.DEFAULT_PROVIDER_KEY, "110169484474386276334", ALICE))
                .contains(linked);
        assertThat(identities.find("identity-google")).contains(linked);
    }

    @Test
    void anExchangeWithoutOpenidHasNoIdTokenSoTheLinkFailsAsAccountUnknownAndTheNewGrantIsRevoked()
            throws Exception {
        String noIdToken = "{\n  \"access_token\": \"" + NEW_ACCESS_TOKEN + "\",\n  \"expires_in\": 3599,\n"
                + "  \"refresh_token\": \"" + REFRESH_TOKEN + "\",\n"
                + "  \"scope\": \"https://www.googleapis.com/auth/drive.file\",\n  \"token_type\": \"Bearer\"\n}";
        google = new GoogleTokenEndpoint(json(200, noIdToken));
        server.setDispatcher(google);
        AuthorizationFlow flow = flow();
        AuthorizationRedirect redirect = flow.start(REDIRECT_URI, ALICE,
                List.of("https://www.googleapis.com/auth/drive.file"));

        AuthorizationException refused = catchThrowableOfType(AuthorizationException.class,
                () -> flow.complete(google.approve(redirect), ALICE));

        assertThat(refused.reason()).isEqualTo(Reason.ACCOUNT_UNKNOWN);
        assertThat(refused).hasMessageContaining("no id_token").hasMessageContaining("'openid'")
                .hasMessageContaining("the new grant was revoked")
                .hasMessageNotContaining(NEW_ACCESS_TOKEN).hasMessageNotContaining(REFRESH_TOKEN);
        assertThat(refused.grantRevocation()).isEqualTo(GrantRevocation.REVOKED);
        assertThat(google.revokedTokens()).containsExactly(REFRESH_TOKEN);
        assertThat(identities.listByOwner(ALICE)).isEmpty();
    }

    @Test
    void theCodeIsRedeemedWithItsVerifierAndTheClientCredentialsInTheForm() throws Exception {
        AuthorizationFlow flow = flow();
        AuthorizationRedirect redirect = flow.start(REDIRECT_URI, ALICE, List.of());

        flow.complete(google.approve(redirect), ALICE);

        assertThat(google.requests()).hasSize(1);
        RecordedRequest exchange = google.requests().get(0);
        assertThat(exchange.getMethod()).isEqualTo("POST");
        assertThat(exchange.getUrl().encodedPath()).isEqualTo("/token");
        assertThat(exchange.getHeaders().get("Authorization")).as("no HTTP Basic").isNull();
        Map<String, String> form = form(exchange);
        assertThat(GoogleTokenEndpoint.s256(form.get("code_verifier")))
                .isEqualTo(redirect.url().queryParameter("code_challenge"));
        assertThat(form).containsOnlyKeys("grant_type", "code", "redirect_uri", "code_verifier", "client_id",
                "client_secret");
        assertThat(form).containsEntry("grant_type", "authorization_code")
                .containsEntry("code", CODE)
                .containsEntry("redirect_uri", REDIRECT_URI)
                .containsEntry("client_id", CLIENT_ID)
                .containsEntry("client_secret", CLIENT_SECRET);
    }

    @Test
    void aCodeGoogleRefusesIsCodeRejectedAndStoresNothing() throws Exception {
        AuthorizationFlow flow = flow();
        flow.complete(google.approve(flow.start(REDIRECT_URI, ALICE, List.of())), ALICE);
        identities.delete("identity-google");
        // A second authorization comes back with the code already redeemed.
        AuthorizationRedirect again = flow.start(REDIRECT_URI, ALICE, List.of());

        AuthorizationException refused = catchThrowableOfType(AuthorizationException.class,
                () -> flow.complete(google.approve(again), ALICE));

        assertThat(refused.reason()).isEqualTo(Reason.CODE_REJECTED);
        assertThat(refused.vendorError()).contains("invalid_grant");
        assertThat(refused.tokenEndpointError()).containsInstanceOf(IdentityNotValid.class);
        assertThat(refused).hasMessageNotContaining(CODE).hasMessageNotContaining(CLIENT_SECRET);
        assertThat(google.requests()).hasSize(2);
        assertThat(identities.claimUnverified(Instant.MAX, clock.instant(), 10)).isEmpty();
    }

    private static Map<String, String> query(HttpUrl url) {
        Map<String, String> query = new LinkedHashMap<>();
        for (int i = 0; i < url.querySize(); i++) {
            if (query.put(url.queryParameterName(i), url.queryParameterValue(i)) != null) {
                throw new AssertionError("query parameter sent twice: " + url.queryParameterName(i));
            }
        }
        return query;
    }
}
