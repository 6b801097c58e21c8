package org.oauthidentity.providers.vsts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.oauthidentity.providers.vsts.CodeRedeemingEndpoint.CODE;
import static org.oauthidentity.providers.vsts.VendorFixtures.ENTRA_CLIENT_ID;
import static org.oauthidentity.providers.vsts.VendorFixtures.ENTRA_CLIENT_SECRET;
import static org.oauthidentity.providers.vsts.VendorFixtures.ENTRA_NEW_ACCESS_TOKEN;
import static org.oauthidentity.providers.vsts.VendorFixtures.ENTRA_NEW_REFRESH_TOKEN;
import static org.oauthidentity.providers.vsts.VendorFixtures.ENTRA_TENANT;
import static org.oauthidentity.providers.vsts.VendorFixtures.ENTRA_LINKED_TOKEN;
import static org.oauthidentity.providers.vsts.VendorFixtures.ENTRA_OBJECT_ID;
import static org.oauthidentity.providers.vsts.VendorFixtures.ENTRA_SUBJECT;
import static org.oauthidentity.providers.vsts.VendorFixtures.ENTRA_TOKEN;
import static org.oauthidentity.providers.vsts.VendorFixtures.NOW;
import static org.oauthidentity.providers.vsts.VendorFixtures.REDIRECT_URI;
import static org.oauthidentity.providers.vsts.VendorFixtures.entraError;
import static org.oauthidentity.providers.vsts.VendorFixtures.field;
import static org.oauthidentity.providers.vsts.VendorFixtures.formFields;
import static org.oauthidentity.providers.vsts.VendorFixtures.json;
import static org.oauthidentity.providers.vsts.VendorFixtures.query;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
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
 * Linking an Azure DevOps account through Microsoft Entra ID: given an Entra app, when a user approves, then
 * the code is redeemed with its PKCE verifier, the scope (with offline_access and openid) and the client
 * credentials in the form, and the store holds a rotating identity named by the id_token's oid; a refused code,
 * or an answer without an id_token, stores nothing.
 */
class EntraAuthorizationTest {
    static final String ALICE = "session-alice";
    static final String TENANT_PATH = "/" + ENTRA_TENANT + "/oauth2/v2.0/";

    private final ManualClock clock = ManualClock.at(NOW);
    private final InMemoryIdentityStore identities = new InMemoryIdentityStore();
    private final CodeRedeemingEndpoint entra = entra(ENTRA_LINKED_TOKEN);
    private MockWebServer server;
    private AuthorizationFlow flow;

    @BeforeEach
    void startVendor() throws Exception {
        server = new MockWebServer();
        server.setDispatcher(entra);
        server.start();
        flow = AuthorizationFlow.builder(AzureDevOps.entra(ENTRA_TENANT)
                        .clientId(ENTRA_CLIENT_ID)
                        .clientSecret(ENTRA_CLIENT_SECRET)
                        .authorityHost(server.url("/").toString())
                        .clock(clock)
                        .build())
                .identityStore(identities)
                .pendingAuthorizations(new InMemoryPendingAuthorizationStore())
                .clock(clock)
                .idGenerator(() -> "identity-entra")
                .build();
    }

    @AfterEach
    void stopVendor() {
        server.close();
    }

    /** Entra redeeming the code once with this answer, then refusing it as already redeemed. */
    private static CodeRedeemingEndpoint entra(String tokens) {
        return new CodeRedeemingEndpoint("code", json(200, tokens), json(400, entraError("invalid_grant", 54005,
                "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an"
                        + " existing refresh token.")));
    }

    @Test
    void theAuthorizeUrlIsTheTenantsV2EndpointWithQueryResponseModeTheDevOpsScopeAndPkce() throws Exception {
        AuthorizationRedirect redirect = flow.start(REDIRECT_URI, ALICE, List.of());

        assertThat(redirect.url().encodedPath()).isEqualTo(TENANT_PATH + "authorize");
        Map<String, String> query = query(redirect.url());
        assertThat(query).containsOnlyKeys("client_id", "response_type", "redirect_uri", "response_mode", "scope",
                "state", "code_challenge", "code_challenge_method");
        assertThat(query).containsEntry("client_id", ENTRA_CLIENT_ID)
                .containsEntry("response_type", "code")
                .containsEntry("redirect_uri", REDIRECT_URI)
                .containsEntry("response_mode", "query")
                .containsEntry("scope", "499b84ac-1321-427f-aa17-267ca6975798/.default offline_access openid")
                .containsEntry("state", redirect.state())
                .containsEntry("code_challenge_method", "S256");
        assertThat(query.get("code_challenge")).matches("[A-Za-z0-9_-]{43}");
    }

    @Test
    void offlineAccessAndOpenidAreAddedToScopesThatLackThemOrElseEntraIssuesNoRefreshTokenNorIdToken() throws Exception {
        AuthorizationRedirect redirect = flow.start(REDIRECT_URI, ALICE,
                List.of("499b84ac-1321-427f-aa17-267ca6975798/vso.code"));

        assertThat(redirect.url().queryParameter("scope"))
                .isEqualTo("499b84ac-1321-427f-aa17-267ca6975798/vso.code offline_access openid");
        flow.complete(entra.approve(redirect), ALICE);
        assertThat(formFields(entra.requests().get(0)))
                .contains(field("scope", "499b84ac-1321-427f-aa17-267ca6975798/vso.code offline_access openid"));
    }

    @Test
    void linkingAnAccountStoresARotatingIdentityExpiringAtRequestStartPlusExpiresIn() throws Exception {
        entra.whileAnswering(() -> clock.advance(Duration.ofSeconds(3)));
        AuthorizationRedirect redirect = flow.start(REDIRECT_URI, ALICE, List.of());

        Identity linked = flow.complete(entra.approve(redirect), ALICE);

        assertThat(linked.id()).isEqualTo("identity-entra");
        assertThat(linked.version()).isEqualTo(1);
        assertThat(linked.providerKey()).isEqualTo(AzureDevOps.ENTRA_KEY);
        assertThat(linked.accessToken()).isEqualTo(ENTRA_NEW_ACCESS_TOKEN);
        assertThat(linked.refreshToken()).contains(ENTRA_NEW_REFRESH_TOKEN);
        assertThat(linked.expiresAt()).contains(NOW.plusSeconds(4377));
        assertThat(linked.tokenType()).isEqualTo("Bearer");
        assertThat(linked.scopes()).containsExactly("499b84ac-1321-427f-aa17-267ca6975798/user_impersonation");
        assertThat(linked.extras()).containsEntry("ext_expires_in", "4377");
        assertThat(identities.find("identity-entra")).contains(linked);
    }

    @Test
    void theCodeIsRedeemedWithItsVerifierTheScopeAndTheClientCredentialsInTheForm() throws Exception {
        AuthorizationRedirect redirect = flow.start(REDIRECT_URI, ALICE, List.of());

        flow.complete(entra.approve(redirect), ALICE);

        assertThat(entra.requests()).hasSize(1);
        RecordedRequest exchange = entra.requests().get(0);
        assertThat(exchange.getMethod()).isEqualTo("POST");
        assertThat(exchange.getUrl().encodedPath()).isEqualTo(TENANT_PATH + "token");
        assertThat(exchange.getHeaders().get("Authorization")).isNull();
        List<Map.Entry<String, String>> form = formFields(exchange);
        String verifier = form.stream().filter(f -> f.getKey().equals("code_verifier")).findFirst()
                .orElseThrow().getValue();
        assertThat(CodeRedeemingEndpoint.s256(verifier)).isEqualTo(redirect.url().queryParameter("code_challenge"));
        assertThat(form).containsExactly(
                field("grant_type", "authorization_code"),
                field("code", CODE),
                field("redirect_uri", REDIRECT_URI),
                field("code_verifier", verifier),
                field("scope", "499b84ac-1321-427f-aa17-267ca6975798/.default offline_access openid"),
                field("client_id", ENTRA_CLIENT_ID),
                field("client_secret", ENTRA_CLIENT_SECRET));
    }

    @Test
    void theLinkedAccountIsTheObjectIdOfTheIdTokenOfTheExchange() throws Exception {
        AuthorizationRedirect redirect = flow.start(REDIRECT_URI, ALICE, List.of());

        Identity linked = flow.complete(entra.approve(redirect), ALICE);

        assertThat(linked.externalUserId()).as("oid, not the per-application sub").contains(ENTRA_OBJECT_ID);
        assertThat(linked.ownerId()).contains(ALICE);
        assertThat(identities.findByExternalUser(AzureDevOps.ENTRA_KEY, ENTRA_OBJECT_ID, ALICE)).contains(linked);
    }

    @Test
    void anIdTokenWithoutAnOidIsNamedByItsSub() throws Exception {
        CodeRedeemingEndpoint subOnly = entra(ENTRA_TOKEN.substring(0, ENTRA_TOKEN.length() - 1) + ",\"id_token\":\""
                + VendorFixtures.idToken("{\"sub\":\"" + ENTRA_SUBJECT + "\",\"ver\":\"2.0\"}") + "\"}");
        server.setDispatcher(subOnly);

        Identity linked = flow.complete(subOnly.approve(flow.start(REDIRECT_URI, ALICE, List.of())), ALICE);

        assertThat(linked.externalUserId()).contains(ENTRA_SUBJECT);
    }

    @Test
    void anExchangeAnsweredWithoutAnIdTokenFailsAsAccountUnknownSayingSoAndStoresNothing() throws Exception {
        CodeRedeemingEndpoint noIdToken = entra(ENTRA_TOKEN);
        server.setDispatcher(noIdToken);
        AuthorizationRedirect redirect = flow.start(REDIRECT_URI, ALICE, List.of());

        AuthorizationException refused = catchThrowableOfType(AuthorizationException.class,
                () -> flow.complete(noIdToken.approve(redirect), ALICE));

        assertThat(refused.reason()).isEqualTo(Reason.ACCOUNT_UNKNOWN);
        assertThat(refused).hasMessageContaining("no id_token").hasMessageContaining("'openid'")
                .hasMessageNotContaining(ENTRA_NEW_ACCESS_TOKEN).hasMessageNotContaining(ENTRA_NEW_REFRESH_TOKEN);
        // Entra has no endpoint to revoke one grant: the error says that it stays active.
        assertThat(refused.grantRevocation()).isEqualTo(GrantRevocation.NOT_REVOCABLE);
        assertThat(refused).hasMessageContaining("cannot revoke grants");
        assertThat(identities.listByOwner(ALICE)).isEmpty();
        assertThat(identities.claimUnverified(Instant.MAX, clock.instant(), 10)).isEmpty();
    }

    @Test
    void aRedeemedCodeIsCodeRejectedWithItsAadstsCodeAndStoresNothing() throws Exception {
        flow.complete(entra.approve(flow.start(REDIRECT_URI, ALICE, List.of())), ALICE);
        identities.delete("identity-entra");
        AuthorizationRedirect again = flow.start(REDIRECT_URI, ALICE, List.of());

        AuthorizationException refused = catchThrowableOfType(AuthorizationException.class,
                () -> flow.complete(entra.approve(again), ALICE));

        assertThat(refused.reason()).isEqualTo(Reason.CODE_REJECTED);
        assertThat(refused.tokenEndpointError()).containsInstanceOf(IdentityNotValid.class);
        assertThat(refused.tokenEndpointError().flatMap(e -> e.errorSubtype())).contains("AADSTS54005");
        assertThat(refused).hasMessageNotContaining(CODE).hasMessageNotContaining(ENTRA_CLIENT_SECRET);
        assertThat(identities.claimUnverified(Instant.MAX, clock.instant(), 10)).isEmpty();
    }
}
