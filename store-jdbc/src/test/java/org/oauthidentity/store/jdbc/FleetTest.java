package org.oauthidentity.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockWebServer;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityStore.RefreshLease;
import org.oauthidentity.LeaseTimeoutException;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.testing.DummyProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Several instances of a service, each a separate JVM ({@link FleetWorker}) with its own connection pool, sharing
 * one database: the database alone coordinates them.
 */
abstract class FleetTest extends StoreTestSupport {
    private final List<WorkerProcess> workers = new ArrayList<>();

    @AfterEach
    void stopWorkers() {
        workers.forEach(WorkerProcess::close);
    }

    WorkerProcess worker(String name, String mode, String... args) {
        WorkerProcess worker = WorkerProcess.start(getClass().getSimpleName() + "-" + name, mode, db, args);
        workers.add(worker);
        return worker;
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void threeProcessesOfFiftyThreadsRefreshEachExpiryExactlyOnceAgainstARotatingVendor() throws Exception {
        RotatingTokenEndpoint vendor = new RotatingTokenEndpoint("rt-0-" + random(32));
        try (MockWebServer server = new MockWebServer()) {
            server.setDispatcher(vendor);
            server.start();
            store.create(Identity.builder().id("shared").providerKey("fleet")
                    .accessToken("at-0-" + random(32)).refreshToken(vendor.currentRefreshToken())
                    .expiresAt(Instant.now().minusSeconds(60)).build());
            List<WorkerProcess> fleet = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                fleet.add(worker("instance" + i, "refresh", server.url("/token").toString(), "shared", "50"));
            }
            for (WorkerProcess instance : fleet) {
                instance.expect("READY");
            }

            for (int expiry = 1; expiry <= 20; expiry++) {
                // The access token runs out (the version does not move: only the clock would change this).
                db.execute("UPDATE oauth_identity SET expires_at = ? WHERE id = 'shared'",
                        Rows.timestamp(Instant.now().minusSeconds(1)));
                long expiredVersion = store.find("shared").orElseThrow().version();
                for (WorkerProcess instance : fleet) {
                    instance.send("ARM " + expiry);
                }
                for (WorkerProcess instance : fleet) {
                    assertThat(instance.expect("ARMED " + expiry)).isEqualTo("ARMED " + expiry + " " + expiredVersion);
                }
                for (WorkerProcess instance : fleet) {
                    instance.send("GO " + expiry);
                }
                Identity stored = null;
                for (WorkerProcess instance : fleet) {
                    String done = instance.expect("DONE " + expiry);
                    stored = store.find("shared").orElseThrow();
                    assertThat(done).as("what the 50 callers of %s got", instance.name).isEqualTo("DONE " + expiry
                            + " errors=0 [] versions=[" + stored.version() + "] tokens=["
                            + FleetWorker.hash(stored.accessToken()) + "]");
                }

                assertThat(vendor.requests()).as("token requests after expiry %d", expiry).isEqualTo(expiry);
                assertThat(stored.version()).isEqualTo(expiredVersion + 1);
            }

            assertThat(vendor.reuses()).isZero();
            assertThat(vendor.revoked()).isFalse();
            Identity last = store.find("shared").orElseThrow();
            assertThat(last.refreshToken()).contains(vendor.currentRefreshToken());
            assertThat(last.accessToken()).isEqualTo(vendor.currentAccessToken());
            for (WorkerProcess instance : fleet) {
                instance.send("QUIT");
                assertThat(instance.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(instance.process.exitValue()).isZero();
            }
        }
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void twoSweepProcessesClaimFiveThousandIdentitiesEachExactlyOnce() throws Exception {
        int identities = 5000;
        List<Future<?>> creating = new ArrayList<>();
        for (int part = 0; part < 4; part++) {
            int first = part;
            creating.add(threads.submit(() -> {
                for (int i = first; i < identities; i += 4) {
                    store.create(Identity.builder().id(String.format("id-%05d", i)).providerKey("gitlab")
                            .accessToken("at-" + i + "-" + random(20)).refreshToken("rt-" + i + "-" + random(20))
                            .build());
                }
                return null;
            }));
        }
        for (Future<?> f : creating) {
            f.get(120, TimeUnit.SECONDS);
        }
        Instant now = clock.instant();
        Instant cutoff = now.minus(Duration.ofHours(1));
        List<WorkerProcess> sweeps = List.of(
                worker("sweep1", "claim", cutoff.toString(), now.toString(), "50", "2"),
                worker("sweep2", "claim", cutoff.toString(), now.toString(), "50", "2"));
        for (WorkerProcess sweep : sweeps) {
            sweep.expect("READY");
        }
        for (WorkerProcess sweep : sweeps) {
            sweep.send("GO");
        }

        Map<String, Integer> claims = new HashMap<>();
        List<Integer> perProcess = new ArrayList<>();
        for (WorkerProcess sweep : sweeps) {
            int mine = 0;
            for (String line; !(line = sweep.expect("")).startsWith("DONE "); ) {
                assertThat(line).startsWith("CLAIMED ");
                for (String id : line.substring("CLAIMED ".length()).split(",")) {
                    claims.merge(id, 1, Integer::sum);
                    mine++;
                }
            }
            perProcess.add(mine);
        }

        assertThat(claims).hasSize(identities);
        assertThat(claims.values()).containsOnly(1);
        assertThat(perProcess.stream().mapToInt(Integer::intValue).sum()).isEqualTo(identities);
        assertThat(db.queryValue("SELECT COUNT(*) FROM oauth_identity WHERE last_verified_at = ?", Rows.timestamp(now)))
                .isEqualTo((long) identities);
    }

    /**
     * The holder is a real process, killed. Its lease ends at its own clock's now + 3 s; rather than wait 3 s, the
     * test's store reads time from a clock the test sets just before and just after that expiry, which is what
     * another instance's clock reads 3 s later.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aHolderKilledMidLeaseBlocksTheIdentityOnlyUntilItsLeaseTimeRunsOut() throws Exception {
        Identity alice = store.create(identity("alice"));
        WorkerProcess holder = worker("holder", "hold", "alice", "3000");
        holder.expect("HELD 1");
        assertThatThrownBy(() -> store.acquireRefreshLease("alice", Duration.ZERO)).isInstanceOf(LeaseTimeoutException.class);

        holder.process.destroyForcibly();
        assertThat(holder.process.waitFor(60, TimeUnit.SECONDS)).isTrue();

        // Dead, but the row still names it: nothing releases a lease except its holder or its time.
        assertThatThrownBy(() -> store.acquireRefreshLease("alice", Duration.ZERO)).isInstanceOf(LeaseTimeoutException.class);
        Instant leaseEnds = db.queryInstant("SELECT lease_expires_at FROM oauth_identity WHERE id = 'alice'");
        clock.set(leaseEnds.minusMillis(1));
        assertThatThrownBy(() -> store.acquireRefreshLease("alice", Duration.ZERO)).isInstanceOf(LeaseTimeoutException.class);

        CountDownLatch polling = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        JdbcIdentityStore waiterStore = newStore().leasePause(nanos -> {
            polling.countDown();
            proceed.await();
        }).build();
        Future<RefreshLease> waiter = threads.submit(() -> waiterStore.acquireRefreshLease("alice", Duration.ofSeconds(60)));
        assertThat(polling.await(60, TimeUnit.SECONDS)).isTrue();
        clock.set(leaseEnds.plusMillis(1));
        proceed.countDown();
        waiter.get(60, TimeUnit.SECONDS).close();

        DummyProvider vendor = DummyProvider.create("gitlab", clock);
        Identity refreshed = IdentityRefresher.builder(store).provider(vendor).build().refresh(alice);
        assertThat(refreshed.version()).isEqualTo(2);
        assertThat(vendor.calls()).isEqualTo(1);
    }
}
