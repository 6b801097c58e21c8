package org.oauthidentity.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.IdentityStore.RefreshLease;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.refresh.RetryPolicy;
import org.oauthidentity.testkit.FakeAuthorizationServer;
import org.oauthidentity.testkit.FakeAuthorizationServer.Fault;
import org.oauthidentity.testkit.FakeAuthorizationServer.Gate;

/**
 * Two instances of a service on one database against a rotating vendor, when a refresh outlives its lease: a slow
 * answer, a holder that hung past its lease, an account linked again while its refresh was out. The vendor must
 * never see the same refresh token from both, and no instance may condemn an identity the other refreshed.
 */
abstract class LeaseFaultTest extends StoreTestSupport {
    private static final Duration SHORT_TTL = Duration.ofMillis(300);

    private FakeAuthorizationServer vendor;
    private OAuth2Provider provider;
    private JdbcIdentityStore first;
    private JdbcIdentityStore second;

    @BeforeEach
    void twoInstances() throws Exception {
        vendor = FakeAuthorizationServer.builder().rotateRefreshTokens(true).clock(clock).start();
        provider = OAuth2Provider.create(vendor.oauth2Settings().httpClient(new OkHttpClient()).build());
        first = newStore().leaseTtl(SHORT_TTL).build();
        second = newStore().leaseTtl(SHORT_TTL).build();
    }

    @AfterEach
    void stopVendor() {
        vendor.close();
    }

    private IdentityRefresher refresher(JdbcIdentityStore store, Duration leaseWait) {
        return IdentityRefresher.builder(store).provider(provider).leaseWait(leaseWait)
                .retryPolicy(RetryPolicy.none()).build();
    }

    private Identity linkExpired(String user) {
        return store.create(vendor.issueIdentity(user).toBuilder().expiresAt(clock.instant().minusSeconds(60)).build());
    }

    @Test
    void aSlowAnswerThatOutlivesTheLeaseTimeNeverLetsTheOtherInstanceSendTheSameRefreshToken() throws Exception {
        Identity linked = linkExpired("alice");
        Gate gate = new Gate();
        // given the vendor rotates at once but holds its answer
        vendor.failNextTokenRequests(1, Fault.held(gate));
        CompletableFuture<Identity> slow = refresher(first, Duration.ofSeconds(30)).refreshAsync(linked);
        assertThat(gate.awaitArrived(Duration.ofSeconds(10))).isTrue();

        // when the answer takes longer than the lease's time
        clock.advance(Duration.ofSeconds(1));
        // then the holder renews the lease while it waits
        awaitLeaseRenewed("alice");
        // and the other instance, refreshing meanwhile, waits for it instead of taking the lease
        CompletableFuture<Identity> other = refresher(second, Duration.ofSeconds(30)).refreshAsync(linked);
        await(() -> second.localLeasesInUse() == 1, "the second instance waits for the lease");
        clock.advance(Duration.ofMillis(1));
        awaitLeaseRenewed("alice");
        gate.open();

        Identity saved = slow.get(30, TimeUnit.SECONDS);
        assertThat(other.get(30, TimeUnit.SECONDS)).isEqualTo(saved);
        assertThat(vendor.tokenRequests("refresh_token")).isEqualTo(1);
        assertThat(vendor.reusedRefreshTokens()).isZero();
        assertThat(store.find("alice").orElseThrow()).isEqualTo(saved);
        assertThat(saved.refreshToken()).isNotEqualTo(linked.refreshToken());
    }

    @Test
    void anInstanceThatTookOverALeaseThatRanOutAdoptsTheEarlierHoldersSave() throws Exception {
        Identity linked = linkExpired("alice");
        // given a holder that sent the refresh token, was rotated, and then hung past its lease
        RefreshLease hung = first.acquireRefreshLease("alice", Duration.ZERO);
        Identity rotatedByHungHolder = provider.refresh(hung.identity());
        clock.advance(SHORT_TTL.plusSeconds(1));

        // when the other instance takes the lease over and the vendor refuses the old refresh token
        CompletableFuture<Identity> takeover = refresher(second, Duration.ofSeconds(30)).refreshAsync(linked);
        await(() -> vendor.reusedRefreshTokens() == 1, "the vendor refused the reused refresh token");
        // and the hung holder comes back and saves what it got
        Identity saved = hung.saveAndRelease(rotatedByHungHolder);

        // then the instance adopts it instead of condemning a healthy identity
        assertThat(takeover.get(30, TimeUnit.SECONDS)).isEqualTo(store.find("alice").orElseThrow());
        assertThat(store.find("alice").orElseThrow().refreshToken()).isEqualTo(saved.refreshToken());
        assertThat(vendor.tokenRequests("refresh_token")).isEqualTo(2);
    }

    @Test
    void anInstanceThatTookOverALeaseWhoseHolderNeverCameBackReportsALostAnswer() throws Exception {
        Identity linked = linkExpired("alice");
        RefreshLease dead = first.acquireRefreshLease("alice", Duration.ZERO);
        provider.refresh(dead.identity()); // rotated at the vendor; the holder dies with the new token
        clock.advance(SHORT_TTL.plusSeconds(1));

        CompletableFuture<Identity> takeover = refresher(second, Duration.ofMillis(200)).refreshAsync(linked);

        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> takeover.get(30, TimeUnit.SECONDS));
        assertThat(e.getCause()).isInstanceOf(IdentityNotValid.class);
        assertThat(((IdentityNotValid) e.getCause()).afterLostAnswer()).isTrue();
        Identity now = store.find("alice").orElseThrow();
        assertThat(now.refreshToken()).isEqualTo(linked.refreshToken());
        assertThat(now.accessToken()).isEqualTo(linked.accessToken());
        // recorded, so that no other instance presents the used-up refresh token again
        assertThat(now.extra(IdentityRefresher.LOST_ANSWER)).isPresent();
    }

    @Test
    void aRefreshThatFinishesAfterTheAccountWasLinkedAgainLeavesTheNewAccountAlone() throws Exception {
        Identity old = linkExpired("alice");
        Gate gate = new Gate();
        vendor.failNextTokenRequests(1, Fault.held(gate));
        CompletableFuture<Identity> refresh = refresher(first, Duration.ofSeconds(30)).refreshAsync(old);
        assertThat(gate.awaitArrived(Duration.ofSeconds(10))).isTrue();

        // while the vendor answers, the user unlinks and links another account under the same id
        store.delete("alice");
        Identity relinked = store.create(vendor.issueIdentity("alice-second-account").toBuilder().id("alice").build());
        gate.open();

        Identity result = refresh.get(30, TimeUnit.SECONDS);
        assertThat(result).isEqualTo(relinked);
        assertThat(store.find("alice").orElseThrow()).isEqualTo(relinked);
        assertThat(relinked.version()).isEqualTo(old.version());
        assertThat(relinked.incarnation()).isNotEqualTo(old.incarnation());
    }

    /** Waits (bounded) until the holder's renewal moved the lease to the clock's now plus its time. */
    private void awaitLeaseRenewed(String id) throws InterruptedException {
        Instant target = clock.instant().plus(SHORT_TTL);
        await(() -> {
            Instant expires = db.queryInstant("SELECT lease_expires_at FROM oauth_identity WHERE id = ?", id);
            return expires != null && !expires.isBefore(target);
        }, "the lease was renewed");
    }

    /** An event wait: polls {@code condition} until it holds, failing after 20 s (never expected to take long). */
    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() < deadline).as("timed out waiting until %s", what).isTrue();
            Thread.onSpinWait();
            Thread.yield();
        }
    }
}
