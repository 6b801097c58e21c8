package org.oauthidentity.authorize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.MockResponse;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.IdentityStoreException;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.TransientRefreshException;
import org.oauthidentity.authorize.AuthorizationException.Reason;
import org.oauthidentity.oauth2.ClientAuthentication;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.oauth2.OAuth2Settings;
import org.oauthidentity.store.InMemoryIdentityStore;
import org.oauthidentity.testing.ManualClock;

/**
 * Linking an account end to end: the flow starts, the user's "browser" visits the fake vendor's authorize
 * endpoint on a real loopback server and is redirected back, the flow completes against the vendor's token
 * endpoint. Time comes from a mutable clock.
 */
class AuthorizationFlowTest {
    private static final Instant T0 = Instant.parse("2024-05-01T10:00:00Z");
    private static final String ALICE = "session-alice";
    private static final String MALLORY = "session-mallory";

    private final ManualClock clock = ManualClock.at(T0);
    private final InMemoryIdentityStore identities = new InMemoryIdentityStore();
    private final InMemoryPendingAuthorizationStore pending = new InMemoryPendingAuthorizationStore();
    private final AtomicInteger ids = new AtomicInteger();
    private FakeVendor vendor;
    private AuthorizationFlow flow;

    @BeforeEach
    void setUp() throws Exception {
        vendor = new FakeVendor(clock);
        flow = flowFor(provider(settings().build()));
    }

    @AfterEach
    void tearDown() {
        vendor.close();
    }

    @Test
    void linkingAnAccountStoresTheIdentityWithExpiryAndRefreshToken() throws Exception {
        vendor.exchangeLatency(Duration.ofSeconds(5)); // the expiry must count from the request's start

        AuthorizationRedirect redirect = flow.start(FakeVendor.REDIRECT_URI, ALICE, List.of("read", "write"));
        HttpUrl callback = vendor.visit(redirect.url());
        Identity linked = flow.complete(callback, ALICE);

        assertThat(linked.id()).isEqualTo("identity-1");
        assertThat(linked.version()).isEqualTo(1);
        assertThat(linked.providerKey()).isEqualTo("example");
        assertThat(linked.accessToken()).startsWith("access-token-1-");
        assertThat(linked.refreshToken()).hasValueSatisfying(rt -> assertThat(rt).startsWith("refresh-token-1-"));
        assertThat(linked.expiresAt()).contains(T0.plusSeconds(FakeVendor.EXPIRES_IN));
        assertThat(linked.scopes()).containsExactly("read", "write");
        assertThat(linked.extra("id_token")).contains("header.payload-1.signature");
        assertThat(identities.find("identity-1")).contains(linked);

        // The vendor saw one exchange, with the code it issued, our redirect URI and the verifier of the
        // challenge it saw (it refuses a mismatch, so getting tokens proves the match).
        assertThat(vendor.tokenRequests()).isEqualTo(1);
        Map<String, String> form = vendor.tokenForms().get(0);
        assertThat(form).containsEntry("grant_type", "authorization_code")
                .containsEntry("code", callback.queryParameter("code"))
                .containsEntry("redirect_uri", FakeVendor.REDIRECT_URI)
                .doesNotContainKeys("client_secret", "client_id");
        assertThat(FakeVendor.pkceMatches(form.get("code_verifier"), redirect.url().queryParameter("code_challenge")))
                .isTrue();
        assertThat(pending.size()).isZero();
    }

    @Test
    void replayedCallbackIsRejectedAndCreatesNoSecondIdentity() throws Exception {
        HttpUrl callback = vendor.visit(flow.start(FakeVendor.REDIRECT_URI, ALICE, List.of()).url());
        flow.complete(callback, ALICE);

        AuthorizationException replay = refused(() -> flow.complete(callback, ALICE));

        assertThat(replay.reason()).isEqualTo(Reason.INVALID_STATE);
        assertThat(vendor.tokenRequests()).isEqualTo(1);
        assertThat(storedIdentityCount()).isEqualTo(1);
    }

    @Test
    void twoCallbacksWithOneStateAtOnceLetExactlyOneThrough() throws Exception {
        int rounds = 50;
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < rounds; round++) {
                HttpUrl callback = vendor.visit(flow.start(FakeVendor.REDIRECT_URI, ALICE, List.of()).url());
                // Released together from a spin, so both are on a CPU at the same moment.
                AtomicInteger arrived = new AtomicInteger();
                List<Future<Object>> outcomes = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    outcomes.add(threads.submit(() -> {
                        arrived.incrementAndGet();
                        while (arrived.get() < 2) {
                            Thread.onSpinWait();
                        }
                        try {
                            return flow.complete(callback, ALICE);
                        } catch (AuthorizationException e) {
                            return e.reason();
                        }
                    }));
                }
                List<Object> results = new ArrayList<>();
                for (Future<Object> outcome : outcomes) {
                    results.add(outcome.get(30, TimeUnit.SECONDS));
                }
                assertThat(results).filteredOn(r -> r instanceof Identity).hasSize(1);
                assertThat(results).filteredOn(r -> !(r instanceof Identity)).containsExactly(Reason.INVALID_STATE);
            }
        } finally {
            threads.shutdownNow();
        }
        assertThat(vendor.tokenRequests()).isEqualTo(rounds);
        assertThat(storedIdentityCount()).isEqualTo(rounds);
    }

    @Test
    void stateFromAnotherSessionIsRejectedAndSpent() throws Exception {
        HttpUrl callback = vendor.visit(flow.start(FakeVendor.REDIRECT_URI, ALICE, List.of()).url());

        AuthorizationException stolen = refused(() -> flow.complete(callback, MALLORY));
        // A callback presented by the wrong owner has leaked: it is burnt for the right owner too.
        AuthorizationException afterwards = refused(() -> flow.complete(callback, ALICE));

        assertThat(stolen.reason()).isEqualTo(Reason.OWNER_MISMATCH);
        assertThat(afterwards.reason()).isEqualTo(Reason.INVALID_STATE);
        assertThat(vendor.tokenRequests()).isZero();
        assertThat(storedIdentityCount()).isZero();
    }

    @Test
    void callbackAfterTheTtlIsRejected() throws Exception {
        AuthorizationRedirect redirect = flow.start(FakeVendor.REDIRECT_URI, ALICE, List.of());
        HttpUrl callback = vendor.visit(redirect.url());
        assertThat(redirect.expiresAt()).isEqualTo(T0.plus(Duration.ofMinutes(10)));

        clock.advance(Duration.ofMinutes(10));
        AuthorizationException late = refused(() -> flow.complete(callback, ALICE));

        assertThat(late.reason()).isEqualTo(Reason.INVALID_STATE);
        assertThat(vendor.tokenRequests()).isZero();
        assertThat(storedIdentityCount()).isZero();
    }

    @Test
    void callbackJustBeforeTheTtlSucceeds() throws Exception {
        HttpUrl callback = vendor.visit(flow.start(FakeVendor.REDIRECT_URI, ALICE, List.of()).url());

        clock.advance(Duration.ofMinutes(10).minusMillis(1));
        Identity linked = flow.complete(callback, ALICE);

        assertThat(identities.find(linked.id())).isPresent();
    }

    @Test
    void aShorterTtlIsEnforcedByTheFlowEvenWhenTheStoreStillHoldsTheRecord() throws Exception {
        AuthorizationFlow patient = flowFor(provider(settings().build()));
        AuthorizationFlow strict = AuthorizationFlow.builder(provider(settings().build())).identityStore(identities)
                .pendingAuthorizations(pending).clock(clock).ttl(Duration.ofMinutes(2)).build();
        HttpUrl callback = vendor.visit(patient.start(FakeVendor.REDIRECT_URI, ALICE, List.of()).url());

        clock.advance(Duration.ofMinutes(3));
        AuthorizationException late = refused(() -> strict.complete(callback, ALICE));

        assertThat(late.reason()).isEqualTo(Reason.INVALID_STATE);
        assertThat(vendor.tokenRequests()).isZero();
    }

    @Test
    void userDenyingAccessIsATypedErrorWithTheVendorsDescription() throws Exception {
        vendor.denyNextAuthorization("access_denied", "The user denied the request.");
        HttpUrl callback = vendor.visit(flow.start(FakeVendor.REDIRECT_URI, ALICE, List.of()).url());

        AuthorizationException denied = refused(() -> flow.complete(callback, ALICE));
        AuthorizationException replay = refused(() -> flow.complete(callback, ALICE));

        assertThat(denied.reason()).isEqualTo(Reason.ACCESS_DENIED);
        assertThat(denied.vendorError()).contains("access_denied");
        assertThat(denied.vendorErrorDescription()).contains("The user denied the request.");
        assertThat(denied).hasMessageContaining("access_denied").hasMessageContaining("The user denied the request.");
        assertThat(replay.reason()).isEqualTo(Reason.INVALID_STATE);
        assertThat(vendor.tokenRequests()).isZero();
        assertThat(storedIdentityCount()).isZero();
    }

    @Test
    void otherCallbackErrorsAreVendorOrConfigurationErrors() throws Exception {
        vendor.denyNextAuthorization("invalid_scope", "Unknown scope 'admin'.");
        vendor.denyNextAuthorization("unauthorized_client", null);
        HttpUrl scope = vendor.visit(flow.start(FakeVendor.REDIRECT_URI, ALICE, List.of("admin")).url());
        HttpUrl client = vendor.visit(flow.start(FakeVendor.REDIRECT_URI, ALICE, List.of()).url());

        AuthorizationException scopeError = refused(() -> flow.complete(scope, ALICE));
        AuthorizationException clientError = refused(() -> flow.complete(client, ALICE));

        assertThat(scopeError.reason()).isEqualTo(Reason.VENDOR_ERROR);
        assertThat(scopeError.vendorError()).contains("invalid_scope");
        assertThat(scopeError.vendorErrorDescription()).contains("Unknown scope 'admin'.");
        assertThat(clientError.reason()).isEqualTo(Reason.CONFIGURATION);
        assertThat(clientError.vendorErrorDescription()).isEmpty();
        assertThat(storedIdentityCount()).isZero();
    }

    @Test
    void codeThatExpiredAtTheVendorIsRejectedAndNothingIsStored() throws Exception {
        HttpUrl callback = vendor.visit(flow.start(FakeVendor.REDIRECT_URI, ALICE, List.of()).url());
        vendor.expireIssuedCodes();

        AuthorizationException rejected = refused(() -> flow.complete(callback, ALICE));

        assertThat(rejected.reason()).isEqualTo(Reason.CODE_REJECTED);
        assertThat(rejected.vendorError()).contains("invalid_grant");
        assertThat(rejected.tokenEndpointError()).containsInstanceOf(IdentityNotValid.class);
        assertThat(rejected.tokenEndpointError().get().httpStatus()).isEqualTo(400);
        // The vendor echoed the code in its description: it never reaches our message.
        assertThat(rejected.getMessage()).contains("<withheld: it echoed a credential>").doesNotContain(callback.queryParameter("code"));
        assertThat(vendor.tokenRequests()).isEqualTo(1);
        assertThat(storedIdentityCount()).isZero();
    }

    @Test
    void codeRedeemedByAnotherPartyFirstIsRejected() throws Exception {
        // Another flow instance with its own pending store got the same code first (a leaked callback).
        AuthorizationFlow other = AuthorizationFlow.builder(provider(settings().build())).identityStore(identities)
                .pendingAuthorizations(pending).clock(clock).idGenerator(() -> "other").build();
        HttpUrl callback = vendor.visit(flow.start(FakeVendor.REDIRECT_URI, ALICE, List.of()).url());
        String code = callback.queryParameter("code");
        HttpUrl leaked = vendor.visit(other.start(FakeVendor.REDIRECT_URI, ALICE, List.of()).url())
                .newBuilder().setQueryParameter("code", code).build();
        // The thief would also need the verifier; here the flow is honest, so the vendor checks it for 'other'.
        AuthorizationException first = refused(() -> other.complete(leaked, ALICE));

        AuthorizationException second = refused(() -> flow.complete(callback, ALICE));

        assertThat(first.reason()).isEqualTo(Reason.CODE_REJECTED); // wrong verifier: the code is burnt at the vendor
        assertThat(second.reason()).isEqualTo(Reason.CODE_REJECTED); // already used
        // The vendor quoted the code in its description, so the description is withheld whole.
        assertThat(second.vendorErrorDescription()).contains("<withheld: it echoed a credential>");
        assertThat(vendor.tokenRequests()).isEqualTo(2);
        assertThat(storedIdentityCount()).isZero();
    }

    @Test
    void rejectedClientCredentialsAreAConfigurationError() throws Exception {
        AuthorizationFlow misconfigured = flowFor(provider(settings().clientSecret("wrong-secret-value").build()));
        HttpUrl callback = vendor.visit(misconfigured.start(FakeVendor.REDIRECT_URI, ALICE, List.of()).url());

        AuthorizationException e = refused(() -> misconfigured.complete(callback, ALICE));

        assertThat(e.reason()).isEqualTo(Reason.CONFIGURATION);
        assertThat(e.vendorError()).contains("invalid_client");
        assertThat(e.tokenEndpointError()).containsInstanceOf(ProviderConfigurationException.class);
        assertThat(e.getMessage()).doesNotContain("wrong-secret-value");
        assertThat(storedIdentityCount()).isZero();
    }

    @Test
    void bareUnauthorizedFromTheTokenEndpointIsAConfigurationError() throws Exception {
        HttpUrl callback = vendor.visit(flow.start(FakeVendor.REDIRECT_URI, ALICE, List.of()).url());
        vendor.answerNextTokenRequest(new MockResponse.Builder().code(401).build());

        AuthorizationException e = refused(() -> flow.complete(callback, ALICE));

        assertThat(e.reason()).isEqualTo(Reason.CONFIGURATION);
        assertThat(storedIdentityCount()).isZero();
    }

    @Test
    void tokenEndpointOutageIsUnavailableWithRetryAfter() throws Exception {
        HttpUrl callback = vendor.visit(flow.start(FakeVendor.REDIRECT_URI, ALICE, List.of()).url());
        vendor.answerNextTokenRequest(new MockResponse.Builder().code(503).addHeader("Retry-After", "30").build());

        AuthorizationException e = refused(() -> flow.complete(callback, ALICE));

        assertThat(e.reason()).isEqualTo(Reason.UNAVAILABLE);
        assertThat(e.tokenEndpointError()).containsInstanceOf(TransientRefreshException.class);
        assertThat(((TransientRefreshException) e.tokenEndpointError().get()).retryAfter())
                .contains(Duration.ofSeconds(30));
        assertThat(storedIdentityCount()).isZero();
    }

    @Test
    void aPendingStoreThatFailsIsUnavailableAtStartAndAtCompletionAndNothingIsExchangedOrStored() throws Exception {
        HttpUrl callback = vendor.visit(flow.start(FakeVendor.REDIRECT_URI, ALICE, List.of()).url());
        IdentityStoreException down = new IdentityStoreException("the store is down");
        AuthorizationFlow overFailingStore = AuthorizationFlow.builder(provider(settings().build()))
                .identityStore(identities)
                .pendingAuthorizations(new PendingAuthorizationStore() {
                    @Override
                    public void put(String key, PendingAuthorization authorization, Instant expiresAt) {
                        throw down;
                    }

                    @Override
                    public Optional<PendingAuthorization> consume(String key, Instant now) {
                        throw down;
                    }

                    @Override
                    public int purgeExpired(Instant now) {
                        throw down;
                    }
                })
                .clock(clock)
                .build();

        AuthorizationException atStart = refused(() -> overFailingStore.start(FakeVendor.REDIRECT_URI, ALICE, List.of()));
        AuthorizationException atCompletion = refused(() -> overFailingStore.complete(callback, ALICE));

        for (AuthorizationException e : List.of(atStart, atCompletion)) {
            assertThat(e.reason()).isEqualTo(Reason.UNAVAILABLE);
            assertThat(e.getCause()).isSameAs(down);
            assertThat(e.tokenEndpointError()).isEmpty();
            assertThat(e.grantRevocation()).isEqualTo(AuthorizationException.GrantRevocation.NO_GRANT);
        }
        assertThat(vendor.tokenRequests()).isZero();
        assertThat(storedIdentityCount()).isZero();
    }

    @Test
    void otherStructuredRefusalIsExchangeRejected() throws Exception {
        HttpUrl callback = vendor.visit(flow.start(FakeVendor.REDIRECT_URI, ALICE, List.of()).url());
        vendor.answerNextTokenRequest(new MockResponse.Builder().code(400)
                .body("{\"error\": \"invalid_request\", \"error_description\": \"Missing parameter.\"}").build());

        AuthorizationException e = refused(() -> flow.complete(callback, ALICE));

        assertThat(e.reason()).isEqualTo(Reason.EXCHANGE_REJECTED);
        assertThat(e.vendorError()).contains("invalid_request");
        assertThat(storedIdentityCount()).isZero();
    }

    @Test
    void callbackWithoutStateOrCodeOrWithRepeatedParametersIsRefused() throws Exception {
        AuthorizationRedirect redirect = flow.start(FakeVendor.REDIRECT_URI, ALICE, List.of());
        HttpUrl callback = vendor.visit(redirect.url());

        AuthorizationException noState = refused(() -> flow.complete(Map.of("code", "anything"), ALICE));
        HttpUrl injected = callback.newBuilder().addQueryParameter("code", "injected-code").build();
        AuthorizationException repeated = refused(() -> flow.complete(injected, ALICE));
        AuthorizationException noCode = refused(() -> flow.complete(Map.of("state", redirect.state()), ALICE));

        assertThat(noState.reason()).isEqualTo(Reason.INVALID_STATE);
        assertThat(repeated.reason()).isEqualTo(Reason.MALFORMED_CALLBACK);
        assertThat(noCode.reason()).isEqualTo(Reason.MALFORMED_CALLBACK);
        assertThat(vendor.tokenRequests()).isZero();
        assertThat(pending.size()).isZero(); // the state with no code was spent
    }

    @Test
    void authorizeUrlCarriesStatePkceAndTheRightParameters() throws Exception {
        AuthorizationRedirect redirect = flow.start(FakeVendor.REDIRECT_URI, ALICE, List.of("read", "write"));
        HttpUrl url = redirect.url();

        assertThat(url.encodedPath()).isEqualTo("/authorize");
        assertThat(url.queryParameter("response_type")).isEqualTo("code");
        assertThat(url.queryParameter("client_id")).isEqualTo(FakeVendor.CLIENT_ID);
        assertThat(url.queryParameter("redirect_uri")).isEqualTo(FakeVendor.REDIRECT_URI);
        assertThat(url.queryParameter("scope")).isEqualTo("read write");
        assertThat(url.queryParameter("state")).isEqualTo(redirect.state());
        assertThat(url.queryParameter("code_challenge_method")).isEqualTo("S256");
        assertThat(url.queryParameter("code_challenge")).matches("[A-Za-z0-9_-]{43}"); // 256-bit digest, base64url
        assertThat(url.queryParameterNames()).doesNotContain("client_secret");
    }

    @Test
    void noScopesMeansTheProvidersDefaultScopes() throws Exception {
        HttpUrl url = flow.start(FakeVendor.REDIRECT_URI, ALICE, List.of()).url();
        Identity linked = flow.complete(vendor.visit(url), ALICE);

        assertThat(url.queryParameter("scope")).isEqualTo("profile");
        assertThat(linked.scopes()).containsExactly("profile");
    }

    @Test
    void statesCarryAtLeast128BitsAndNeverRepeat() throws Exception {
        Set<String> states = new HashSet<>();
        Set<String> challenges = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            AuthorizationRedirect redirect = flow.start(FakeVendor.REDIRECT_URI, ALICE, List.of());
            assertThat(redirect.state()).matches("[A-Za-z0-9_-]+");
            assertThat(Base64.getUrlDecoder().decode(redirect.state()).length * 8).isGreaterThanOrEqualTo(128);
            states.add(redirect.state());
            challenges.add(redirect.url().queryParameter("code_challenge"));
        }
        assertThat(states).hasSize(2000);
        assertThat(challenges).hasSize(2000);
    }

    @Test
    void providerWithoutPkceSendsNeitherChallengeNorVerifier() throws Exception {
        OAuth2Provider noPkce = new OAuth2Provider(settings().build()) {
            @Override
            public boolean supportsPkce() {
                return false;
            }
        };
        AuthorizationFlow plain = flowFor(noPkce);
        HttpUrl url = plain.start(FakeVendor.REDIRECT_URI, ALICE, List.of()).url();

        Identity linked = plain.complete(vendor.visit(url), ALICE);

        assertThat(url.queryParameterNames()).doesNotContain("code_challenge", "code_challenge_method");
        assertThat(vendor.tokenForms().get(0)).doesNotContainKey("code_verifier");
        assertThat(identities.find(linked.id())).isPresent();
    }

    @Test
    void vendorHooksAddAuthorizationParameters() throws Exception {
        // What a Google module does so that a refresh token is issued.
        OAuth2Provider offline = new OAuth2Provider(settings().build()) {
            @Override
            protected Map<String, String> authorizationParameters(AuthorizationRequest request) {
                Map<String, String> query = super.authorizationParameters(request);
                query.put("access_type", "offline");
                query.put("prompt", "consent");
                return query;
            }
        };
        AuthorizationFlow google = flowFor(offline);

        HttpUrl url = google.start(FakeVendor.REDIRECT_URI, ALICE, List.of()).url();
        Identity linked = google.complete(vendor.visit(url), ALICE);

        assertThat(url.queryParameter("access_type")).isEqualTo("offline");
        assertThat(url.queryParameter("prompt")).isEqualTo("consent");
        assertThat(url.queryParameter("code_challenge")).isNotNull();
        assertThat(linked.refreshToken()).isPresent();
    }

    @Test
    void publicClientIdentifiesItselfWithClientIdInTheForm() throws Exception {
        vendor.publicClient();
        AuthorizationFlow publicFlow = flowFor(provider(settings().clientSecret(null)
                .clientAuthentication(ClientAuthentication.NONE).build()));

        Identity linked = publicFlow.complete(
                vendor.visit(publicFlow.start(FakeVendor.REDIRECT_URI, ALICE, List.of()).url()), ALICE);

        assertThat(vendor.tokenForms().get(0)).containsEntry("client_id", FakeVendor.CLIENT_ID)
                .doesNotContainKey("client_secret");
        assertThat(identities.find(linked.id())).isPresent();
    }

    @Test
    void callbackMayLandOnAnotherFlowInstanceSharingTheStores() throws Exception {
        AuthorizationFlow secondInstance = flowFor(provider(settings().build()));
        HttpUrl callback = vendor.visit(flow.start(FakeVendor.REDIRECT_URI, ALICE, List.of()).url());

        Identity linked = secondInstance.complete(callback, ALICE);

        assertThat(identities.find(linked.id())).isPresent();
    }

    @Test
    void aFlowForAnotherProviderCannotSpendThisProvidersState() throws Exception {
        AuthorizationFlow otherProvider = flowFor(provider(settings().providerKey("other").build()));
        HttpUrl callback = vendor.visit(flow.start(FakeVendor.REDIRECT_URI, ALICE, List.of()).url());

        AuthorizationException wrongFlow = refused(() -> otherProvider.complete(callback, ALICE));
        Identity linked = flow.complete(callback, ALICE);

        assertThat(wrongFlow.reason()).isEqualTo(Reason.INVALID_STATE);
        assertThat(linked.providerKey()).isEqualTo("example");
    }

    @Test
    void providerWithoutAuthorizationUrlCannotStartAndRecordsNothing() {
        AuthorizationFlow refreshOnly = flowFor(provider(settings().authorizationUrl(null).build()));

        AuthorizationException e = refused(() -> refreshOnly.start(FakeVendor.REDIRECT_URI, ALICE, List.of()));

        assertThat(e.reason()).isEqualTo(Reason.CONFIGURATION);
        assertThat(pending.size()).isZero();
    }

    @Test
    void redirectUriMustBeAbsoluteWithoutFragmentAndSecure() throws Exception {
        assertThatThrownBy(() -> flow.start("/callback", ALICE, List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> flow.start("https://app.example/cb#frag", ALICE, List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> flow.start("http://app.example/cb", ALICE, List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> flow.start(FakeVendor.REDIRECT_URI, " ", List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(pending.size()).isZero();

        // Loopback and a native app's custom scheme are fine.
        flow.start("http://127.0.0.1:8080/cb", ALICE, List.of());
        flow.start("com.example.app:/oauth2redirect", ALICE, List.of());
        assertThat(pending.size()).isEqualTo(2);
    }

    @Test
    void expiredPendingAuthorizationsArePurgedByALaterStart() throws Exception {
        for (int i = 0; i < 20; i++) {
            flow.start(FakeVendor.REDIRECT_URI, ALICE, List.of());
        }
        assertThat(pending.size()).isEqualTo(20);

        clock.advance(Duration.ofMinutes(10));
        flow.start(FakeVendor.REDIRECT_URI, ALICE, List.of());

        assertThat(pending.size()).isEqualTo(1);
    }

    @Test
    void noStateVerifierCodeOrTokenInToStringsOrMessages() throws Exception {
        List<String> printed = new CopyOnWriteArrayList<>();
        AuthorizationRedirect redirect = flow.start(FakeVendor.REDIRECT_URI, ALICE, List.of("read"));
        HttpUrl callback = vendor.visit(redirect.url());
        printed.add(redirect.toString());
        printed.add(pending.toString());
        printed.add(flow.toString());
        Identity linked = flow.complete(callback, ALICE);
        printed.add(linked.toString());
        String verifier = vendor.tokenForms().get(0).get("code_verifier");

        // Failures that involve the same state and code, one of them with both echoed by the vendor.
        printed.add(refused(() -> flow.complete(callback, ALICE)).getMessage());
        vendor.denyNextAuthorization("access_denied", "denied");
        AuthorizationRedirect denied = flow.start(FakeVendor.REDIRECT_URI, ALICE, List.of());
        HttpUrl deniedCallback = vendor.visit(denied.url());
        HttpUrl echoing = deniedCallback.newBuilder()
                .setQueryParameter("error_description", "denied for state " + denied.state()).build();
        printed.add(refused(() -> flow.complete(echoing, ALICE)).getMessage());

        PendingAuthorization record = PendingAuthorization.builder().stateDigest("digest-of-state")
                .providerKey("example").redirectUri(FakeVendor.REDIRECT_URI).codeVerifier(verifier)
                .ownerDigest("digest-of-owner").createdAt(T0).build();
        printed.add(record.toString());
        printed.add(AuthorizationRequest.builder().redirectUri(FakeVendor.REDIRECT_URI).state(redirect.state())
                .codeChallenge("challenge").build().toString());
        printed.add(CodeExchange.builder().code(callback.queryParameter("code")).redirectUri(FakeVendor.REDIRECT_URI)
                .codeVerifier(verifier).identityId("identity-x").build().toString());

        List<String> secrets = new ArrayList<>(vendor.issuedSecrets());
        secrets.addAll(List.of(redirect.state(), denied.state(), verifier, FakeVendor.CLIENT_SECRET, ALICE,
                "digest-of-state", "digest-of-owner"));
        assertThat(printed).hasSize(9).allSatisfy(text -> {
            for (String secret : secrets) {
                assertThat(text).doesNotContain(secret);
            }
        });
    }

    /** Runs a call that the flow must refuse, and returns the refusal. */
    private static AuthorizationException refused(ThrowingCallable call) {
        Throwable thrown = catchThrowable(call);
        assertThat(thrown).as("the flow must refuse").isInstanceOf(AuthorizationException.class);
        return (AuthorizationException) thrown;
    }

    private AuthorizationFlow flowFor(AuthorizationCodeProvider provider) {
        return AuthorizationFlow.builder(provider)
                .identityStore(identities)
                .pendingAuthorizations(pending)
                .clock(clock)
                .idGenerator(() -> "identity-" + ids.incrementAndGet())
                .build();
    }

    private OAuth2Settings.Builder settings() {
        return OAuth2Settings.builder()
                .providerKey("example")
                .authorizationUrl(vendor.url("/authorize"))
                .tokenUrl(vendor.url("/token"))
                .clientId(FakeVendor.CLIENT_ID)
                .clientSecret(FakeVendor.CLIENT_SECRET)
                .scopes(List.of("profile"))
                .clock(clock);
    }

    private static OAuth2Provider provider(OAuth2Settings settings) {
        return OAuth2Provider.create(settings);
    }

    /** Every stored identity, counted through the store's own sweep query (all are unverified here). */
    private int storedIdentityCount() {
        return identities.claimUnverified(Instant.MAX, clock.instant(), 10_000).size();
    }
}
