package org.oauthidentity.authorize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityStore;
import org.oauthidentity.IdentityStoreException;
import org.oauthidentity.RefreshException;
import org.oauthidentity.TransientRefreshException;
import org.oauthidentity.VerificationStatus;
import org.oauthidentity.authorize.AuthorizationException.GrantRevocation;
import org.oauthidentity.authorize.AuthorizationException.Reason;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.oauth2.OAuth2Settings;
import org.oauthidentity.oauth2.TokenResponse;
import org.oauthidentity.store.InMemoryIdentityStore;
import org.oauthidentity.store.ForwardingIdentityStore;
import org.oauthidentity.testing.ManualClock;

/**
 * Linking the same vendor account again: given an owner who linked account A, when the same owner completes
 * another authorization for A, then the store holds one identity for it with the new tokens; another owner gets
 * an identity of their own; racing completions end with one identity; a grant that cannot be stored is revoked.
 */
class RelinkTest {
    private static final Instant T0 = Instant.parse("2024-05-01T10:00:00Z");
    private static final String ALICE = "user-alice";
    private static final String BOB = "user-bob";

    private final ManualClock clock = ManualClock.at(T0);
    private final InMemoryIdentityStore identities = new InMemoryIdentityStore();
    private final InMemoryPendingAuthorizationStore pending = new InMemoryPendingAuthorizationStore();
    private final AtomicInteger ids = new AtomicInteger();
    private FakeVendor vendor;
    private AccountProvider provider;

    @BeforeEach
    void setUp() throws Exception {
        vendor = new FakeVendor(clock);
        provider = new AccountProvider(OAuth2Settings.builder()
                .providerKey("example")
                .authorizationUrl(vendor.url("/authorize"))
                .tokenUrl(vendor.url("/token"))
                .clientId(FakeVendor.CLIENT_ID)
                .clientSecret(FakeVendor.CLIENT_SECRET)
                .clock(clock)
                .build());
    }

    @AfterEach
    void tearDown() {
        vendor.close();
    }

    @Test
    void linkingTheSameAccountAgainForTheSameOwnerUpdatesItsIdentity() throws Exception {
        AuthorizationFlow flow = flow(identities);
        Identity first = link(flow, ALICE);
        identities.recordVerification(first.id(), VerificationStatus.NOT_VALID, T0);

        Identity again = link(flow, ALICE);

        assertThat(again.id()).isEqualTo(first.id());
        assertThat(again.incarnation()).isEqualTo(first.incarnation());
        assertThat(again.version()).isEqualTo(first.version() + 1);
        assertThat(again.accessToken()).isNotEqualTo(first.accessToken());
        assertThat(again.refreshToken()).isNotEqualTo(first.refreshToken());
        assertThat(again.externalUserId()).contains("account-a");
        assertThat(again.ownerId()).contains(ALICE);
        assertThat(identities.listByOwner(ALICE)).containsExactly(identities.find(first.id()).orElseThrow());
        assertThat(identities.find(first.id()).orElseThrow().status()).isEqualTo(VerificationStatus.VALID);
    }

    @Test
    void theSameAccountLinkedByAnotherOwnerIsAnotherIdentity() throws Exception {
        AuthorizationFlow flow = flow(identities);
        Identity alices = link(flow, ALICE);

        Identity bobs = link(flow, BOB);

        assertThat(bobs.id()).isNotEqualTo(alices.id());
        assertThat(bobs.version()).isEqualTo(1);
        assertThat(identities.findByExternalUser("example", "account-a", ALICE)).map(Identity::id).contains(alices.id());
        assertThat(identities.findByExternalUser("example", "account-a", BOB)).map(Identity::id).contains(bobs.id());
        assertThat(identities.listByOwner(BOB)).extracting(Identity::id).containsExactly(bobs.id());
    }

    @Test
    void anotherAccountOfTheSameOwnerIsAnotherIdentity() throws Exception {
        AuthorizationFlow flow = flow(identities);
        Identity a = link(flow, ALICE);
        provider.account = "account-b";

        Identity b = link(flow, ALICE);

        assertThat(b.id()).isNotEqualTo(a.id());
        assertThat(identities.listByOwner(ALICE)).extracting(Identity::id).containsExactlyInAnyOrder(a.id(), b.id());
    }

    @Test
    void completionsForTheSameAccountAtOnceEndWithOneIdentity() throws Exception {
        AuthorizationFlow flow = flow(identities);
        int racers = 8;
        List<HttpUrl> callbacks = new ArrayList<>();
        for (int i = 0; i < racers; i++) {
            callbacks.add(vendor.visit(flow.start(FakeVendor.REDIRECT_URI, ALICE, List.of()).url()));
        }
        ExecutorService pool = Executors.newFixedThreadPool(racers);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<Identity>> done = new ArrayList<>();
            for (HttpUrl callback : callbacks) {
                done.add(pool.submit(() -> {
                    go.await();
                    return flow.complete(callback, ALICE);
                }));
            }
            go.countDown();
            List<Identity> linked = new ArrayList<>();
            for (Future<Identity> f : done) {
                linked.add(f.get(30, TimeUnit.SECONDS));
            }
            assertThat(linked).extracting(Identity::id).containsOnly(linked.get(0).id());
            assertThat(identities.listByOwner(ALICE)).hasSize(1);
            assertThat(identities.listByOwner(ALICE).get(0).version()).isEqualTo(racers);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aStoreFailureAfterTheExchangeRevokesTheNewGrantAndSaysSo() throws Exception {
        AuthorizationFlow flow = flow(new FailingCreates(identities));

        AuthorizationException e = catchThrowableOfType(() -> link(flow, ALICE), AuthorizationException.class);

        assertThat(e.reason()).isEqualTo(Reason.NOT_STORED);
        assertThat(e.grantRevocation()).isEqualTo(GrantRevocation.REVOKED);
        assertThat(e).hasMessageContaining("the new grant was revoked").hasCauseInstanceOf(IdentityStoreException.class);
        assertThat(provider.revoked).hasSize(1);
        assertThat(provider.revoked.get(0).refreshToken()).isPresent();
        assertThat(identities.listByOwner(ALICE)).isEmpty();
    }

    @Test
    void aFailedRevocationIsReportedNotHidden() throws Exception {
        provider.revocationFails = true;
        AuthorizationFlow flow = flow(new FailingCreates(identities));

        AuthorizationException e = catchThrowableOfType(() -> link(flow, ALICE), AuthorizationException.class);

        assertThat(e.reason()).isEqualTo(Reason.NOT_STORED);
        assertThat(e.grantRevocation()).isEqualTo(GrantRevocation.REVOCATION_FAILED);
        assertThat(e).hasMessageContaining("revoking the new grant at the vendor failed");
    }

    @Test
    void anUnknownAccountFailsTheLinkAndRevokesTheGrant() throws Exception {
        provider.account = null;
        AuthorizationFlow flow = flow(identities);

        AuthorizationException e = catchThrowableOfType(() -> link(flow, ALICE), AuthorizationException.class);

        assertThat(e.reason()).isEqualTo(Reason.ACCOUNT_UNKNOWN);
        assertThat(e.grantRevocation()).isEqualTo(GrantRevocation.REVOKED);
        assertThat(e.tokenEndpointError()).isEmpty();
        assertThat(provider.revoked).hasSize(1);
        assertThat(identities.listByOwner(ALICE)).isEmpty();
    }

    private AuthorizationFlow flow(IdentityStore store) {
        return AuthorizationFlow.builder(provider)
                .identityStore(store)
                .pendingAuthorizations(pending)
                .clock(clock)
                .idGenerator(() -> "identity-" + ids.incrementAndGet())
                .build();
    }

    private Identity link(AuthorizationFlow flow, String owner) throws Exception {
        HttpUrl callback = vendor.visit(flow.start(FakeVendor.REDIRECT_URI, owner, List.of()).url());
        return flow.complete(callback, owner);
    }

    /** Names every linked account {@link #account} (null: cannot tell), and records revocations. */
    private static final class AccountProvider extends OAuth2Provider {
        volatile String account = "account-a";
        volatile boolean revocationFails;
        final List<Identity> revoked = new CopyOnWriteArrayList<>();

        AccountProvider(OAuth2Settings settings) {
            super(settings);
        }

        @Override
        protected Identity newIdentity(CodeExchange exchange, TokenResponse response) throws RefreshException {
            Identity issued = super.newIdentity(exchange, response).toBuilder()
                    .refreshToken(response.refreshToken().orElse(null)).build();
            String named = account;
            if (named == null) {
                throw new AccountLookupException(RefreshException.Details.of("no account"), issued, null);
            }
            return issued.toBuilder().externalUserId(named).build();
        }

        @Override
        public void revoke(Identity identity) throws RefreshException {
            if (revocationFails) {
                throw new TransientRefreshException(RefreshException.Details.of("revocation endpoint down"), null);
            }
            revoked.add(identity);
        }
    }

    /** The in-memory store whose creates fail as a database outage would. */
    private static final class FailingCreates extends ForwardingIdentityStore {
        FailingCreates(IdentityStore delegate) {
            super(delegate);
        }

        @Override
        public Identity create(Identity identity) {
            throw new IdentityStoreException("connection refused");
        }
    }
}
