package org.oauthidentity.refresh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.IdentityStore;
import org.oauthidentity.RefreshException.Details;
import org.oauthidentity.RefreshOutcomeUnknownException;
import org.oauthidentity.TokenResponseException;
import org.oauthidentity.TransientRefreshException;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.oauth2.OAuth2Settings;
import org.oauthidentity.store.InMemoryIdentityStore;
import org.oauthidentity.support.TokenJson;
import org.oauthidentity.testing.ManualClock;

/**
 * The faults that could lose a rotated refresh token or condemn a healthy identity, at the refresher: a
 * refresh that outlives its identity (unlinked and linked again), a caller interrupted mid-refresh, a slow
 * vendor and a lease that runs out, an answer that never arrived, an answer that is unusable but issued tokens.
 */
class IdentityRefresherFaultTest {
    private static final Instant T0 = Instant.parse("2025-06-01T12:00:00Z");

    private final ManualClock clock = ManualClock.at(T0);
    private final RecordingListener listener = new RecordingListener();

    private static Identity account(String id, String access, String refresh) {
        return Identity.builder().id(id).providerKey("example").accessToken(access).refreshToken(refresh)
                .expiresAt(T0.minusSeconds(10)).build();
    }

    private IdentityRefresher refresher(IdentityStore store, ScriptedProvider provider, RetryPolicy policy) {
        return IdentityRefresher.builder(store).provider(provider).listener(listener)
                .retryPolicy(policy).leaseWait(Duration.ofSeconds(5)).build();
    }

    private static RetryPolicy generous(RetryPolicy.Sleeper sleeper) {
        return RetryPolicy.of(5, Duration.ofMillis(100), Duration.ofSeconds(5)).withSleeper(sleeper);
    }

    private static IdentityNotValid invalidGrant() {
        return new IdentityNotValid(Details.http(400, "invalid_grant", "Token has been expired or revoked."));
    }

    // ---- incarnations ----------------------------------------------------------------------------------------

    @Test
    void aRefreshThatFinishesAfterTheAccountWasLinkedAgainNeverOverwritesTheNewAccount() throws Exception {
        InMemoryIdentityStore store = new InMemoryIdentityStore();
        Identity old = store.create(account("user-1", "old-access", "old-refresh"));
        AtomicReference<Identity> relinked = new AtomicReference<>();
        // given a vendor that answers only after the user unlinked and linked another account under the same id
        ScriptedProvider vendor = new ScriptedProvider().then((identity, call) -> {
            store.delete("user-1");
            relinked.set(store.create(account("user-1", "new-account-access", "new-account-refresh")));
            return ScriptedProvider.rotated(identity, call);
        });

        Identity result = refresher(store, vendor, RetryPolicy.none()).refresh(old);

        // then the new account is what the id holds, untouched, and what the caller gets
        assertThat(store.find("user-1")).contains(relinked.get());
        assertThat(store.find("user-1").orElseThrow().accessToken()).isEqualTo("new-account-access");
        assertThat(result).isEqualTo(relinked.get());
        assertThat(result.incarnation()).isNotEqualTo(old.incarnation());
        assertThat(listener.count("adopted")).isEqualTo(1);
        assertThat(listener.count("succeeded")).as("reported once, as adopted").isZero();
    }

    @Test
    void aLeaseThatCannotBeHadIsReportedToTheListener() throws Exception {
        InMemoryIdentityStore store = new InMemoryIdentityStore();
        Identity stored = store.create(account("user-1", "old-access", "old-refresh"));
        IdentityRefresher impatient = IdentityRefresher.builder(store).provider(new ScriptedProvider())
                .listener(listener).leaseWait(Duration.ZERO).build();

        try (IdentityStore.RefreshLease held = store.acquireRefreshLease("user-1", Duration.ZERO)) {
            assertThrows(TransientRefreshException.class, () -> impatient.refresh(stored));
        }
        assertThat(listener.count("failed")).isEqualTo(1);
    }

    @Test
    void aCallerHoldingTheOldAccountAdoptsTheNewOneWithoutATokenRequest() throws Exception {
        InMemoryIdentityStore store = new InMemoryIdentityStore();
        Identity old = store.create(account("user-1", "old-access", "old-refresh"));
        store.delete("user-1");
        Identity relinked = store.create(account("user-1", "new-account-access", "new-account-refresh"));
        ScriptedProvider vendor = new ScriptedProvider();

        // versions are both 1: only the incarnation tells them apart
        assertThat(relinked.version()).isEqualTo(old.version());
        Identity result = refresher(store, vendor, RetryPolicy.none()).refresh(old);

        assertThat(result).isEqualTo(relinked);
        assertThat(vendor.calls()).isZero();
        assertThat(store.find("user-1")).contains(relinked);
    }

    @Test
    void aStaleSaveAcrossIncarnationsIsRefused() {
        InMemoryIdentityStore store = new InMemoryIdentityStore();
        Identity old = store.create(account("user-1", "old-access", "old-refresh"));
        store.delete("user-1");
        Identity relinked = store.create(account("user-1", "new-account-access", "new-account-refresh"));

        assertThrows(org.oauthidentity.IdentityNotFoundException.class,
                () -> store.save(old.toBuilder().accessToken("stale-access").build()));
        assertThat(store.find("user-1")).contains(relinked);
    }

    // ---- interrupts ------------------------------------------------------------------------------------------

    @RepeatedTest(5)
    void interruptingTheCallerEndsOnlyItsWaitAndTheRefreshIsSaved() throws Exception {
        InMemoryIdentityStore store = new InMemoryIdentityStore();
        Identity stored = store.create(account("user-1", "old-access", "old-refresh"));
        CountDownLatch arrived = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch saved = new CountDownLatch(1);
        try (MockWebServer server = new MockWebServer()) {
            // given a rotating vendor that answers only when the test says so, its body in two parts
            server.setDispatcher(new Dispatcher() {
                @Override
                public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
                    arrived.countDown();
                    release.await(30, TimeUnit.SECONDS);
                    return TokenJson.success("access-rotated").field("refresh_token", "refresh-rotated")
                            .field("expires_in", 3600).response().newBuilder()
                            .bodyDelay(20, TimeUnit.MILLISECONDS).build();
                }
            });
            server.start();
            OAuth2Provider vendor = OAuth2Provider.create(OAuth2Settings.builder().providerKey("example")
                    .tokenUrl(server.url("/token").toString()).clientId("client").clientSecret("client-secret-1")
                    .clock(clock).build());
            IdentityRefresher refresher = IdentityRefresher.builder(store).provider(vendor)
                    .listener(new RefreshListener() {
                        @Override
                        public void refreshSucceeded(String identityId, Duration took) {
                            saved.countDown();
                        }
                    }).retryPolicy(RetryPolicy.none()).build();

            // when the caller that started the refresh is interrupted while the token request is out
            CompletableFuture<Throwable> callerSaw = new CompletableFuture<>();
            Thread caller = new Thread(() -> {
                try {
                    refresher.refresh(stored);
                    callerSaw.complete(null);
                } catch (Throwable e) {
                    callerSaw.complete(Thread.currentThread().isInterrupted() ? e : new AssertionError("flag lost", e));
                }
            });
            caller.start();
            assertThat(arrived.await(10, TimeUnit.SECONDS)).isTrue();
            caller.interrupt();

            // then the caller stops waiting at once, with its interrupt flag kept
            Throwable seen = callerSaw.get(10, TimeUnit.SECONDS);
            assertThat(seen).isInstanceOf(TransientRefreshException.class).hasMessageContaining("interrupted");
            // and the refresh goes on: the vendor's rotated refresh token is saved
            release.countDown();
            assertThat(saved.await(10, TimeUnit.SECONDS)).isTrue();
            Identity now = store.find("user-1").orElseThrow();
            assertThat(now.refreshToken()).contains("refresh-rotated");
            assertThat(now.version()).isEqualTo(2);
            assertThat(server.getRequestCount()).isEqualTo(1);
        }
    }

    // ---- leases that run out ---------------------------------------------------------------------------------

    @Test
    void aSlowVendorKeepsTheLeaseRenewedUntilTheSave() throws Exception {
        ExpiringLeaseStore store = new ExpiringLeaseStore(Duration.ofMillis(2));
        Identity stored = store.create(account("user-1", "old-access", "old-refresh"));
        // the vendor answers only once the lease was renewed three times while it "worked"
        ScriptedProvider vendor = new ScriptedProvider().then((identity, call) -> {
            try {
                assertThat(store.threeRenewals.await(10, TimeUnit.SECONDS)).isTrue();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            return ScriptedProvider.rotated(identity, call);
        });

        Identity result = refresher(store, vendor, RetryPolicy.none()).refresh(stored);

        assertThat(result.refreshToken()).contains("refresh-token-r1");
        assertThat(store.renewals.get()).isGreaterThanOrEqualTo(3);
    }

    @Test
    void aLostLeaseSendsNoFurtherTokenRequest() {
        ExpiringLeaseStore store = new ExpiringLeaseStore(Duration.ofHours(1));
        Identity stored = store.create(account("user-1", "old-access", "old-refresh"));
        store.lost.set(true);
        ScriptedProvider vendor = new ScriptedProvider().then((identity, call) -> {
            throw new TransientRefreshException(Details.http(503, null, null), null);
        });

        assertThrows(TransientRefreshException.class,
                () -> refresher(store, vendor, generous(d -> { })).refresh(stored));

        assertThat(vendor.calls()).isEqualTo(1);
        assertThat(store.find("user-1")).contains(stored);
    }

    @Test
    void afterTakingOverAnExpiredLeaseARefusalWaitsForThePreviousHoldersSave() throws Exception {
        ExpiringLeaseStore store = new ExpiringLeaseStore(Duration.ofHours(1)).takingOver();
        Identity stored = store.create(account("user-1", "old-access", "old-refresh"));
        ScriptedProvider vendor = new ScriptedProvider().then((identity, call) -> {
            throw invalidGrant();
        });
        // the previous holder's late save lands while this caller waits for it
        RetryPolicy.Sleeper previousHolderSaves = d -> {
            if (store.find("user-1").orElseThrow().version() == 1) {
                store.save(stored.toBuilder().accessToken("access-by-previous-holder")
                        .refreshToken("refresh-by-previous-holder").build());
            }
        };

        Identity result = refresher(store, vendor, RetryPolicy.none().withSleeper(previousHolderSaves)).refresh(stored);

        assertThat(result.refreshToken()).contains("refresh-by-previous-holder");
        assertThat(listener.count("adopted")).isEqualTo(1);
        assertThat(listener.count("failed")).isZero();
    }

    @Test
    void afterTakingOverAnExpiredLeaseARefusalWithNoSaveIsReportedAsALostAnswer() {
        ExpiringLeaseStore store = new ExpiringLeaseStore(Duration.ofHours(1)).takingOver();
        Identity stored = store.create(account("user-1", "old-access", "old-refresh"));
        ScriptedProvider vendor = new ScriptedProvider().then((identity, call) -> {
            throw invalidGrant();
        });
        IdentityRefresher refresher = IdentityRefresher.builder(store).provider(vendor).listener(listener)
                .retryPolicy(RetryPolicy.none().withSleeper(d -> { })).leaseWait(Duration.ofMillis(1)).build();

        IdentityNotValid e = assertThrows(IdentityNotValid.class, () -> refresher.refresh(stored));

        assertThat(e.afterLostAnswer()).isTrue();
        assertThat(e.error()).contains("invalid_grant");
        assertSameCredentials(store.find("user-1").orElseThrow(), stored);
        assertThat(store.find("user-1").orElseThrow().extra(IdentityRefresher.LOST_ANSWER)).isPresent();
    }

    // ---- answers that never arrived ------------------------------------------------------------------------

    @Test
    void anUnknownOutcomeIsNeverRetriedAndTheRefusalThatFollowsSaysSo() throws Exception {
        InMemoryIdentityStore store = new InMemoryIdentityStore();
        Identity stored = store.create(account("user-1", "old-access", "old-refresh"));
        ScriptedProvider vendor = new ScriptedProvider()
                .then((identity, call) -> {
                    throw new RefreshOutcomeUnknownException(Details.of("read timed out after sending"), null);
                })
                .then((identity, call) -> {
                    throw invalidGrant();
                });
        IdentityRefresher refresher = refresher(store, vendor, generous(d -> { }));

        assertThrows(RefreshOutcomeUnknownException.class, () -> refresher.refresh(stored));
        assertThat(vendor.calls()).as("the same refresh token is not presented again").isEqualTo(1);
        assertThat(listener.count("unknown")).isEqualTo(1);
        // the credentials are as they were, and the store says the last request lost its answer
        assertSameCredentials(store.find("user-1").orElseThrow(), stored);
        assertThat(store.find("user-1").orElseThrow().extra(IdentityRefresher.UNANSWERED)).isPresent();

        // the next refresh presents the token once more; the vendor refuses it: a lost answer, not a revocation
        IdentityNotValid refusal = assertThrows(IdentityNotValid.class, () -> refresher.refresh(stored));
        assertThat(refusal.afterLostAnswer()).isTrue();
        assertThat(refusal).hasMessageContaining("lost its answer");
        assertThat(vendor.calls()).isEqualTo(2);

        // and nobody presents that refresh token again
        Identity marked = store.find("user-1").orElseThrow();
        assertThat(marked.extra(IdentityRefresher.LOST_ANSWER)).isPresent();
        IdentityNotValid again = assertThrows(IdentityNotValid.class, () -> refresher.refresh(marked));
        assertThat(again.afterLostAnswer()).isTrue();
        assertThat(vendor.calls()).isEqualTo(2);
    }

    @RepeatedTest(5)
    void callersQueuedBehindALostAnswerPresentTheRefreshTokenOnceMoreBetweenThemAndNoMore() throws Exception {
        InMemoryIdentityStore store = new InMemoryIdentityStore();
        Identity stored = store.create(account("user-1", "old-access", "old-refresh"));
        ScriptedProvider vendor = new ScriptedProvider()
                .then((identity, call) -> {
                    throw new RefreshOutcomeUnknownException(Details.of("connection reset after sending"), null);
                })
                .then((identity, call) -> {
                    throw invalidGrant();
                });
        IdentityRefresher refresher = refresher(store, vendor, RetryPolicy.none());
        int callers = 20;
        CountDownLatch go = new CountDownLatch(1);
        java.util.List<CompletableFuture<Throwable>> seen = new java.util.ArrayList<>();
        for (int i = 0; i < callers; i++) {
            seen.add(CompletableFuture.supplyAsync(() -> {
                try {
                    go.await();
                    refresher.refresh(stored);
                    return null;
                } catch (Throwable e) {
                    return e;
                }
            }, java.util.concurrent.Executors.newSingleThreadExecutor()));
        }
        go.countDown();

        for (CompletableFuture<Throwable> result : seen) {
            Throwable e = result.get(30, TimeUnit.SECONDS);
            assertThat(e).isInstanceOfAny(RefreshOutcomeUnknownException.class, IdentityNotValid.class);
            if (e instanceof IdentityNotValid) {
                assertThat(((IdentityNotValid) e).afterLostAnswer()).as("never an ordinary revocation").isTrue();
            }
        }
        assertThat(vendor.calls()).as("the lost request and one more").isEqualTo(2);
    }

    private static void assertSameCredentials(Identity actual, Identity expected) {
        assertThat(actual.accessToken()).isEqualTo(expected.accessToken());
        assertThat(actual.refreshToken()).isEqualTo(expected.refreshToken());
        assertThat(actual.expiresAt()).isEqualTo(expected.expiresAt());
        assertThat(actual.incarnation()).isEqualTo(expected.incarnation());
    }

    @Test
    void anOrdinaryRefusalIsNotBlamedOnALostAnswer() {
        InMemoryIdentityStore store = new InMemoryIdentityStore();
        Identity stored = store.create(account("user-1", "old-access", "old-refresh"));
        ScriptedProvider vendor = new ScriptedProvider()
                .then((identity, call) -> {
                    throw new RefreshOutcomeUnknownException(Details.of("read timed out after sending"), null);
                })
                .then(ScriptedProvider::rotated)
                .then((identity, call) -> {
                    throw invalidGrant();
                });
        IdentityRefresher refresher = refresher(store, vendor, RetryPolicy.none());

        assertThrows(RefreshOutcomeUnknownException.class, () -> refresher.refresh(stored));
        Identity refreshed = assertDoesNotThrow(() -> refresher.refresh(stored));
        IdentityNotValid refusal = assertThrows(IdentityNotValid.class, () -> refresher.refresh(refreshed));

        assertThat(refusal.afterLostAnswer()).isFalse();
    }

    // ---- unusable answers that issued tokens ---------------------------------------------------------------

    @Test
    void anUnusableAnswerStillSavesTheRefreshTokenItIssued() {
        InMemoryIdentityStore store = new InMemoryIdentityStore();
        Identity stored = store.create(account("user-1", "old-access", "old-refresh"));
        ScriptedProvider vendor = new ScriptedProvider().then((identity, call) -> {
            throw new TokenResponseException(Details.of("the access token cannot be sent in a header"),
                    identity.toBuilder().refreshToken("refresh-issued").build(), null);
        });

        assertThrows(TokenResponseException.class, () -> refresher(store, vendor, generous(d -> { })).refresh(stored));

        Identity now = store.find("user-1").orElseThrow();
        assertThat(now.refreshToken()).contains("refresh-issued");
        assertThat(now.accessToken()).isEqualTo("old-access");
        assertThat(now.version()).isEqualTo(2);
        assertThat(vendor.calls()).isEqualTo(1);
    }

    private static Identity assertDoesNotThrow(org.junit.jupiter.api.function.ThrowingSupplier<Identity> call) {
        return org.junit.jupiter.api.Assertions.assertDoesNotThrow(call);
    }
}
