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

    @Test
    void claimsTheNeverVerifiedFirstThenTheLeastRecentlyVerifiedTiesById() {
        Instant cutoff = T0.minus(Duration.ofHours(1));
        // Created in an order that is neither the claim order nor the id order.
        for (String id : List.of("m", "c", "x", "a", "q", "b", "z", "k")) {
            store.create(identity(id));
        }
        store.recordVerification("m", VerificationStatus.VALID, cutoff.minusSeconds(10));
        store.recordVerification("c", VerificationStatus.NOT_VALID, cutoff.minusSeconds(300));
        store.recordVerification("x", VerificationStatus.VALID, cutoff.minusSeconds(10));
        store.recordVerification("q", VerificationStatus.ERROR, cutoff.minusSeconds(1));
        store.recordVerification("z", VerificationStatus.VALID, cutoff.plusSeconds(1));

        List<String> order = new ArrayList<>();
        for (List<Identity> page; !(page = store.claimUnverified(cutoff, T0, 2)).isEmpty(); ) {
            page.forEach(i -> order.add(i.id()));
        }

        assertThat(order).containsExactly("a", "b", "k", "c", "m", "x", "q");
        assertThat(store.find("z").orElseThrow().lastVerifiedAt()).contains(cutoff.plusSeconds(1));
    }

    @Test
    void anIdentityRecordedAfterTheCutoffIsNotClaimedAndOneRecordedBeforeItIs() {
        Instant cutoff = T0.minus(Duration.ofHours(1));
        store.create(identity("checked-late"));
        store.create(identity("checked-at-cutoff"));
        store.create(identity("checked-long-ago"));
        assertThat(store.claimUnverified(T0, T0.minusSeconds(7200), 10)).hasSize(3);

        // Each one moves in the claim order from its claim stamp to its recorded time.
        store.recordVerification("checked-late", VerificationStatus.VALID, cutoff.plusMillis(1));
        store.recordVerification("checked-at-cutoff", VerificationStatus.VALID, cutoff);
        store.recordVerification("checked-long-ago", VerificationStatus.VALID, cutoff.minusMillis(1));

        assertThat(store.claimUnverified(cutoff, T0, 10)).extracting(Identity::id).containsExactly("checked-long-ago");
        assertThat(store.claimUnverified(cutoff, T0, 10)).isEmpty();
    }

    @Test
    void anIdentityDeletedAndCreatedAgainIsClaimedAsNeverVerified() {
        Instant cutoff = T0.minus(Duration.ofHours(1));
        store.create(identity("a"));
        store.create(identity("b"));
        store.recordVerification("a", VerificationStatus.VALID, T0);
        store.recordVerification("b", VerificationStatus.VALID, cutoff.minusSeconds(1));
        store.delete("a");
        store.create(identity("a"));
        store.delete("b");

        assertThat(store.claimUnverified(cutoff, T0, 10)).extracting(Identity::id).containsExactly("a");
        assertThat(store.claimUnverified(Instant.MAX, T0, 10)).extracting(Identity::id).containsExactly("a");
    }

    @Test
    void sixteenClaimersReleasedTogetherReceiveEachOfThreeThousandIdentitiesExactlyOnceEveryRound() throws Exception {
        int identities = 3000;
        for (int i = 0; i < identities; i++) {
            store.create(identity(String.format("user-%04d", i)));
        }
        for (int round = 0; round < 20; round++) {
            // Each round's claims stamp now; the next round's cutoff is past them, so all are due again.
            Instant now = T0.plus(Duration.ofMinutes(round));
            Map<String, AtomicInteger> claims = new ConcurrentHashMap<>();
            AtomicInteger total = new AtomicInteger();

            threads.run(n -> {
                for (List<Identity> page; !(page = store.claimUnverified(now, now, 1 + n * 5)).isEmpty(); ) {
                    total.addAndGet(page.size());
                    page.forEach(i -> claims.computeIfAbsent(i.id(), k -> new AtomicInteger()).incrementAndGet());
                }
            });

            assertThat(total.get()).as("claims in round %d", round).isEqualTo(identities);
            assertThat(claims).hasSize(identities);
            assertThat(claims.values()).allSatisfy(count -> assertThat(count.get()).isEqualTo(1));
            assertThat(store.claimUnverified(now, now, identities)).isEmpty();
        }
    }

    /**
     * Claimers race writers that move identities in the claim order (a verification recorded, a delete, a create,
     * a save that keeps the order): no identity is handed out twice, none that stays due is left behind, and
     * afterwards the claim order holds exactly the stored identities.
     */
    @Test
    void claimsInterleavedWithRecordsDeletesCreatesAndSavesNeverLoseOrDuplicateAnIdentity() throws Exception {
        int identities = 3000;
        int claimers = THREADS - 4;
        Instant cutoff = T0.minus(Duration.ofHours(1));
        for (int round = 0; round < 10; round++) {
            InMemoryIdentityStore shared = new InMemoryIdentityStore();
            for (int i = 0; i < identities; i++) {
                shared.create(identity("user-" + i));
                if (i % 3 == 1) {
                    shared.recordVerification("user-" + i, VerificationStatus.VALID, cutoff.minusSeconds(i));
                }
            }
            Map<String, AtomicInteger> claims = new ConcurrentHashMap<>();

            threads.run(n -> {
                if (n < claimers) {
                    for (List<Identity> page; !(page = shared.claimUnverified(cutoff, T0, 16)).isEmpty(); ) {
                        page.forEach(i -> claims.computeIfAbsent(i.id(), k -> new AtomicInteger()).incrementAndGet());
                    }
                    return;
                }
                for (int i = 0; i < identities; i++) {
                    String id = "user-" + i;
                    switch (n - claimers) {
                        case 0 -> { // checked by someone else just now: not due any more
                            if (i % 10 == 0) {
                                shared.recordVerification(id, VerificationStatus.VALID, T0);
                            }
                        }
                        case 1 -> { // unlinked
                            if (i % 10 == 5) {
                                shared.delete(id);
                            }
                        }
                        case 2 -> { // newly linked, never verified
                            if (i % 10 == 0) {
                                shared.create(identity("new-" + i));
                            }
                        }
                        default -> { // refreshed: saves keep the verification bookkeeping and the claim order
                            if (i % 10 == 3) {
                                Identity found = shared.find(id).orElseThrow();
                                shared.save(found.toBuilder().accessToken("access-saved-" + n).build());
                            }
                        }
                    }
                }
            });
            // What the claimers left behind (creates that came after their last page) is claimed now.
            shared.claimUnverified(cutoff, T0, 10 * identities)
                    .forEach(i -> claims.computeIfAbsent(i.id(), k -> new AtomicInteger()).incrementAndGet());

            assertThat(claims.values()).as("claims per identity in round %d", round)
                    .allSatisfy(count -> assertThat(count.get()).isEqualTo(1));
            for (int i = 0; i < identities; i++) {
                String id = "user-" + i;
                if (i % 10 != 0 && i % 10 != 5) {
                    assertThat(claims).as("round %d", round).containsKey(id);
                }
                if (i % 10 == 0) {
                    assertThat(claims).as("round %d", round).containsKey("new-" + i);
                }
            }
            // Every stored identity is in the claim order exactly once: a claim far ahead takes each of them once.
            List<String> stored = shared.claimUnverified(Instant.MAX, T0.plusSeconds(1), 10 * identities)
                    .stream().map(Identity::id).toList();
            // A tenth deleted, as many created.
            assertThat(stored).doesNotHaveDuplicates().hasSize(identities);
            assertThat(stored).allSatisfy(id -> assertThat(shared.find(id)).isPresent());
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
