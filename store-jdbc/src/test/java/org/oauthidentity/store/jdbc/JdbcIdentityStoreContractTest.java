package org.oauthidentity.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotFoundException;
import org.oauthidentity.IdentityStore.RefreshLease;
import org.oauthidentity.IdentityStoreException;
import org.oauthidentity.LeaseTimeoutException;
import org.oauthidentity.VerificationStatus;
import org.oauthidentity.VersionConflictException;
import org.junit.jupiter.api.Test;

/**
 * The {@link org.oauthidentity.IdentityStore} contract (the one core's InMemoryIdentityStore keeps), the lease,
 * claims, encryption and error hygiene of {@link JdbcIdentityStore}, run by one subclass per real database.
 */
abstract class JdbcIdentityStoreContractTest extends StoreTestSupport {

    // ---- create, find, save, delete --------------------------------------------------------------------------

    @Test
    void detectsItsDialectAndCreatesTheSchemaOnlyOnce() {
        assertThat(store.dialect()).isEqualTo(db.dialect);
        JdbcIdentityStore again = newStore().build();
        assertThat(again.create(identity("alice")).version()).isEqualTo(1);
        assertThat(store.find("alice")).isPresent();
    }

    @Test
    void aCreatedIdentityReadsBackWithEveryFieldAtVersionOne() {
        Identity alice = identity("alice");

        Identity created = store.create(alice);

        assertThat(created.version()).isEqualTo(1);
        assertThat(created.accessToken()).isEqualTo(alice.accessToken());
        assertThat(created.expiresAt()).contains(alice.expiresAt().get().truncatedTo(ChronoUnit.MICROS));
        assertThat(store.find("alice")).contains(created);
        Identity read = store.find("alice").orElseThrow();
        assertThat(read.scopes()).containsExactly("read_api", "openid", "email");
        assertThat(read.extras()).isEqualTo(alice.extras());
        assertThat(read.externalUserId()).contains("ext-alice");
        assertThat(read.status()).isEqualTo(VerificationStatus.UNVERIFIED);
        assertThat(read.lastVerifiedAt()).isEmpty();
    }

    @Test
    void anIdentityWithoutRefreshTokenExpiryOrExtrasReadsBackAsSuch() {
        Identity bare = Identity.builder().id("bare").providerKey("google").accessToken("at-bare-" + random(20)).build();

        Identity created = store.create(bare);

        assertThat(store.find("bare")).contains(created);
        assertThat(created.refreshToken()).isEmpty();
        assertThat(created.expiresAt()).isEmpty();
        assertThat(created.extras()).isEmpty();
        assertThat(created.externalUserId()).isEmpty();
    }

    @Test
    void creatingAnExistingIdOrANonZeroVersionIsRefused() {
        store.create(identity("alice"));
        Identity again = identity("alice");

        assertThatThrownBy(() -> store.create(again))
                .isInstanceOf(IdentityStoreException.class)
                .hasMessage("identity alice exists already");
        assertThatThrownBy(() -> store.create(identity("bob").toBuilder().version(3).build()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(store.find("bob")).isEmpty();
    }

    @Test
    void saveMovesTheVersionAndWritesCredentialsButNeverTheVerificationBookkeeping() {
        Identity created = store.create(identity("alice"));
        Instant verified = clock.instant().minusSeconds(60).truncatedTo(ChronoUnit.MICROS);
        store.recordVerification("alice", VerificationStatus.VALID, verified);

        Identity saved = store.save(created.toBuilder()
                .accessToken("at-new-" + random(30))
                .refreshToken("rt-new-" + random(30))
                .expiresAt(clock.instant().plusSeconds(3600))
                .lastVerifiedAt(Instant.EPOCH)
                .status(VerificationStatus.NOT_VALID)
                .build());

        assertThat(saved.version()).isEqualTo(2);
        assertThat(saved.status()).isEqualTo(VerificationStatus.VALID);
        assertThat(saved.lastVerifiedAt()).contains(verified);
        assertThat(store.find("alice")).contains(saved);
    }

    @Test
    void aSaveFromAStaleVersionIsAConflictAndWritesNothing() {
        Identity created = store.create(identity("alice"));
        Identity winner = store.save(created.toBuilder().accessToken("at-winner-" + random(30)).build());

        Throwable lost = catchThrowable(() -> store.save(created.toBuilder().accessToken("at-loser-" + random(30)).build()));

        assertThat(lost).isInstanceOf(VersionConflictException.class)
                .hasMessage("identity alice is no longer at version 1");
        assertThat(store.find("alice")).contains(winner);
    }

    @Test
    void savingOrDeletingAMissingIdentitySaysSo() {
        Identity created = store.create(identity("alice"));

        assertThat(store.delete("alice")).isTrue();
        assertThat(store.delete("alice")).isFalse();
        assertThat(store.find("alice")).isEmpty();
        assertThatThrownBy(() -> store.save(created)).isInstanceOf(IdentityNotFoundException.class);
        assertThat(store.recordVerification("alice", VerificationStatus.VALID, clock.instant())).isFalse();
    }

    @Test
    void manyThreadsSavingTheSameVersionMakeExactlyOneWinnerPerRound() throws Exception {
        store.create(identity("alice"));
        int writers = 16;
        for (int round = 0; round < 10; round++) {
            Identity current = store.find("alice").orElseThrow();
            CyclicBarrier start = new CyclicBarrier(writers);
            AtomicInteger won = new AtomicInteger();
            AtomicInteger conflicts = new AtomicInteger();
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                done.add(threads.submit(() -> {
                    start.await();
                    try {
                        store.save(current.toBuilder().accessToken("at-" + random(30)).build());
                        won.incrementAndGet();
                    } catch (VersionConflictException e) {
                        conflicts.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(30, TimeUnit.SECONDS);
            }
            assertThat(won).hasValue(1);
            assertThat(conflicts).hasValue(writers - 1);
            assertThat(store.find("alice").orElseThrow().version()).isEqualTo(current.version() + 1);
        }
    }

    // ---- sweep claims and verification records ---------------------------------------------------------------

    @Test
    void claimTakesTheNeverAndLongAgoVerifiedFirstStampsThemAndLeavesTheVersion() {
        Instant now = clock.instant();
        Instant cutoff = now.minus(Duration.ofHours(1));
        store.create(identity("never"));
        store.create(identity("old"));
        store.create(identity("recent"));
        store.recordVerification("old", VerificationStatus.VALID, now.minus(Duration.ofHours(5)));
        store.recordVerification("recent", VerificationStatus.VALID, now.minus(Duration.ofMinutes(5)));

        List<Identity> first = store.claimUnverified(cutoff, now, 1);
        List<Identity> second = store.claimUnverified(cutoff, now, 10);
        List<Identity> third = store.claimUnverified(cutoff, now, 10);

        assertThat(first).extracting(Identity::id).containsExactly("never");
        assertThat(second).extracting(Identity::id).containsExactly("old");
        assertThat(third).isEmpty();
        assertThat(first.get(0).lastVerifiedAt()).contains(now);
        assertThat(first.get(0).version()).isEqualTo(1);
        assertThat(store.find("never").orElseThrow().lastVerifiedAt()).contains(now);
        assertThat(store.find("old").orElseThrow().status()).isEqualTo(VerificationStatus.VALID);
        assertThat(store.find("recent").orElseThrow().lastVerifiedAt())
                .contains(now.minus(Duration.ofMinutes(5)));
    }

    @Test
    void claimsPageThroughEveryIdentityOnce() {
        for (int i = 0; i < 25; i++) {
            store.create(identity("id-" + i));
        }
        Instant now = clock.instant();

        List<Integer> pages = new ArrayList<>();
        Set<String> claimed = ConcurrentHashMap.newKeySet();
        for (List<Identity> page; !(page = store.claimUnverified(now, now, 10)).isEmpty(); ) {
            pages.add(page.size());
            page.forEach(i -> assertThat(claimed.add(i.id())).isTrue());
        }

        assertThat(pages).containsExactly(10, 10, 5);
        assertThat(claimed).hasSize(25);
        assertThat(store.claimUnverified(now, now, 0)).isEmpty();
    }

    @Test
    void recordingAVerificationWritesStatusAndTimeButNotTheVersion() {
        store.create(identity("alice"));
        Instant at = clock.instant();

        assertThat(store.recordVerification("alice", VerificationStatus.ERROR, at)).isTrue();

        Identity read = store.find("alice").orElseThrow();
        assertThat(read.status()).isEqualTo(VerificationStatus.ERROR);
        assertThat(read.lastVerifiedAt()).contains(at);
        assertThat(read.version()).isEqualTo(1);
    }

    @Test
    void concurrentClaimersOnTwoStoresGetEachIdentityExactlyOncePerPass() throws Exception {
        int identities = 600;
        for (int i = 0; i < identities; i++) {
            store.create(identity("id-" + i));
        }
        JdbcIdentityStore other = newStore().build();
        for (int pass = 0; pass < 3; pass++) {
            clock.advance(Duration.ofHours(2));
            Instant now = clock.instant();
            Instant cutoff = now.minus(Duration.ofHours(1));
            ConcurrentHashMap<String, AtomicInteger> seen = new ConcurrentHashMap<>();
            int claimers = 8;
            CyclicBarrier start = new CyclicBarrier(claimers);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < claimers; t++) {
                JdbcIdentityStore mine = t % 2 == 0 ? store : other;
                done.add(threads.submit(() -> {
                    start.await();
                    for (List<Identity> page; !(page = mine.claimUnverified(cutoff, now, 20)).isEmpty(); ) {
                        page.forEach(i -> seen.computeIfAbsent(i.id(), k -> new AtomicInteger()).incrementAndGet());
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
            assertThat(seen).hasSize(identities);
            assertThat(seen.values()).allSatisfy(n -> assertThat(n).hasValue(1));
            assertThat(db.queryValue("SELECT COUNT(*) FROM oauth_identity WHERE last_verified_at = ?",
                    Rows.timestamp(now))).isEqualTo((long) identities);
        }
    }

    // ---- refresh leases --------------------------------------------------------------------------------------

    @Test
    void aLeaseIsExclusiveUntilClosed() {
        store.create(identity("alice"));

        try (RefreshLease lease = store.acquireRefreshLease("alice", Duration.ZERO)) {
            assertThat(lease.identity()).isEqualTo(store.find("alice").orElseThrow());
            assertThatThrownBy(() -> store.acquireRefreshLease("alice", Duration.ZERO))
                    .isInstanceOf(LeaseTimeoutException.class);
            JdbcIdentityStore otherProcess = newStore().build();
            assertThatThrownBy(() -> otherProcess.acquireRefreshLease("alice", Duration.ZERO))
                    .isInstanceOf(LeaseTimeoutException.class);
        }

        store.acquireRefreshLease("alice", Duration.ZERO).close();
        assertThat(db.queryValue("SELECT COUNT(*) FROM oauth_identity WHERE lease_owner IS NOT NULL")).isEqualTo(0L);
        assertThat(store.localLeasesInUse()).isZero();
    }

    @Test
    void saveAndReleaseSavesWithCompareAndSetAndFreesTheLeaseInTheSameStatement() {
        store.create(identity("alice"));
        RefreshLease lease = store.acquireRefreshLease("alice", Duration.ZERO);
        assertThat(db.queryValue("SELECT lease_owner FROM oauth_identity WHERE id = 'alice'")).isNotNull();

        Identity saved = lease.saveAndRelease(lease.identity().toBuilder().accessToken("at-new-" + random(30)).build());

        assertThat(saved.version()).isEqualTo(2);
        assertThat(store.find("alice")).contains(saved);
        assertThat(db.queryValue("SELECT lease_owner FROM oauth_identity WHERE id = 'alice'")).isNull();
        assertThat(db.queryValue("SELECT lease_expires_at FROM oauth_identity WHERE id = 'alice'")).isNull();
        assertThatThrownBy(() -> lease.saveAndRelease(saved)).isInstanceOf(IllegalStateException.class);
        lease.close();
        store.acquireRefreshLease("alice", Duration.ZERO).close();
    }

    @Test
    void aLeaseWhoseSaveLosesTheCompareAndSetIsReleasedAnyway() {
        Identity created = store.create(identity("alice"));
        RefreshLease lease = store.acquireRefreshLease("alice", Duration.ZERO);
        Identity other = store.save(created.toBuilder().accessToken("at-other-writer-" + random(30)).build());

        assertThatThrownBy(() -> lease.saveAndRelease(lease.identity().toBuilder().accessToken("at-" + random(30)).build()))
                .isInstanceOf(VersionConflictException.class);

        assertThat(store.find("alice")).contains(other);
        store.acquireRefreshLease("alice", Duration.ZERO).close();
    }

    @Test
    void aLeaseOnAMissingIdentityIsNotFoundAtOnce() {
        assertThatThrownBy(() -> store.acquireRefreshLease("nobody", Duration.ofSeconds(30)))
                .isInstanceOf(IdentityNotFoundException.class);
        assertThat(store.localLeasesInUse()).isZero();
    }

    @Test
    void anAbandonedLeaseExpiresByTheClockAndItsLateSaveStillKeepsTheTokens() {
        store.create(identity("alice"));
        JdbcIdentityStore otherProcess = newStore().build();
        RefreshLease abandoned = store.acquireRefreshLease("alice", Duration.ZERO);

        clock.advance(TTL.minusMillis(1));
        assertThatThrownBy(() -> otherProcess.acquireRefreshLease("alice", Duration.ZERO))
                .isInstanceOf(LeaseTimeoutException.class);
        clock.advance(Duration.ofMillis(2));
        RefreshLease taker = otherProcess.acquireRefreshLease("alice", Duration.ZERO);
        assertThat(taker.identity().version()).isEqualTo(1);

        // The first holder finishes late: its tokens may be the only valid ones, so they are saved...
        Identity late = abandoned.saveAndRelease(abandoned.identity().toBuilder()
                .refreshToken("rt-rotated-" + random(30)).build());
        assertThat(late.version()).isEqualTo(2);
        // ...but the lease it lost stays with the taker,
        assertThatThrownBy(() -> store.acquireRefreshLease("alice", Duration.ZERO))
                .isInstanceOf(LeaseTimeoutException.class);
        // whose own save from version 1 loses the compare-and-set instead of overwriting them.
        assertThatThrownBy(() -> taker.saveAndRelease(taker.identity().toBuilder().accessToken("at-" + random(30)).build()))
                .isInstanceOf(VersionConflictException.class);
        assertThat(store.find("alice")).contains(late);
        store.acquireRefreshLease("alice", Duration.ZERO).close();
    }

    @Test
    void aWaiterInAnotherProcessGetsTheLeaseWhenTheHolderSavesAndSeesTheNewVersion() throws Exception {
        store.create(identity("alice"));
        CountDownLatch polling = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        JdbcIdentityStore otherProcess = newStore().leasePause(nanos -> {
            polling.countDown();
            proceed.await();
        }).build();
        RefreshLease holder = store.acquireRefreshLease("alice", Duration.ZERO);

        Future<RefreshLease> waiter = threads.submit(() -> otherProcess.acquireRefreshLease("alice", Duration.ofSeconds(30)));
        assertThat(polling.await(30, TimeUnit.SECONDS)).as("the waiter found the lease taken").isTrue();
        Identity saved = holder.saveAndRelease(holder.identity().toBuilder().accessToken("at-new-" + random(30)).build());
        proceed.countDown();

        try (RefreshLease granted = waiter.get(30, TimeUnit.SECONDS)) {
            assertThat(granted.identity()).isEqualTo(saved);
            assertThat(granted.identity().version()).isEqualTo(2);
        }
    }

    @Test
    void aWaiterGetsTheLeaseOfAHolderThatNeverReturnsOnceTheClockPassesItsExpiry() throws Exception {
        store.create(identity("alice"));
        CountDownLatch polling = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        JdbcIdentityStore otherProcess = newStore().leasePause(nanos -> {
            polling.countDown();
            proceed.await();
        }).build();
        RefreshLease dead = store.acquireRefreshLease("alice", Duration.ZERO);

        Future<RefreshLease> waiter = threads.submit(() -> otherProcess.acquireRefreshLease("alice", Duration.ofSeconds(30)));
        assertThat(polling.await(30, TimeUnit.SECONDS)).isTrue();
        clock.advance(TTL.plusMillis(1));
        proceed.countDown();

        RefreshLease granted = waiter.get(30, TimeUnit.SECONDS);
        assertThat(granted.identity().version()).isEqualTo(1);
        dead.close(); // a late release from the old holder leaves the new holder's lease alone
        assertThatThrownBy(() -> store.acquireRefreshLease("alice", Duration.ZERO))
                .isInstanceOf(LeaseTimeoutException.class);
        granted.close();
        store.acquireRefreshLease("alice", Duration.ZERO).close();
    }

    @Test
    void aLeakedLeaseInTheSameProcessHoldsUpItsOwnThreadsOnlyUntilTheClockPassesIt() throws Exception {
        store.create(identity("alice"));
        RefreshLease leaked = store.acquireRefreshLease("alice", Duration.ZERO);
        Future<RefreshLease> queued = threads.submit(() -> store.acquireRefreshLease("alice", Duration.ofSeconds(60)));

        clock.advance(TTL.minusMillis(1));
        assertThatThrownBy(() -> store.acquireRefreshLease("alice", Duration.ZERO))
                .isInstanceOf(LeaseTimeoutException.class);
        assertThat(queued).isNotDone();
        clock.advance(Duration.ofMillis(2));

        try (RefreshLease next = queued.get(30, TimeUnit.SECONDS)) {
            assertThat(next.identity().version()).isEqualTo(1);
            assertThatThrownBy(() -> store.acquireRefreshLease("alice", Duration.ZERO))
                    .isInstanceOf(LeaseTimeoutException.class);
            leaked.close(); // late: leaves the new holder's lease alone
            assertThatThrownBy(() -> newStore().build().acquireRefreshLease("alice", Duration.ZERO))
                    .isInstanceOf(LeaseTimeoutException.class);
        }
        store.acquireRefreshLease("alice", Duration.ZERO).close();
        assertThat(store.localLeasesInUse()).isZero();
    }

    @Test
    void leasesAreExclusiveAcrossManyThreadsAndStores() throws Exception {
        store.create(identity("alice"));
        List<JdbcIdentityStore> stores = new ArrayList<>();
        for (int s = 0; s < 4; s++) {
            // Pollers retry at once instead of sleeping: more contention, and no wall-clock time in the test.
            stores.add(newStore().leasePause(nanos -> Thread.yield()).build());
        }
        int perStore = 6;
        int cycles = 8;
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        AtomicInteger conflicts = new AtomicInteger();
        CyclicBarrier start = new CyclicBarrier(stores.size() * perStore);
        List<Future<?>> done = new ArrayList<>();
        for (JdbcIdentityStore s : stores) {
            for (int t = 0; t < perStore; t++) {
                done.add(threads.submit(() -> {
                    start.await();
                    for (int c = 0; c < cycles; c++) {
                        RefreshLease lease = s.acquireRefreshLease("alice", Duration.ofSeconds(60));
                        if (inside.incrementAndGet() != 1) {
                            overlaps.incrementAndGet();
                        }
                        s.find("alice"); // a round trip while holding: room for an overlap to show
                        inside.decrementAndGet();
                        try {
                            lease.saveAndRelease(lease.identity().toBuilder().accessToken("at-" + random(30)).build());
                        } catch (VersionConflictException e) {
                            conflicts.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
        }
        for (Future<?> f : done) {
            f.get(120, TimeUnit.SECONDS);
        }

        assertThat(overlaps).hasValue(0);
        assertThat(conflicts).hasValue(0);
        // Every holder read the version its predecessor saved: one version step per lease, none lost.
        assertThat(store.find("alice").orElseThrow().version()).isEqualTo(1L + stores.size() * perStore * cycles);
        stores.forEach(s -> assertThat(s.localLeasesInUse()).isZero());
    }

    // ---- incarnations: an id deleted and created again is another identity ----------------------------------

    @Test
    void createDrawsANewIncarnationWhateverTheIdentityCarriedAndEveryReadReturnsIt() {
        Identity created = store.create(identity("alice").toBuilder().incarnation(42).build());

        assertThat(created.incarnation()).isNotIn(0L, 42L);
        assertThat(db.queryValue("SELECT incarnation FROM oauth_identity WHERE id = 'alice'"))
                .isEqualTo(created.incarnation());
        assertThat(store.find("alice")).contains(created);
        try (RefreshLease lease = store.acquireRefreshLease("alice", Duration.ZERO)) {
            assertThat(lease.identity()).isEqualTo(created);
        }
        assertThat(store.claimUnverified(clock.instant(), clock.instant(), 10)).singleElement()
                .satisfies(claimed -> assertThat(claimed.incarnation()).isEqualTo(created.incarnation()));
        assertThat(store.save(created.toBuilder().accessToken("at-new-" + random(30)).build()).incarnation())
                .isEqualTo(created.incarnation());
        store.delete("alice");
        assertThat(store.create(identity("alice")).incarnation()).isNotIn(0L, created.incarnation());
    }

    @Test
    void aStaleSaveFromBeforeADeleteAndCreateAgainIsNotFoundAndLeavesTheNewIdentityAlone() {
        Identity oldAccount = store.create(identity("alice"));
        store.delete("alice");
        Identity newAccount = store.create(identity("alice"));
        assertThat(newAccount.version()).isEqualTo(oldAccount.version());

        Throwable stale = catchThrowable(() -> store.save(oldAccount.toBuilder()
                .accessToken("at-old-account-" + random(30)).build()));

        assertThat(stale).isInstanceOf(IdentityNotFoundException.class);
        assertThat(store.find("alice")).contains(newAccount);
        // The same incarnation at an old version is still an ordinary conflict.
        Identity saved = store.save(newAccount.toBuilder().accessToken("at-" + random(30)).build());
        assertThatThrownBy(() -> store.save(newAccount)).isInstanceOf(VersionConflictException.class);
        assertThat(store.find("alice")).contains(saved);
    }

    @Test
    void aLeaseHeldAcrossADeleteAndCreateAgainCannotRenewNorSaveOverTheNewIdentity() {
        store.create(identity("alice"));
        RefreshLease oldLease = store.acquireRefreshLease("alice", Duration.ZERO);
        store.delete("alice");
        Identity newAccount = store.create(identity("alice"));

        assertThat(oldLease.renew()).isFalse();
        Throwable stale = catchThrowable(() -> oldLease.saveAndRelease(oldLease.identity().toBuilder()
                .refreshToken("rt-old-account-" + random(30)).build()));

        assertThat(stale).isInstanceOf(IdentityNotFoundException.class);
        assertThat(store.find("alice")).contains(newAccount);
        assertThat(db.queryValue("SELECT COUNT(*) FROM oauth_identity WHERE lease_owner IS NOT NULL")).isEqualTo(0L);
        assertThat(store.localLeasesInUse()).isZero();
        try (RefreshLease lease = newStore().build().acquireRefreshLease("alice", Duration.ZERO)) {
            assertThat(lease.identity()).isEqualTo(newAccount);
            assertThat(lease.tookOver()).isFalse();
        }
    }

    @Test
    void aTableOfVersionOneIsUpgradedAndItsRowsReadAsLegacyIncarnationZero() {
        startFromAVersionOneTableHoldingAlice();

        JdbcIdentityStore upgraded = newStore().build();

        Identity legacy = upgraded.find("alice").orElseThrow();
        assertThat(legacy.incarnation()).isZero();
        assertThat(legacy.version()).isEqualTo(1);
        assertThat(legacy.accessToken()).isEqualTo("at-legacy");
        Identity saved = upgraded.save(legacy.toBuilder().accessToken("at-" + random(30)).build());
        assertThat(saved.version()).isEqualTo(2);
        assertThat(saved.incarnation()).isZero();
        try (RefreshLease lease = upgraded.acquireRefreshLease("alice", Duration.ZERO)) {
            assertThat(lease.saveAndRelease(lease.identity().toBuilder().accessToken("at-" + random(30)).build())
                    .version()).isEqualTo(3);
        }
        assertThat(upgraded.find("alice").orElseThrow().incarnation()).isZero();
        assertThat(upgraded.create(identity("bob")).incarnation()).isNotZero();
        // Upgrading again finds nothing to do.
        assertThat(newStore().build().find("alice").orElseThrow().version()).isEqualTo(3);
    }

    @Test
    void instancesStartingTogetherOnAMissingOrVersionOneTableAllEndWithTheNewestSchema() throws Exception {
        int instances = 6;
        for (int round = 0; round < 6; round++) {
            boolean fromVersionOne = round % 2 == 1;
            if (fromVersionOne) {
                startFromAVersionOneTableHoldingAlice();
            } else {
                db.execute("DROP TABLE oauth_identity");
                db.execute("DROP TABLE " + Schema.HISTORY); // a release before the history
            }
            CyclicBarrier start = new CyclicBarrier(instances);
            List<Future<JdbcIdentityStore>> started = new ArrayList<>();
            for (int i = 0; i < instances; i++) {
                started.add(threads.submit(() -> {
                    start.await();
                    return newStore().build();
                }));
            }
            List<Identity> created = new ArrayList<>();
            for (int i = 0; i < instances; i++) {
                created.add(started.get(i).get(60, TimeUnit.SECONDS).create(identity("id-" + round + "-" + i)));
            }

            assertThat(created).allSatisfy(i -> assertThat(i.incarnation()).isNotZero());
            assertThat(db.queryValue("SELECT COUNT(*) FROM oauth_identity WHERE incarnation <> 0"))
                    .isEqualTo((long) instances);
            assertThat(store.find("alice").map(Identity::incarnation)).isEqualTo(
                    fromVersionOne ? Optional.of(0L) : Optional.empty());
        }
    }

    /** The table as a release before incarnations left it: the version 1 script, and a row its code inserted. */
    private void startFromAVersionOneTableHoldingAlice() {
        db.execute("DROP TABLE oauth_identity");
        db.execute("DROP TABLE IF EXISTS " + Schema.HISTORY); // that release had no history
        for (String statement : Schema.statements(db.dialect, "V1__oauth_identity.sql")) {
            db.execute(statement);
        }
        db.execute("INSERT INTO oauth_identity (id, provider_key, external_user_id, access_token, refresh_token,"
                + " token_type, expires_at, scopes, extras, last_verified_at, status, version, created_at, updated_at)"
                + " VALUES ('alice', 'gitlab', 'ext-alice', 'at-legacy', 'rt-legacy', 'Bearer', ?, '[\"read_api\"]',"
                + " '{}', ?, 'VALID', 1, ?, ?)", Rows.timestamp(clock.instant().plusSeconds(600)),
                Rows.timestamp(clock.instant()), Rows.timestamp(clock.instant()), Rows.timestamp(clock.instant()));
    }

    // ---- lease renewal and takeover ----------------------------------------------------------------------------

    @Test
    void aRenewedLeaseOutlastsItsFirstExpiryInEveryProcess() {
        store.create(identity("alice"));
        JdbcIdentityStore otherProcess = newStore().build();
        RefreshLease holder = store.acquireRefreshLease("alice", Duration.ZERO);
        assertThat(holder.renewalInterval()).contains(TTL.dividedBy(3));

        clock.advance(TTL.dividedBy(2));
        assertThat(holder.renew()).isTrue();
        clock.advance(TTL.dividedBy(2).plusMillis(1)); // past the first expiry, well within the renewed one

        assertThatThrownBy(() -> otherProcess.acquireRefreshLease("alice", Duration.ZERO))
                .isInstanceOf(LeaseTimeoutException.class);
        assertThatThrownBy(() -> store.acquireRefreshLease("alice", Duration.ZERO))
                .isInstanceOf(LeaseTimeoutException.class);
        Identity saved = holder.saveAndRelease(holder.identity().toBuilder().accessToken("at-" + random(30)).build());
        assertThat(saved.version()).isEqualTo(2);
        assertThat(db.queryValue("SELECT COUNT(*) FROM oauth_identity WHERE lease_owner IS NOT NULL")).isEqualTo(0L);

        // Without a renewal the lease runs out on time: the renewal moved it, nothing else did.
        RefreshLease unrenewed = store.acquireRefreshLease("alice", Duration.ZERO);
        clock.advance(TTL.plusMillis(1));
        otherProcess.acquireRefreshLease("alice", Duration.ZERO).close();
        unrenewed.close();
    }

    @Test
    void aRenewalAlsoKeepsThisProcessesOtherThreadsQueuedInMemory() {
        store.create(identity("alice"));
        RefreshThroughStoreTest.CountingDataSource counting = new RefreshThroughStoreTest.CountingDataSource(db.pool);
        JdbcIdentityStore counted = JdbcIdentityStore.builder(counting).dialect(db.dialect).clock(clock).leaseTtl(TTL)
                .build();
        RefreshLease holder = counted.acquireRefreshLease("alice", Duration.ZERO);
        clock.advance(TTL.dividedBy(2));
        assertThat(holder.renew()).isTrue();
        clock.advance(TTL.dividedBy(2).plusMillis(1));
        counting.reset();

        assertThatThrownBy(() -> counted.acquireRefreshLease("alice", Duration.ZERO))
                .isInstanceOf(LeaseTimeoutException.class);

        // The holder is live in this process's queue too: no attempt on the row, only the existence check.
        assertThat(counting.statements()).containsExactly("SELECT");
        holder.close();
        assertThat(counted.localLeasesInUse()).isZero();
    }

    @Test
    void tookOverOnlyWhenThePreviousHoldersLeaseRanOutUnreleased() {
        store.create(identity("alice"));
        RefreshThroughStoreTest.CountingDataSource counting = new RefreshThroughStoreTest.CountingDataSource(db.pool);
        JdbcIdentityStore otherProcess = JdbcIdentityStore.builder(counting).dialect(db.dialect).clock(clock)
                .leaseTtl(TTL).build();

        RefreshLease fresh = store.acquireRefreshLease("alice", Duration.ZERO);
        assertThat(fresh.tookOver()).isFalse();
        fresh.close();
        RefreshLease afterClose = store.acquireRefreshLease("alice", Duration.ZERO);
        assertThat(afterClose.tookOver()).isFalse();
        afterClose.saveAndRelease(afterClose.identity().toBuilder().accessToken("at-" + random(30)).build());
        RefreshLease afterSave = store.acquireRefreshLease("alice", Duration.ZERO);
        assertThat(afterSave.tookOver()).isFalse();

        clock.advance(TTL.plusMillis(1)); // afterSave's holder never comes back
        counting.reset();
        RefreshLease takeover = otherProcess.acquireRefreshLease("alice", Duration.ZERO);

        assertThat(takeover.tookOver()).isTrue();
        assertThat(counting.statements()).as("a takeover is told in the one statement that takes it")
                .containsExactly("UPDATE");
        assertThat(afterSave.renew()).isFalse();
        assertThat(afterSave.renew()).isFalse();
        // The loser's renewal left the taker's lease alone.
        assertThatThrownBy(() -> store.acquireRefreshLease("alice", Duration.ZERO))
                .isInstanceOf(LeaseTimeoutException.class);
        assertThat(takeover.renew()).isTrue();
        takeover.close();
        afterSave.close();

        // A leaked lease in the same process is taken over through the in-memory queue too.
        RefreshLease leaked = store.acquireRefreshLease("alice", Duration.ZERO);
        clock.advance(TTL.plusMillis(1));
        try (RefreshLease next = store.acquireRefreshLease("alice", Duration.ZERO)) {
            assertThat(next.tookOver()).isTrue();
        }
        leaked.close();
        assertThat(store.localLeasesInUse()).isZero();
    }

    @Test
    void renewAfterReleaseIsFalseAndTouchesNothing() {
        store.create(identity("alice"));
        RefreshLease closed = store.acquireRefreshLease("alice", Duration.ZERO);
        closed.close();
        RefreshLease saved = store.acquireRefreshLease("alice", Duration.ZERO);
        saved.saveAndRelease(saved.identity().toBuilder().accessToken("at-" + random(30)).build());

        assertThat(closed.renew()).isFalse();
        assertThat(saved.renew()).isFalse();

        assertThat(db.queryValue("SELECT COUNT(*) FROM oauth_identity WHERE lease_owner IS NOT NULL"
                + " OR lease_expires_at IS NOT NULL")).isEqualTo(0L);
        assertThat(store.localLeasesInUse()).isZero();
        try (RefreshLease next = store.acquireRefreshLease("alice", Duration.ZERO)) {
            assertThat(next.tookOver()).isFalse();
        }
    }

    @Test
    void renewWhileTheDatabaseIsDownIsFalseWithoutThrowingAndTheLeaseSurvivesIt() {
        store.create(identity("alice"));
        RefreshThroughStoreTest.SwitchableDataSource database = new RefreshThroughStoreTest.SwitchableDataSource(db.pool);
        JdbcIdentityStore flaky = JdbcIdentityStore.builder(database).dialect(db.dialect).clock(clock).leaseTtl(TTL)
                .build();
        RefreshLease lease = flaky.acquireRefreshLease("alice", Duration.ZERO);
        database.goDown();

        assertThat(lease.renew()).isFalse();
        assertThat(lease.renew()).isFalse();

        database.comeBack();
        clock.advance(TTL.dividedBy(2));
        assertThat(lease.renew()).as("an outage does not lose the lease").isTrue();
        clock.advance(TTL.dividedBy(2).plusMillis(1));
        assertThatThrownBy(() -> store.acquireRefreshLease("alice", Duration.ZERO))
                .isInstanceOf(LeaseTimeoutException.class);
        lease.close();
    }

    @Test
    void renewalsFromOtherThreadsWhileTheHolderSavesOrClosesNeverOutliveTheRelease() throws Exception {
        store.create(identity("alice"));
        int renewers = 4;
        AtomicInteger renewals = new AtomicInteger();
        AtomicInteger lateRenewals = new AtomicInteger();
        for (int round = 0; round < 40; round++) {
            boolean save = round % 2 == 0;
            RefreshLease lease = store.acquireRefreshLease("alice", Duration.ZERO);
            AtomicBoolean released = new AtomicBoolean();
            CountDownLatch renewed = new CountDownLatch(1);
            CyclicBarrier start = new CyclicBarrier(renewers + 1);
            List<Future<?>> done = new ArrayList<>();
            for (int r = 0; r < renewers; r++) {
                done.add(threads.submit(() -> {
                    start.await();
                    while (true) {
                        boolean afterRelease = released.get();
                        boolean ok = lease.renew();
                        if (afterRelease) {
                            if (ok) {
                                lateRenewals.incrementAndGet();
                            }
                            return null;
                        }
                        if (ok) {
                            renewals.incrementAndGet();
                            renewed.countDown();
                        }
                    }
                }));
            }
            start.await(30, TimeUnit.SECONDS);
            assertThat(renewed.await(30, TimeUnit.SECONDS)).as("a renewal ran while the lease was held").isTrue();
            if (save) {
                lease.saveAndRelease(lease.identity().toBuilder().accessToken("at-" + random(30)).build());
            } else {
                lease.close();
            }
            released.set(true);
            for (Future<?> f : done) {
                f.get(30, TimeUnit.SECONDS);
            }

            assertThat(lateRenewals).as("renewals begun after the release that succeeded").hasValue(0);
            assertThat(db.queryValue("SELECT COUNT(*) FROM oauth_identity WHERE lease_owner IS NOT NULL"
                    + " OR lease_expires_at IS NOT NULL")).isEqualTo(0L);
            assertThat(store.localLeasesInUse()).isZero();
            try (RefreshLease next = newStore().build().acquireRefreshLease("alice", Duration.ZERO)) {
                assertThat(next.tookOver()).isFalse();
            }
        }
        assertThat(store.find("alice").orElseThrow().version()).isEqualTo(1 + 20);
        assertThat(renewals.get()).isGreaterThanOrEqualTo(40);
    }

    // ---- encryption at rest and error hygiene ----------------------------------------------------------------

    @Test
    void withACipherNoCredentialIsStoredInTheClearAndEverythingRoundTrips() {
        JdbcIdentityStore encrypted = newStore().tokenCipher(TestKeys.newCipher()).build();
        Identity alice = identity("alice");

        Identity created = encrypted.create(alice);

        for (String column : List.of("access_token", "refresh_token", "extras")) {
            String raw = (String) db.queryValue("SELECT " + column + " FROM oauth_identity WHERE id = 'alice'");
            assertThat(raw).startsWith("v1:");
            assertNoPieceOf(raw, alice.accessToken(), alice.refreshToken().get(), alice.extra("id_token").get());
        }
        assertThat(encrypted.find("alice")).contains(created);
        Identity saved = encrypted.save(created.toBuilder().refreshToken("rt-rotated-" + random(30)).build());
        assertThat(encrypted.find("alice")).contains(saved);
        assertThat(encrypted.claimUnverified(clock.instant(), clock.instant(), 10))
                .singleElement().satisfies(i -> assertThat(i.refreshToken()).isEqualTo(saved.refreshToken()));
        try (RefreshLease lease = encrypted.acquireRefreshLease("alice", Duration.ZERO)) {
            assertThat(lease.identity().accessToken()).isEqualTo(alice.accessToken());
        }
    }

    @Test
    void aCiphertextCopiedIntoAnotherRowDoesNotDecrypt() {
        JdbcIdentityStore encrypted = newStore().tokenCipher(TestKeys.newCipher()).build();
        Identity alice = encrypted.create(identity("alice"));
        Identity mallory = encrypted.create(identity("mallory"));
        db.execute("UPDATE oauth_identity SET access_token = (SELECT access_token FROM oauth_identity WHERE id = 'alice')"
                + " WHERE id = 'mallory'");

        Throwable failure = catchThrowable(() -> encrypted.find("mallory"));

        assertThat(failure).isInstanceOf(IdentityStoreException.class)
                .hasMessageContaining("could not decrypt the access_token of identity mallory");
        assertNoPieceOf(stackTrace(failure), alice.accessToken(), mallory.accessToken());
        assertThat(encrypted.find("alice")).contains(alice);
    }

    @Test
    void aDatabaseErrorThatEchoesTheRowNeverCarriesATokenOut() {
        Identity alice = store.create(identity("alice").toBuilder().accessToken("at-long-" + random(300)).build());
        Identity bob = store.create(identity("bob"));
        db.execute("CREATE UNIQUE INDEX test_unique_access_token ON oauth_identity (access_token)");
        try {
            // The same access token on a second row: both databases quote the duplicate value back.
            Throwable onCreate = catchThrowable(() -> store.create(identity("carol").toBuilder()
                    .accessToken(alice.accessToken()).build()));
            Throwable onSave = catchThrowable(() -> store.save(bob.toBuilder().accessToken(alice.accessToken()).build()));

            for (Throwable failure : List.of(onCreate, onSave)) {
                assertThat(failure).isInstanceOf(IdentityStoreException.class)
                        .hasMessageMatching("could not (create identity carol|save identity bob) \\(database error, SQLState 23505\\)");
                String trace = stackTrace(failure);
                assertNoPieceOf(trace, alice.accessToken());
                assertThat(trace).contains("<withheld: it echoed a credential>");
            }
            assertThat(store.find("bob")).contains(bob);
            assertThat(store.find("carol")).isEmpty();
        } finally {
            db.execute("DROP INDEX test_unique_access_token");
        }
    }

    @Test
    void toStringsAndErrorMessagesNameIdsOnly() {
        Identity alice = store.create(identity("alice"));
        RefreshLease lease = store.acquireRefreshLease("alice", Duration.ZERO);
        Throwable conflict = catchThrowable(() -> store.save(alice.toBuilder().version(7).build()));
        Throwable timeout = catchThrowable(() -> store.acquireRefreshLease("alice", Duration.ZERO));

        String text = store + " " + lease + " " + stackTrace(conflict) + " " + stackTrace(timeout);

        assertThat(text).contains("alice");
        assertNoPieceOf(text, alice.accessToken(), alice.refreshToken().get(), alice.extra("id_token").get());
        lease.close();
    }
}
