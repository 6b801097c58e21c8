package org.oauthidentity.providers.vsts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.oauthidentity.providers.vsts.CodeRedeemingEndpoint.CODE;
import static org.oauthidentity.providers.vsts.VendorFixtures.LEGACY_CLIENT_SECRET;
import static org.oauthidentity.providers.vsts.VendorFixtures.LEGACY_TOKEN;
import static org.oauthidentity.providers.vsts.VendorFixtures.NEW_ACCESS_TOKEN;
import static org.oauthidentity.providers.vsts.VendorFixtures.NEW_REFRESH_TOKEN;
import static org.oauthidentity.providers.vsts.VendorFixtures.NOW;
import static org.oauthidentity.providers.vsts.VendorFixtures.REDIRECT_URI;
import static org.oauthidentity.providers.vsts.VendorFixtures.field;
import static org.oauthidentity.providers.vsts.VendorFixtures.formFields;
import static org.oauthidentity.providers.vsts.VendorFixtures.json;
import static org.oauthidentity.providers.vsts.VendorFixtures.query;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
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
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.store.InMemoryIdentityStore;
import org.oauthidentity.testing.ManualClock;

/**
 * Linking an Azure DevOps account through the legacy OAuth endpoint: given an app with its App ID, Client
 * Secret and callback URL, when a user approves, then the code is redeemed as a jwt-bearer assertion and the
 * store holds a rotating identity named by the user's profile id; a refused code, or a profile that cannot be
 * read, stores nothing.
 */
class LegacyAuthorizationTest {
    static final String APP_ID = "8B4A3D2E-5F60-4A1B-9C8D-7E6F5A4B3C2D";
    static final String ALICE = "session-alice";
    /** Azure DevOps spells its errors Error/ErrorDescription. */
    static final String INVALID_GRANT = "{\"Error\":\"invalid_grant\",\"ErrorDescription\":\"The authorization code"
            + " is invalid or has already been used.\"}";

    private final ManualClock clock = ManualClock.at(NOW);
    private final InMemoryIdentityStore identities = new InMemoryIdentityStore();
    private final InMemoryPendingAuthorizationStore pending = new InMemoryPendingAuthorizationStore();
    private final AtomicInteger ids = new AtomicInteger();
    private final CodeRedeemingEndpoint azureDevOps = new CodeRedeemingEndpoint("assertion",
            json(200, LEGACY_TOKEN), json(400, INVALID_GRANT));
    private MockWebServer server;

    @BeforeEach
    void startVendor() throws Exception {
        server = new MockWebServer();
        server.setDispatcher(azureDevOps);
        server.start();
    }

    @AfterEach
    void stopVendor() {
        server.close();
    }

    private AzureDevOps.LegacyBuilder legacy() {
        return AzureDevOps.legacy()
                .appId(APP_ID)
                .clientSecret(LEGACY_CLIENT_SECRET)
                .redirectUri(REDIRECT_URI)
                .scope("vso.code vso.project")
                .tokenUrl(server.url("/oauth2/token").toString())
                .profileUrl(server.url(CodeRedeemingEndpoint.PROFILE_PATH + "?api-version=7.1").toString())
                .clock(clock);
    }

    private AuthorizationFlow flow(OAuth2Provider provider) {
        return AuthorizationFlow.builder(provider)
                .identityStore(identities)
                .pendingAuthorizations(pending)
                .clock(clock)
                .idGenerator(() -> "identity-" + ids.incrementAndGet())
                .build();
    }

    @Test
    void theAuthorizeUrlAsksForAnAssertionWithTheAppIdAndCarriesNoPkce() throws Exception {
        AuthorizationRedirect redirect = flow(legacy().build()).start(REDIRECT_URI, ALICE, List.of());

        HttpUrl url = redirect.url();
        assertThat(url.newBuilder().query(null).build().toString()).isEqualTo(AzureDevOps.LEGACY_AUTHORIZATION_URL);
        assertThat(query(url)).containsOnly(
                Map.entry("client_id", APP_ID),
                Map.entry("response_type", "Assertion"),
                Map.entry("state", redirect.state()),
                Map.entry("scope", "vso.code vso.project"),
                Map.entry("redirect_uri", REDIRECT_URI));
        assertThat(redirect.expiresAt()).isEqualTo(NOW.plus(Duration.ofMinutes(10)));
    }

    @Test
    void scopesNamedByTheFlowReplaceTheConfiguredOnes() throws Exception {
        AuthorizationRedirect redirect = flow(legacy().build())
                .start(REDIRECT_URI, ALICE, List.of("vso.code_write", "vso.work"));

        assertThat(redirect.url().queryParameter("scope")).isEqualTo("vso.code_write vso.work");
    }

    @Test
    void linkingAnAccountStoresARotatingIdentityExpiringAtRequestStartPlusTheStringExpiresIn() throws Exception {
        AuthorizationFlow flow = flow(legacy().authorizationUrl(server.url("/oauth2/authorize").toString()).build());
        azureDevOps.whileAnswering(() -> clock.advance(Duration.ofSeconds(4))); // expiry counts from the request
        AuthorizationRedirect redirect = flow.start(REDIRECT_URI, ALICE, List.of());
        assertThat(redirect.url().encodedPath()).isEqualTo("/oauth2/authorize");

        Identity linked = flow.complete(azureDevOps.approve(redirect), ALICE);

        assertThat(linked.id()).isEqualTo("identity-1");
        assertThat(linked.version()).isEqualTo(1);
        assertThat(linked.providerKey()).isEqualTo(AzureDevOps.LEGACY_KEY);
        assertThat(linked.accessToken()).isEqualTo(NEW_ACCESS_TOKEN);
        assertThat(linked.refreshToken()).contains(NEW_REFRESH_TOKEN);
        assertThat(linked.expiresAt()).contains(NOW.plusSeconds(3599));
        assertThat(linked.tokenType()).as("jwt-bearer is stored as Bearer, which the REST API takes")
                .isEqualTo("Bearer");
        assertThat(linked.scopes()).containsExactly("vso.code", "vso.project", "vso.work_write");
        assertThat(linked.extras()).isEmpty();
        assertThat(identities.find("identity-1")).contains(linked);
    }

    @Test
    void theCodeIsRedeemedAsAJwtBearerAssertionWithExactlyFiveFieldsAndNoBasicAuthentication() throws Exception {
        AuthorizationFlow flow = flow(legacy().build());
        AuthorizationRedirect redirect = flow.start(REDIRECT_URI, ALICE, List.of());

        flow.complete(azureDevOps.approve(redirect), ALICE);

        assertThat(azureDevOps.requests()).hasSize(1);
        RecordedRequest exchange = azureDevOps.requests().get(0);
        assertThat(exchange.getMethod()).isEqualTo("POST");
        assertThat(exchange.getUrl().encodedPath()).isEqualTo("/oauth2/token");
        assertThat(exchange.getHeaders().get("Authorization")).isNull();
        assertThat(formFields(exchange)).containsExactly(
                field("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                field("client_assertion", LEGACY_CLIENT_SECRET),
                field("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                field("assertion", CODE),
                field("redirect_uri", REDIRECT_URI));
    }

    @Test
    void theLinkedAccountIsTheProfileIdAskedWithTheNewAccessToken() throws Exception {
        AuthorizationFlow flow = flow(legacy().build());

        Identity linked = flow.complete(azureDevOps.approve(flow.start(REDIRECT_URI, ALICE, List.of())), ALICE);

        assertThat(linked.externalUserId()).contains(CodeRedeemingEndpoint.PROFILE_ID);
        assertThat(linked.ownerId()).contains(ALICE);
        assertThat(azureDevOps.profileCalls()).hasSize(1);
        RecordedRequest who = azureDevOps.profileCalls().get(0);
        assertThat(who.getMethod()).isEqualTo("GET");
        assertThat(who.getUrl().queryParameter("api-version")).isEqualTo("7.1");
        assertThat(who.getHeaders().get("Authorization")).isEqualTo("Bearer " + NEW_ACCESS_TOKEN);
        assertThat(identities.findByExternalUser(AzureDevOps.LEGACY_KEY, CodeRedeemingEndpoint.PROFILE_ID, ALICE))
                .contains(linked);
    }

    @Test
    void aProfileThatCannotBeReadFailsTheLinkAsAccountUnknownAndSaysTheGrantStaysActive() throws Exception {
        azureDevOps.answerProfile(json(503, "{\"message\":\"Service Unavailable\"}"));
        AuthorizationFlow flow = flow(legacy().build());
        AuthorizationRedirect redirect = flow.start(REDIRECT_URI, ALICE, List.of());

        AuthorizationException refused = catchThrowableOfType(AuthorizationException.class,
                () -> flow.complete(azureDevOps.approve(redirect), ALICE));

        assertThat(refused.reason()).isEqualTo(Reason.ACCOUNT_UNKNOWN);
        assertThat(refused).hasMessageContaining("HTTP 503").hasMessageContaining("cannot revoke grants")
                .hasMessageNotContaining(NEW_ACCESS_TOKEN).hasMessageNotContaining(NEW_REFRESH_TOKEN);
        assertThat(refused.grantRevocation()).isEqualTo(GrantRevocation.NOT_REVOCABLE);
        assertThat(storedIdentities()).isEmpty();
    }

    @Test
    void aCodeAzureDevOpsRefusesIsCodeRejectedAndStoresNothing() throws Exception {
        AuthorizationFlow flow = flow(legacy().build());
        // The first authorization redeems the code; a second callback carrying the same code is refused.
        flow.complete(azureDevOps.approve(flow.start(REDIRECT_URI, ALICE, List.of())), ALICE);
        AuthorizationRedirect second = flow.start(REDIRECT_URI, ALICE, List.of());

        AuthorizationException refused = catchThrowableOfType(AuthorizationException.class,
                () -> flow.complete(azureDevOps.approve(second), ALICE));

        assertThat(refused.reason()).isEqualTo(Reason.CODE_REJECTED);
        assertThat(refused.vendorError()).contains("invalid_grant");
        assertThat(refused.tokenEndpointError()).containsInstanceOf(IdentityNotValid.class);
        assertThat(refused).hasMessageNotContaining(CODE).hasMessageNotContaining(LEGACY_CLIENT_SECRET);
        assertThat(azureDevOps.requests()).hasSize(2);
        assertThat(storedIdentities()).extracting(Identity::id).containsExactly("identity-1");
    }

    @Test
    void withoutAnAppIdNoAuthorizationStartsAndNothingIsRecorded() {
        // Refreshes need no App ID (LegacyRefreshTest builds without one); linking an account does.
        AuthorizationFlow flow = flow(legacy().appId(null).build());

        AuthorizationException refused = catchThrowableOfType(AuthorizationException.class,
                () -> flow.start(REDIRECT_URI, ALICE, List.of()));

        assertThat(refused.reason()).isEqualTo(Reason.CONFIGURATION);
        assertThat(refused).hasMessageContaining("client id");
        assertThat(pending.purgeExpired(Instant.MAX)).isZero();
    }

    @Test
    void anAuthorizationThroughAnotherCallbackUrlIsRefusedBeforeAnythingIsRecorded() {
        // Every refresh repeats the registered callback URL: an identity linked through another could not refresh.
        AuthorizationFlow flow = flow(legacy().build());

        assertThatThrownBy(() -> flow.start("https://app.example.com/other/callback", ALICE, List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(REDIRECT_URI);
        assertThat(pending.purgeExpired(Instant.MAX)).isZero();
    }

    @Test
    void aBlankAppIdIsRefusedWhenBuilding() {
        assertThatThrownBy(() -> legacy().appId(" ").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("appId");
    }

    private List<Identity> storedIdentities() {
        return identities.claimUnverified(Instant.MAX, clock.instant(), 100);
    }
}
