package org.oauthidentity.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.oauthidentity.Identity;

/**
 * The fleet on one embedded PostgreSQL, the production setup; and the validation sweep of several instances,
 * which only PostgreSQL serves (H2 is for one instance).
 */
class PostgresFleetTest extends FleetTest {
    private static final Duration INTERVAL = Duration.ofHours(1);
    /** The sweep's default jitter: a tenth of the interval. */
    private static final Duration JITTER = INTERVAL.dividedBy(10);
    private static final int CONCURRENCY = 8;
    /** ValidationSweep's default page for a concurrency of 8. */
    private static final int PAGE = 256;
    private static final int IDENTITIES = 2000;

    @Override
    TestDatabase newDatabase() {
        return TestDatabase.postgres();
    }

    /**
     * Three instances sweep the same identities at the same instant: each token is presented once, and the
     * instances' claims add up to the whole; one interval later once again; within the interval not at all.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void threeSweepProcessesCheckEveryIdentityExactlyOncePerInterval() throws Exception {
        SweepTokenEndpoint vendor = new SweepTokenEndpoint();
        try (MockWebServer server = new MockWebServer()) {
            server.setDispatcher(vendor);
            server.start();
            Set<String> ids = createIdentities(vendor);
            List<WorkerProcess> fleet = sweepers(server, "sweep-1", "sweep-2", "sweep-3");
            Instant t = clock.instant();

            Instant[] rounds = {t, t.plus(INTERVAL).plusSeconds(1)};
            for (Instant at : rounds) {
                List<Map<String, Long>> passes = pass(fleet, at);

                Map<String, Integer> presented = vendor.endRound();
                assertThat(presented.keySet()).as("identities checked at %s", at).isEqualTo(ids);
                assertThat(presented.values()).as("presentations per identity").containsOnly(1);
                assertThat(passes.stream().mapToLong(p -> p.get("claimed")).sum()).isEqualTo(IDENTITIES);
                Map<String, Integer> byClient = vendor.endRoundByClient();
                for (int i = 0; i < fleet.size(); i++) {
                    Map<String, Long> pass = passes.get(i);
                    assertThat(pass.get("valid")).as("%s's pass", fleet.get(i).name).isEqualTo(pass.get("claimed"));
                    assertThat(byClient.getOrDefault("sweep-" + (i + 1), 0).longValue())
                            .as("token requests of %s", fleet.get(i).name).isEqualTo(pass.get("claimed"));
                }
                // Recorded at the pass's instant, moved back by at most the sweep's default jitter.
                assertThat(db.queryValue("SELECT COUNT(*) FROM oauth_identity WHERE status = 'VALID'"
                        + " AND last_verified_at BETWEEN ? AND ?", Rows.timestamp(at.minus(JITTER)),
                        Rows.timestamp(at))).isEqualTo((long) IDENTITIES);
            }

            // A minute after the last pass, inside the interval: nothing is due.
            List<Map<String, Long>> early = pass(fleet, rounds[1].plus(Duration.ofMinutes(1)));
            assertThat(early).allSatisfy(p -> assertThat(p.get("claimed")).isZero());
            assertThat(vendor.endRound()).isEmpty();
            assertThat(vendor.reuses()).isZero();
            assertThat(vendor.unknown()).isZero();
            quit(fleet);
        }
    }

    /**
     * An instance killed mid-pass, with a page claimed and token requests in flight that the vendor never
     * processed: its claims are not due for the rest of the pass, and are due again one interval after the
     * claim, when the survivors check each of them once. No identity is lost, none is checked twice.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void identitiesClaimedByAKilledProcessAreCheckedOnceAnIntervalAfterTheClaimNeitherLostNorTwice() throws Exception {
        SweepTokenEndpoint vendor = new SweepTokenEndpoint();
        try (MockWebServer server = new MockWebServer()) {
            server.setDispatcher(vendor);
            server.start();
            Set<String> ids = createIdentities(vendor);
            WorkerProcess victim = sweepers(server, "sweep-victim").get(0);
            List<WorkerProcess> survivors = sweepers(server, "survivor-1", "survivor-2");
            Instant t = clock.instant();

            CountDownLatch inFlight = vendor.hold("sweep-victim", CONCURRENCY);
            try {
                victim.send("PASS " + t);
                // Every check slot of the victim waits on the vendor; its page's other claims wait for a slot.
                assertThat(inFlight.await(60, TimeUnit.SECONDS)).isTrue();
                for (WorkerProcess survivor : survivors) {
                    survivor.send("PASS " + t);
                }
                victim.process.destroyForcibly();
                assertThat(victim.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            } finally {
                vendor.releaseHeld();
            }
            List<Map<String, Long>> passes = awaitPasses(survivors);

            Set<String> claimedByTheDead = new HashSet<>(db.queryStrings("SELECT id FROM oauth_identity"
                    + " WHERE status = 'UNVERIFIED' AND last_verified_at = ?", Rows.timestamp(t)));
            assertThat(claimedByTheDead).as("the victim's one page, claimed and never checked").hasSize(PAGE);
            Map<String, Integer> presented = vendor.endRound();
            Set<String> rest = new HashSet<>(ids);
            rest.removeAll(claimedByTheDead);
            assertThat(presented.keySet()).as("checked in the pass at T").isEqualTo(rest);
            assertThat(presented.values()).containsOnly(1);
            assertThat(passes.stream().mapToLong(p -> p.get("claimed")).sum()).isEqualTo(IDENTITIES - PAGE);
            assertThat(vendor.endRoundByClient()).doesNotContainKey("sweep-victim");

            // One interval and a second after the claims (the dead instance's leases ran out long before).
            passes = pass(survivors, t.plus(INTERVAL).plusSeconds(1));

            presented = vendor.endRound();
            assertThat(presented.keySet()).as("checked in the pass one interval later").isEqualTo(ids);
            assertThat(presented.values()).containsOnly(1);
            assertThat(passes.stream().mapToLong(p -> p.get("claimed")).sum()).isEqualTo(IDENTITIES);
            assertThat(passes).allSatisfy(p -> assertThat(p.get("valid")).isEqualTo(p.get("claimed")));
            Instant second = t.plus(INTERVAL).plusSeconds(1);
            assertThat(db.queryValue("SELECT COUNT(*) FROM oauth_identity WHERE status = 'VALID'"
                    + " AND last_verified_at BETWEEN ? AND ?", Rows.timestamp(second.minus(JITTER)),
                    Rows.timestamp(second))).isEqualTo((long) IDENTITIES);
            assertThat(vendor.reuses()).isZero();
            assertThat(vendor.unknown()).isZero();
            quit(survivors);
        }
    }

    /** {@value #IDENTITIES} never-verified identities of provider "fleet", each with its vendor's refresh token. */
    private Set<String> createIdentities(SweepTokenEndpoint vendor) throws Exception {
        Set<String> ids = new HashSet<>();
        List<Future<?>> creating = new ArrayList<>();
        for (int part = 0; part < 4; part++) {
            int first = part;
            creating.add(threads.submit(() -> {
                for (int i = first; i < IDENTITIES; i += 4) {
                    String id = String.format("id-%05d", i);
                    store.create(Identity.builder().id(id).providerKey("fleet").accessToken("at-" + random(20))
                            .refreshToken(vendor.issue(id)).expiresAt(clock.instant().minusSeconds(60)).build());
                }
                return null;
            }));
            for (int i = first; i < IDENTITIES; i += 4) {
                ids.add(String.format("id-%05d", i));
            }
        }
        for (Future<?> f : creating) {
            f.get(60, TimeUnit.SECONDS);
        }
        return ids;
    }

    private List<WorkerProcess> sweepers(MockWebServer server, String... clientIds) throws InterruptedException {
        List<WorkerProcess> started = new ArrayList<>();
        for (String clientId : clientIds) {
            started.add(worker(clientId, "sweep", server.url("/token").toString(), clientId, INTERVAL.toString(),
                    String.valueOf(CONCURRENCY)));
        }
        for (WorkerProcess sweeper : started) {
            sweeper.expect("READY");
        }
        return started;
    }

    /** One pass of every process, all at the instant {@code at}, started together; their counts. */
    private static List<Map<String, Long>> pass(List<WorkerProcess> fleet, Instant at) throws InterruptedException {
        for (WorkerProcess sweeper : fleet) {
            sweeper.send("PASS " + at);
        }
        return awaitPasses(fleet);
    }

    private static List<Map<String, Long>> awaitPasses(List<WorkerProcess> fleet) throws InterruptedException {
        List<Map<String, Long>> passes = new ArrayList<>();
        for (WorkerProcess sweeper : fleet) {
            String line = sweeper.expect("PASSED COMPLETED ");
            Map<String, Long> counts = new HashMap<>();
            for (String field : line.substring("PASSED COMPLETED ".length()).split(" ")) {
                String[] pair = field.split("=");
                counts.put(pair[0], Long.parseLong(pair[1]));
            }
            assertThat(counts).as("%s's pass", sweeper.name)
                    .containsEntry("notValid", 0L).containsEntry("errors", 0L).containsEntry("skipped", 0L)
                    .containsEntry("unchecked", 0L);
            passes.add(counts);
        }
        return passes;
    }

    private static void quit(List<WorkerProcess> fleet) throws InterruptedException {
        for (WorkerProcess sweeper : fleet) {
            sweeper.send("QUIT");
            assertThat(sweeper.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(sweeper.process.exitValue()).isZero();
        }
    }
}
