package org.oauthidentity.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotFoundException;
import org.oauthidentity.IdentityStore;
import org.oauthidentity.IdentityStoreException;
import org.oauthidentity.LeaseTimeoutException;
import org.oauthidentity.VerificationStatus;
import org.oauthidentity.VersionConflictException;
import org.oauthidentity.support.Concurrently;

/** The in-memory store keeps the {@link IdentityStore} contract, under many threads too. */
class InMemoryIdentityStoreTest {
    private static final Instant T0 = Instant.parse("2025-02-01T08:00:00Z");
    private static final int THREADS = 16;

    private final InMemoryIdentityStore store = new InMemoryIdentityStore();
    private final Concurrently threads = Concurrently.threads(THREADS);

    @AfterEach
    void stopThreads() throws InterruptedException {
        threads.close();
    }

    // ---- create / find / save -------------------------------------------------------------------------

    @Test
    void createStoresVersionOneAndFindReturnsIt() {
        Identity created = store.create(identity("user-1"));

        assertThat(created.version()).isEqualTo(1);
        assertThat(created.incarnation()).isNotZero();
        assertThat(created).isEqualTo(identity("user-1").toBuilder().version(1).incarnation(created.incarnation()).build());
        assertThat(store.find("user-1")).contains(created);
        assertThat(store.find("user-2")).isEmpty();
    }

    @Test
    void createRefusesADuplicateAndAnAlreadyVersionedIdentity() {
        store.create(identity("user-1"));

        assertThatThrownBy(() -> store.create(identity("user-1"))).isInstanceOf(IdentityStoreException.class)
                .hasMessageContaining("user-1");
        assertThatThrownBy(() -> store.create(identity("user-2").toBuilder().version(3).build()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(store.find("user-2")).isEmpty();
    }

    @Test
    void saveIsACompareAndSetOnTheVersion() {
        Identity v1 = store.create(identity("user-1"));

        Identity v2 = store.save(v1.toBuilder().accessToken("access-2").build());
        assertThat(v2.version()).isEqualTo(2);
        assertThat(v2.accessToken()).isEqualTo("access-2");

        Identity stale = v1.toBuilder().accessToken("access-stale").build();
        assertThatThrownBy(() -> store.save(stale)).isInstanceOf(VersionConflictException.class)
                .hasMessageContaining("user-1").hasMessageNotContaining("access-stale");
        assertThat(store.find("user-1")).contains(v2);
    }

    @Test
    void saveOfAnIdentityThatIsGoneFails() {
        Identity v1 = store.create(identity("user-1"));
        assertThat(store.delete("user-1")).isTrue();
        assertThat(store.delete("user-1")).isFalse();

        assertThatThrownBy(() -> store.save(v1)).isInstanceOf(IdentityNotFoundException.class);
        assertThat(store.find("user-1")).isEmpty();
    }

    @Test
    void saveNeverOverwritesTheVerificationBookkeeping() {
        Identity v1 = store.create(identity("user-1"));
        store.recordVerification("user-1", VerificationStatus.VALID, T0);

        // The caller's copy predates the verification and says otherwise.
        Identity v2 = store.save(v1.toBuilder().accessToken("access-2")
                .status(VerificationStatus.NOT_VALID).lastVerifiedAt(T0.minusSeconds(3600)).build());

        assertThat(v2.status()).isEqualTo(VerificationStatus.VALID);
        assertThat(v2.lastVerifiedAt()).contains(T0);
        assertThat(store.find("user-1")).contains(v2);
    }

    @Test
    void concurrentSavesOfOneVersionLetExactlyOneWin() throws Exception {
        for (int round = 0; round < 50; round++) {
            String id = "user-" + round;
            Identity v1 = store.create(identity(id));
            AtomicInteger won = new AtomicInteger();
            AtomicInteger conflicted = new AtomicInteger();

            threads.run(n -> {
                try {
                    store.save(v1.toBuilder().accessToken("access-from-" + n).build());
                    won.incrementAndGet();
                } catch (VersionConflictException e) {
                    conflicted.incrementAndGet();
                }
            });

            assertThat(won.get()).isEqualTo(1);
            assertThat(conflicted.get()).isEqualTo(THREADS - 1);
            assertThat(store.find(id).orElseThrow().version()).isEqualTo(2);
        }
    }

    // ---- verification bookkeeping -----------------------------------------------------------------------

    @Test
    void recordVerificationDoesNotMoveTheVersion() {
        Identity v1 = store.create(identity("user-1"));

        assertThat(store.recordVerification("user-1", VerificationStatus.NOT_VALID, T0)).isTrue();
        assertThat(store.recordVerification("nobody", VerificationStatus.VALID, T0)).isFalse();

        Identity stored = store.find("user-1").orElseThrow();
        assertThat(stored.version()).isEqualTo(v1.version());
        assertThat(stored.status()).isEqualTo(VerificationStatus.NOT_VALID);
        assertThat(stored.lastVerifiedAt()).contains(T0);
        assertThat(stored.accessToken()).isEqualTo(v1.accessToken());
        // And a refresh that read v1 still wins its compare-and-set afterwards.
        assertThat(store.save(v1.toBuilder().accessToken("access-2").build()).version()).isEqualTo(2);
    }

    @Test
    void claimUnverifiedTakesTheNeverAndTheLongAgoVerifiedAndMarksThemNow() {
        Instant cutoff = T0.minus(Duration.ofHours(1));
        Identity never = store.create(identity("never"));
        store.create(identity("old"));
        store.recordVerification("old", VerificationStatus.VALID, cutoff.minusSeconds(1));
        store.create(identity("recent"));
        store.recordVerification("recent", VerificationStatus.VALID, cutoff);

        List<Identity> claimed = store.claimUnverified(cutoff, T0, 10);

        assertThat(claimed).extracting(Identity::id).containsExactlyInAnyOrder("never", "old");
        assertThat(claimed).allSatisfy(i -> assertThat(i.lastVerifiedAt()).contains(T0));
        assertThat(claimed).allSatisfy(i -> assertThat(i.version()).isEqualTo(1));
        assertThat(store.find("never").orElseThrow().lastVerifiedAt()).contains(T0);
        assertThat(store.find("recent").orElseThrow().lastVerifiedAt()).contains(cutoff);
        assertThat(store.find("never").orElseThrow().version()).isEqualTo(never.version());
        assertThat(store.claimUnverified(cutoff, T0, 10)).as("claimed ones are not handed out twice").isEmpty();
    }

    @Test
    void claimUnverifiedPagesUntilEmpty() {
        for (int i = 0; i < 5; i++) {
            store.create(identity("user-" + i));
        }
        Instant cutoff = T0.minus(Duration.ofHours(1));

        List<Integer> pageSizes = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        for (List<Identity> page; !(page = store.claimUnverified(cutoff, T0, 2)).isEmpty(); ) {
            pageSizes.add(page.size());
            page.forEach(i -> seen.add(i.id()));
        }

        assertThat(pageSizes).containsExactly(2, 2, 1);
        assertThat(seen).containsExactlyInAnyOrder("user-0", "user-1", "user-2", "user-3", "user-4");
    }

    @Test
    void concurrentClaimersReceiveEachIdentityExactlyOnce() throws Exception {
        int identities = 2000;
        for (int i = 0; i < identities; i++) {
            store.create(identity("user-" + i));
        }
        for (int round = 0; round < 5; round++) {
            Instant now = T0.plus(Duration.ofHours(round));
            Map<String, AtomicInteger> claims = new ConcurrentHashMap<>();

            threads.run(n -> {
                for (List<Identity> page; !(page = store.claimUnverified(now, now, 7)).isEmpty(); ) {
                    page.forEach(i -> claims.computeIfAbsent(i.id(), k -> new AtomicInteger()).incrementAndGet());
                }
            });

            assertThat(claims).hasSize(identities);
            assertThat(claims.values()).allSatisfy(count -> assertThat(count.get()).isEqualTo(1));
        }
    }

    // ---- refresh leases -----------------------------------------------------------------------------------

    @Test
    void aLeaseIsExclusiveUntilReleased() {
        store.create(identity("user-1"));

        IdentityStore.RefreshLease first = store.acquireRefreshLease("user-1", Duration.ZERO);
        assertThat(first.identity().version()).isEqualTo(1);
        assertThatThrownBy(() -> store.acquireRefreshLease("user-1", Duration.ZERO))
                .isInstanceOf(LeaseTimeoutException.class).hasMessageContaining("user-1");
        // Other identities are not held up.
        store.create(identity("user-2"));
        store.acquireRefreshLease("user-2", Duration.ZERO).close();

        first.close();
        first.close(); // idempotent: must not hand out a second permit

        IdentityStore.RefreshLease second = store.acquireRefreshLease("user-1", Duration.ZERO);
        assertThatThrownBy(() -> store.acquireRefreshLease("user-1", Duration.ZERO))
                .isInstanceOf(LeaseTimeoutException.class);
        second.close();
    }

    @Test
    void saveAndReleaseSavesWithCompareAndSetAndReleasesEvenOnConflict() {
        Identity v1 = store.create(identity("user-1"));

        IdentityStore.RefreshLease lease = store.acquireRefreshLease("user-1", Duration.ZERO);
        Identity v2 = lease.saveAndRelease(lease.identity().toBuilder().accessToken("access-2").build());
        assertThat(v2.version()).isEqualTo(2);
        assertThat(store.find("user-1")).contains(v2);

        IdentityStore.RefreshLease again = store.acquireRefreshLease("user-1", Duration.ZERO);
        assertThat(again.identity()).isEqualTo(v2);
        assertThatThrownBy(() -> again.saveAndRelease(v1)).isInstanceOf(VersionConflictException.class);
        store.acquireRefreshLease("user-1", Duration.ZERO).close();
    }

    @Test
    void aLeaseOnAnUnknownIdentityIsRefused() {
        assertThatThrownBy(() -> store.acquireRefreshLease("nobody", Duration.ZERO))
                .isInstanceOf(IdentityNotFoundException.class);
    }

    @Test
    void manyThreadsNeverHoldTheSameLeaseAtOnce() throws Exception {
        store.create(identity("user-1"));
        AtomicInteger holders = new AtomicInteger();
        AtomicInteger mostHolders = new AtomicInteger();
        AtomicInteger granted = new AtomicInteger();
        int perThread = 200;

        threads.run(n -> {
            for (int i = 0; i < perThread; i++) {
                try (IdentityStore.RefreshLease lease = store.acquireRefreshLease("user-1", Duration.ofSeconds(30))) {
                    int now = holders.incrementAndGet();
                    mostHolders.accumulateAndGet(now, Math::max);
                    granted.incrementAndGet();
                    // A read-modify-write that would lose updates if two threads held the lease.
                    Identity current = store.find("user-1").orElseThrow();
                    store.save(current.toBuilder().accessToken("access-" + n + "-" + i).build());
                    holders.decrementAndGet();
                }
            }
        });

        assertThat(mostHolders.get()).isEqualTo(1);
        assertThat(granted.get()).isEqualTo(THREADS * perThread);
        assertThat(store.find("user-1").orElseThrow().version()).isEqualTo(1 + THREADS * perThread);
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    private static Identity identity(String id) {
        return Identity.builder().id(id).providerKey("example")
                .accessToken("access-" + id).refreshToken("refresh-" + id)
                .expiresAt(T0.plusSeconds(3600)).build();
    }
}
