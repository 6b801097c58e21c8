package org.oauthidentity.providers.gitlab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.CLIENT_ID;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.CLIENT_SECRET;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.CLOCK;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.CREATED_AT;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.CURRENT_GITLAB_TOKEN;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.NEW_ACCESS_TOKEN;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.NEW_REFRESH_TOKEN;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.NOW;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.REDIRECT_URI;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.form;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.json;
import static org.oauthidentity.providers.gitlab.GitLabOAuthEndpoint.CODE;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.authorize.AuthorizationException;
import org.oauthidentity.authorize.AuthorizationException.GrantRevocation;
import org.oauthidentity.authorize.AuthorizationException.Reason;
import org.oauthidentity.authorize.AuthorizationFlow;
import org.oauthidentity.authorize.AuthorizationRedirect;
import org.oauthidentity.authorize.InMemoryPendingAuthorizationStore;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.store.InMemoryIdentityStore;

/**
 * Linking an account on a self-managed GitLab served under a sub-path: given a provider (and flow) for that
 * instance, when a user approves, then the code is redeemed there with its PKCE verifier and the client
 * credentials in the form, and the stored identity names the instance, so its refreshes go there too.
 */
class GitLabAuthorizationTest {
    static final String KEY = "gitlab-example";
    static final String ALICE = "session-alice";
    static final String LINKED_ACCESS_TOKEN = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
    static final String LINKED_REFRESH_TOKEN = "f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f";
    /** GitLab's answer to a code exchange: expires_in, created_at a few seconds before our clock. */
    static final String LINKED_TOKEN = "{\"access_token\":\"" + LINKED_ACCESS_TOKEN + "\",\"token_type\":\"Bearer\","
            + "\"expires_in\":7200,\"refresh_token\":\"" + LINKED_REFRESH_TOKEN + "\",\"scope\":\"api read_user\","
            + "\"created_at\":" + CREATED_AT + "}";

    private final MockWebServer gitlabCom = new MockWebServer();
    private final MockWebServer selfManaged = new MockWebServer();
    private final GitLabOAuthEndpoint instance = new GitLabOAuthEndpoint(json(200, LINKED_TOKEN));
    private final InMemoryIdentityStore identities = new InMemoryIdentityStore();
    private String instanceBase;
    private AuthorizationFlow flow;

    @BeforeEach
    void start() throws Exception {
        // The other instance refuses everything at once: a request sent there fails the test fast.
        gitlabCom.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                return json(400, GitLabFixtures.INVALID_GRANT);
            }
        });
        gitlabCom.start();
        selfManaged.setDispatcher(instance);
        selfManaged.start();
        instanceBase = selfManaged.url("/gitlab/").toString();
        GitLabProvider provider = GitLabFixtures.provider(selfManaged.url("/gitlab").toString())
                .providerKey(KEY)
                .scopes("api", "read_user")
                .build();
        flow = AuthorizationFlow.builder(provider)
                .identityStore(identities)
                .pendingAuthorizations(new InMemoryPendingAuthorizationStore())
                .clock(CLOCK)
                .idGenerator(() -> "identity-gitlab")
                .build();
    }

    @AfterEach
    void stop() {
        gitlabCom.close();
        selfManaged.close();
    }

    @Test
    void theAuthorizeUrlIsTheInstancesWithTheDocumentedParametersAndPkce() throws Exception {
        AuthorizationRedirect redirect = flow.start(REDIRECT_URI, ALICE, List.of());

        HttpUrl url = redirect.url();
        assertThat(url.newBuilder().query(null).build().toString()).isEqualTo(instanceBase + "oauth/authorize");
        Map<String, String> query = query(url);
        assertThat(query).containsOnlyKeys("response_type", "client_id", "redirect_uri", "scope", "state",
                "code_challenge", "code_challenge_method");
        assertThat(query).containsEntry("response_type", "code")
                .containsEntry("client_id", CLIENT_ID)
                .containsEntry("redirect_uri", REDIRECT_URI)
                .containsEntry("scope", "api read_user")
                .containsEntry("state", redirect.state())
                .containsEntry("code_challenge_method", "S256");
        assertThat(query.get("code_challenge")).matches("[A-Za-z0-9_-]{43}");
    }

    @Test
    void linkingAnAccountStoresAnIdentityOfThatInstanceExpiringExpiresInAfterTheExchangeStarted() throws Exception {
        AuthorizationRedirect redirect = flow.start(REDIRECT_URI, ALICE, List.of());

        Identity linked = flow.complete(instance.approve(redirect), ALICE);

        assertThat(linked.id()).isEqualTo("identity-gitlab");
        assertThat(linked.version()).isEqualTo(1);
        assertThat(linked.providerKey()).isEqualTo(KEY);
        assertThat(linked.accessToken()).isEqualTo(LINKED_ACCESS_TOKEN);
        assertThat(linked.refreshToken()).contains(LINKED_REFRESH_TOKEN);
        // GitLab's created_at is 3 s before the exchange started: held to the exchange's start.
        assertThat(linked.expiresAt()).contains(NOW.plusSeconds(7200));
        assertThat(linked.scopes()).containsExactly("api", "read_user");
        assertThat(linked.extras()).containsOnly(
                Map.entry(GitLabProvider.BASE_URL_EXTRA, instanceBase),
                Map.entry("created_at", String.valueOf(CREATED_AT)));
        assertThat(identities.find("identity-gitlab")).contains(linked);
    }

    @Test
    void theCodeIsRedeemedAtTheInstanceWithItsVerifierAndTheClientCredentialsInTheForm() throws Exception {
        AuthorizationRedirect redirect = flow.start(REDIRECT_URI, ALICE, List.of());

        flow.complete(instance.approve(redirect), ALICE);

        assertThat(instance.requests()).hasSize(1);
        RecordedRequest exchange = instance.requests().get(0);
        assertThat(exchange.getMethod()).isEqualTo("POST");
        assertThat(exchange.getUrl().encodedPath()).isEqualTo("/gitlab/oauth/token");
        assertThat(exchange.getHeaders().get("Authorization")).as("no HTTP Basic: GitLab takes POST fields").isNull();
        Map<String, String> form = form(exchange);
        assertThat(GitLabOAuthEndpoint.s256(form.get("code_verifier")))
                .isEqualTo(redirect.url().queryParameter("code_challenge"));
        assertThat(form).containsExactly(
                Map.entry("grant_type", "authorization_code"),
                Map.entry("code", CODE),
                Map.entry("redirect_uri", REDIRECT_URI),
                Map.entry("code_verifier", form.get("code_verifier")),
                Map.entry("client_id", CLIENT_ID),
                Map.entry("client_secret", CLIENT_SECRET));
        assertThat(gitlabCom.getRequestCount()).isZero();
    }

    @Test
    void theLinkedAccountIsTheIdOfApiV4UserOnTheInstanceAskedWithTheNewAccessToken() throws Exception {
        AuthorizationRedirect redirect = flow.start(REDIRECT_URI, ALICE, List.of());

        Identity linked = flow.complete(instance.approve(redirect), ALICE);

        assertThat(linked.externalUserId()).contains(String.valueOf(GitLabOAuthEndpoint.USER_ID));
        assertThat(linked.ownerId()).contains(ALICE);
        assertThat(instance.userApiCalls()).hasSize(1);
        RecordedRequest who = instance.userApiCalls().get(0);
        assertThat(who.getMethod()).isEqualTo("GET");
        assertThat(who.getUrl().encodedPath()).isEqualTo("/gitlab/api/v4/user");
        assertThat(who.getHeaders().get("Authorization")).isEqualTo("Bearer " + LINKED_ACCESS_TOKEN);
        assertThat(identities.findByExternalUser(KEY, String.valueOf(GitLabOAuthEndpoint.USER_ID), ALICE))
                .contains(linked);
        assertThat(gitlabCom.getRequestCount()).isZero();
    }

    @Test
    void whenApiV4UserFailsTheLinkFailsAsAccountUnknownAndTheNewGrantIsRevoked() throws Exception {
        instance.answerUserApi(json(503, "{\"message\":\"503 Service Unavailable\"}"));
        AuthorizationRedirect redirect = flow.start(REDIRECT_URI, ALICE, List.of());

        AuthorizationException refused = catchThrowableOfType(AuthorizationException.class,
                () -> flow.complete(instance.approve(redirect), ALICE));

        assertThat(refused.reason()).isEqualTo(Reason.ACCOUNT_UNKNOWN);
        assertThat(refused.grantRevocation()).isEqualTo(GrantRevocation.REVOKED);
        assertThat(refused).hasMessageContaining("HTTP 503").hasMessageContaining("the new grant was revoked")
                .hasMessageNotContaining(LINKED_ACCESS_TOKEN).hasMessageNotContaining(LINKED_REFRESH_TOKEN)
                .hasMessageNotContaining(CLIENT_SECRET);
        assertThat(instance.revokedTokens()).containsExactly(LINKED_REFRESH_TOKEN);
        assertThat(identities.listByOwner(ALICE)).isEmpty();
        assertThat(identities.claimUnverified(Instant.MAX, NOW, 10)).isEmpty();
    }

    @Test
    void aCodeGitLabRefusesIsCodeRejectedAndStoresNothing() throws Exception {
        AuthorizationRedirect redirect = flow.start(REDIRECT_URI, ALICE, List.of());
        // The browser comes back with a code GitLab never issued for this authorization.
        HttpUrl forged = instance.approve(redirect).newBuilder().setQueryParameter("code", "not-the-code").build();

        AuthorizationException refused = catchThrowableOfType(AuthorizationException.class,
                () -> flow.complete(forged, ALICE));

        assertThat(refused.reason()).isEqualTo(Reason.CODE_REJECTED);
        assertThat(refused.vendorError()).contains("invalid_grant");
        assertThat(refused.tokenEndpointError()).containsInstanceOf(IdentityNotValid.class);
        assertThat(refused).hasMessageNotContaining(CLIENT_SECRET);
        assertThat(instance.requests()).hasSize(1);
        assertThat(identities.claimUnverified(Instant.MAX, NOW, 10)).isEmpty();
    }

    @Test
    void aLinkedIdentityIsRefreshedAtItsInstanceAfterTheDefaultChangedWhileThatInstanceIsStillConfigured()
            throws Exception {
        Identity linked = flow.complete(instance.approve(flow.start(REDIRECT_URI, ALICE, List.of())), ALICE);
        instance.answerRefreshOf(LINKED_REFRESH_TOKEN, json(200, CURRENT_GITLAB_TOKEN));
        // Later the service's provider under this key points its default at another instance, and keeps this one.
        GitLabProvider reconfigured = GitLabFixtures.provider(gitlabCom.url("/").toString()).providerKey(KEY)
                .redirectUri("https://sentry.example.com/extensions/gitlab-com/setup/")
                .instance(instanceBase, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI)
                .build();
        IdentityRefresher refresher = IdentityRefresher.builder(identities).provider(reconfigured).build();

        Identity refreshed = refresher.refresh(linked);

        assertThat(gitlabCom.getRequestCount()).isZero();
        assertThat(instance.requests()).hasSize(2);
        RecordedRequest refresh = instance.requests().get(1);
        assertThat(refresh.getUrl().encodedPath()).isEqualTo("/gitlab/oauth/token");
        assertThat(form(refresh)).containsEntry("grant_type", "refresh_token")
                .containsEntry("refresh_token", LINKED_REFRESH_TOKEN)
                .containsEntry("redirect_uri", REDIRECT_URI);
        assertThat(refreshed.accessToken()).isEqualTo(NEW_ACCESS_TOKEN);
        assertThat(refreshed.refreshToken()).contains(NEW_REFRESH_TOKEN);
        assertThat(refreshed.extras()).containsEntry(GitLabProvider.BASE_URL_EXTRA, instanceBase);
        assertThat(identities.find(linked.id())).contains(refreshed);
        assertThat(refreshed.version()).isEqualTo(2);
    }

    @Test
    void aLinkedIdentityOfAnInstanceNoLongerConfiguredIsRefusedAndNothingIsSent() throws Exception {
        Identity linked = flow.complete(instance.approve(flow.start(REDIRECT_URI, ALICE, List.of())), ALICE);
        GitLabProvider reconfigured = GitLabFixtures.provider(gitlabCom.url("/").toString()).providerKey(KEY).build();

        assertThatThrownBy(() -> reconfigured.refresh(linked))
                .isInstanceOf(ProviderConfigurationException.class)
                .satisfies(e -> assertThat(((ProviderConfigurationException) e).concernsOneIdentity()).isTrue());

        assertThat(gitlabCom.getRequestCount()).as("the secret of the new default never went there").isZero();
        assertThat(instance.requests()).as("only the code exchange").hasSize(1);
    }

    /**
     * Given one provider with two instances, each with its own application and redirect URI, and one flow: the
     * redirect URI a flow starts with picks the instance, through to the code exchange and the refreshes.
     */
    @Test
    void oneFlowLinksAtANonDefaultInstanceWithThatInstancesApplication() throws Exception {
        String otherId = "c0ffee0000000000000000000000000000000000000000000000000000000001";
        String otherSecret = "gloas-other-instance-secret-0000000000000000000000000000000000000002";
        String otherRedirect = "https://sentry.example.com/extensions/gitlab/example/setup/";
        GitLabProvider provider = GitLabFixtures.provider(gitlabCom.url("/").toString()).providerKey(KEY)
                .instance(selfManaged.url("/gitlab").toString(), otherId, otherSecret, otherRedirect)
                .build();
        AuthorizationFlow both = AuthorizationFlow.builder(provider)
                .identityStore(identities)
                .pendingAuthorizations(new InMemoryPendingAuthorizationStore())
                .clock(CLOCK)
                .idGenerator(() -> "identity-example")
                .build();

        AuthorizationRedirect atDefault = both.start(REDIRECT_URI, ALICE, List.of());
        AuthorizationRedirect atOther = both.start(otherRedirect, ALICE, List.of());
        Identity linked = both.complete(instance.approve(atOther), ALICE);

        assertThat(atDefault.url().toString()).startsWith(gitlabCom.url("/oauth/authorize").toString());
        assertThat(atDefault.url().queryParameter("client_id")).isEqualTo(CLIENT_ID);
        assertThat(atOther.url().toString()).startsWith(instanceBase + "oauth/authorize");
        assertThat(atOther.url().queryParameter("client_id")).isEqualTo(otherId);
        assertThat(form(instance.requests().get(0))).containsEntry("client_id", otherId)
                .containsEntry("client_secret", otherSecret)
                .containsEntry("redirect_uri", otherRedirect);
        assertThat(linked.extras()).containsEntry(GitLabProvider.BASE_URL_EXTRA, instanceBase);
        assertThat(linked.externalUserId()).as("user ids of two instances collide: qualified by the instance")
                .contains(GitLabOAuthEndpoint.USER_ID + "@localhost:" + selfManaged.getPort() + "/gitlab");

        instance.answerRefreshOf(LINKED_REFRESH_TOKEN, json(200, CURRENT_GITLAB_TOKEN));
        provider.refresh(linked);
        assertThat(form(instance.requests().get(1))).containsEntry("client_id", otherId)
                .containsEntry("client_secret", otherSecret)
                .containsEntry("redirect_uri", otherRedirect);
        assertThat(instance.requests()).allSatisfy(request ->
                assertThat(request.getBody().utf8()).doesNotContain(CLIENT_SECRET));
        assertThat(gitlabCom.getRequestCount()).isZero();
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
