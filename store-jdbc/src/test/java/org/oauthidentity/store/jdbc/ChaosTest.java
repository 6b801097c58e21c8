package org.oauthidentity.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.testkit.FakeAuthorizationServer;
import org.oauthidentity.testkit.FakeAuthorizationServer.Fault;
import org.oauthidentity.testkit.FakeAuthorizationServer.Gate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A fleet under a faulty vendor: three instances of a service, each its own JVM ({@link ChaosWorker}) with ten
 * callers, share one identity in the database and refresh it against a fake authorization server that rotates
 * refresh tokens. Each of 50 rounds expires the access token, has the next token request fail in a way drawn at
 * random (or not at all), lets all thirty callers at it, and checks what must hold whatever the fault:
 * <ul>
 *   <li>the vendor never sees a refresh token twice, unless a caller was told the outcome is unknown: then once
 *       more at most, the presentation that learns that the lost answer had rotated it;</li>
 *   <li>no caller sees a plain {@link IdentityNotValid}: the identity is healthy, only answers go missing;</li>
 *   <li>the stored refresh token is the vendor's current one,
 *       unless a caller was told the outcome is unknown ({@code RefreshOutcomeUnknownException}, or an
 *       {@link IdentityNotValid} after a lost answer); then the user links the account again and the rounds go on.</li>
 * </ul>
 * Two rounds kill the instance whose token request is in flight ({@code destroyForcibly}): once after the vendor
 * processed it, once before. The survivors take the lease when it runs out (a dead process does not renew it) and
 * either recover (the refresh token was never used) or say the answer was lost, never that the user revoked.
 *
 * <p>The faults are drawn from a seeded {@link Random}: a failure names its seed; run again with
 * {@code -Dchaos.seed=<seed>} to replay the same draw. Rounds are driven by lines to and from the workers and by a
 * {@link Gate}, not by sleeping; the slow faults take a few seconds of the vendor's time on purpose (longer than
 * the lease, which the holder must renew meanwhile).
 */
abstract class ChaosTest extends StoreTestSupport {
    private static final String USER = "chaos-user";
    private static final int ROUNDS = 50;
    private static final int KILL_AFTER_PROCESSING = 17;
    private static final int KILL_BEFORE_PROCESSING = 34;
    private static final int CALLERS = 10;
    private static final Duration LEASE_TTL = Duration.ofSeconds(2);
    /** Longer than the slowest answer below plus a retry; also how long a survivor waits for a dead holder's save. */
    private static final Duration LEASE_WAIT = Duration.ofSeconds(8);
    /**
     * Longer than {@code slow}'s delay and {@code drip}'s period: those answers arrive, late. Also far longer than
     * the test needs to find and kill the holder of a held request on a loaded machine: a holder whose read timed
     * out first would no longer count as holding it.
     */
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

    private static final List<Chaos> FAULTS = List.of(
            new Chaos("none", null),
            new Chaos("none", null),
            new Chaos("500", Fault.serverError()),
            new Chaos("503 Retry-After 1", Fault.serviceUnavailable(Duration.ofSeconds(1))),
            new Chaos("429 Retry-After 1", Fault.tooManyRequests(Duration.ofSeconds(1))),
            new Chaos("401 challenge", Fault.unauthorizedChallenge()),
            new Chaos("expires_in 1e400", Fault.tokenField("expires_in", "1e400")),
            new Chaos("expires_in \"3600s\"", Fault.tokenField("expires_in", "\"3600s\"")),
            new Chaos("access_token with CRLF", Fault.tokenField("access_token", "\"abc\\r\\nX-Injected: 1\"")),
            new Chaos("slow 3 s", Fault.slow(Duration.ofSeconds(3))),
            new Chaos("drip 10 B / 150 ms", Fault.drip(10, Duration.ofMillis(150))),
            new Chaos("truncated body", Fault.truncatedBody()),
            new Chaos("drop connection", Fault.dropConnection()),
            new Chaos("lose response", Fault.loseResponse()));

    private final List<WorkerProcess> fleet = new ArrayList<>();
    private final Map<String, Map<String, Long>> summary = new TreeMap<>();
    private final List<String> violations = new ArrayList<>();
    private FakeAuthorizationServer fake;
    /** The test's own view of the store, on the wall clock the workers use. */
    private JdbcIdentityStore shared;
    private int started;

    @BeforeEach
    void startVendor() throws IOException {
        fake = FakeAuthorizationServer.builder().dialect(FakeAuthorizationServer.Dialect.GENERIC)
                .rotateRefreshTokens(true).start();
        shared = JdbcIdentityStore.builder(db.pool).leaseTtl(LEASE_TTL).build();
    }

    @AfterEach
    void stopFleet() throws IOException {
        fleet.forEach(WorkerProcess::close);
        fake.close();
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void aFleetUnderRandomTokenEndpointFaultsNeverReusesARefreshTokenNorCondemnsAHealthyIdentity() throws Exception {
        long seed = Long.getLong("chaos.seed", new SecureRandom().nextLong());
        Random random = new Random(seed);
        shared.create(fake.issueIdentity(USER, "read"));
        for (int i = 0; i < 3; i++) {
            fleet.add(startWorker());
        }
        for (WorkerProcess worker : fleet) {
            worker.expect("READY");
        }

        for (int round = 1; round <= ROUNDS; round++) {
            if (round == KILL_AFTER_PROCESSING || round == KILL_BEFORE_PROCESSING) {
                killRound(seed, round, round == KILL_AFTER_PROCESSING);
            } else {
                Chaos chaos = FAULTS.get(random.nextInt(FAULTS.size()));
                faultRound(String.format("seed %d (-Dchaos.seed=%d), round %d, fault %s", seed, seed, round,
                        chaos.name), round, chaos);
            }
        }

        fake.verifyNoInternalFailures();
        System.out.println("chaos seed " + seed + ": what the callers saw, by fault: " + summary);
        assertThat(violations).as("seed %d (replay: -Dchaos.seed=%d); what the callers saw, by fault: %s", seed, seed,
                summary).isEmpty();
    }

    /** One round: the next token request meets {@code chaos.fault}; every invariant is checked afterwards. */
    private void faultRound(String context, int round, Chaos chaos) throws Exception {
        long reusedBefore = expireAccessToken();
        if (chaos.fault != null) {
            fake.failNextTokenRequests(1, chaos.fault);
        }
        long armed = armAndGo(round);
        Outcomes seen = new Outcomes();
        for (WorkerProcess worker : fleet) {
            seen.add(worker.expect("DONE " + round + " "));
        }
        record(chaos.name, seen);
        String what = context + ", callers saw " + seen;
        assertThat(fake.pendingFaults()).as("%s: the fault was served", what).isZero();
        checkInvariants(what, seen, armed, reusedBefore, false);
    }

    /**
     * The instance whose token request is held at the vendor is killed; the request is then answered into the
     * void ({@code processed}: the refresh token was rotated) or dropped unprocessed. The survivors, already
     * waiting for the lease, take it when it runs out.
     */
    private void killRound(long seed, int round, boolean processed) throws Exception {
        String context = String.format("seed %d, round %d, the holder killed mid-request %s processing", seed,
                round, processed ? "after" : "before");
        long reusedBefore = expireAccessToken();
        Gate gate = new Gate();
        fake.failNextTokenRequests(1, processed ? Fault.held(gate) : Fault.heldBeforeProcessing(gate));
        long armed = armAndGo(round);
        assertThat(gate.awaitArrived(Duration.ofSeconds(30))).as("%s: a token request arrived", context).isTrue();

        WorkerProcess holder = null;
        for (WorkerProcess worker : fleet) {
            worker.send("WHO " + round);
        }
        for (WorkerProcess worker : fleet) {
            String inFlight = worker.expect("WHO " + round + " ").substring(("WHO " + round + " ").length());
            if (inFlight.equals("1")) {
                assertThat(holder).as("%s: only one instance has a token request in flight", context).isNull();
                holder = worker;
            } else {
                assertThat(inFlight).as("%s: token requests in flight at %s", context, worker.name).isEqualTo("0");
            }
        }
        assertThat(holder).as("%s: the instance whose request is held", context).isNotNull();
        holder.process.destroyForcibly();
        assertThat(holder.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        fleet.remove(holder);
        if (processed) {
            gate.open(); // the answer goes to a dead socket
        } else {
            gate.drop(); // the vendor never processes it
        }

        Outcomes seen = new Outcomes();
        for (WorkerProcess survivor : fleet) {
            seen.add(survivor.expect("DONE " + round + " "));
        }
        record(processed ? "kill after processing" : "kill before processing", seen);
        String what = context + ", survivors saw " + seen;
        boolean reported = processed
                ? check(seen.get("lost") > 0, what, "the loss is not reported as a lost answer")
                : check(seen.get("lost") + seen.get("unknown") == 0, what, "a loss is reported, yet nothing was lost");
        checkInvariants(what, seen, armed, reusedBefore, !reported);

        WorkerProcess replacement = startWorker();
        fleet.add(replacement);
        replacement.expect("READY");
    }

    /** The access token runs out, at the vendor and in the store; returns the vendor's reuse count so far. */
    private long expireAccessToken() {
        fake.expireAccessTokens(USER);
        db.execute("UPDATE oauth_identity SET expires_at = ? WHERE id = ?",
                Rows.timestamp(Instant.now().minusSeconds(1)), USER);
        return fake.reusedRefreshTokens();
    }

    /** Every worker reads the identity, then all callers go; returns the version they read. */
    private long armAndGo(int round) throws InterruptedException {
        long version = shared.find(USER).orElseThrow().version();
        for (WorkerProcess worker : fleet) {
            worker.send("ARM " + round);
        }
        for (WorkerProcess worker : fleet) {
            assertThat(worker.expect("ARMED " + round + " ")).isEqualTo("ARMED " + round + " " + version);
        }
        for (WorkerProcess worker : fleet) {
            worker.send("GO " + round);
        }
        return version;
    }

    /**
     * Records what breaks an invariant; after a reported loss or a broken invariant, links the account again so
     * that the next round starts from a healthy identity (one failure does not cascade into every later round).
     */
    private void checkInvariants(String what, Outcomes seen, long armed, long reusedBefore, boolean alreadyBroken) {
        boolean healthy = !alreadyBroken;
        healthy &= check(seen.get("notValid") == 0, what, "callers were told the healthy identity is not valid");
        boolean lossReported = seen.get("unknown") + seen.get("lost") > 0;
        long reused = fake.reusedRefreshTokens() - reusedBefore;
        if (lossReported) {
            // One fault, one lost answer at most: one more presentation of its refresh token learns its fate (the
            // vendor refuses it), and that is all the fleet may spend on it.
            healthy &= check(reused <= 1, what, "the vendor saw " + reused + " rotated refresh tokens again after "
                    + "one lost answer (at most one presentation may learn its fate)");
        } else {
            healthy &= check(reused == 0, what, "the vendor saw " + reused
                    + " rotated refresh tokens again, with no loss reported");
            Identity stored = shared.find(USER).orElseThrow();
            healthy &= check(seen.get("ok") > 0, what, "no caller got a refreshed identity");
            // Newer than what they read, and no newer than what is stored (a save of what an unusable answer issued
            // may be adopted, then refreshed again by a caller that finds its access token expired).
            healthy &= check(seen.versions.stream().allMatch(v -> v > armed && v <= stored.version()), what,
                    "callers got versions outside (" + armed + ", " + stored.version() + "]");
            healthy &= check(fake.isCurrentRefreshToken(stored.refreshToken().orElseThrow()), what,
                    "the stored refresh token is not the vendor's current one, with no loss reported");
        }
        if (lossReported || !healthy) {
            // The user links the account again (a new incarnation of the same id).
            relink();
        }
    }

    /** Records a violation unless {@code holds}; returns {@code holds}. */
    private boolean check(boolean holds, String what, String violation) {
        if (!holds) {
            violations.add(what + ": " + violation);
        }
        return holds;
    }

    private void relink() {
        shared.delete(USER);
        shared.create(fake.issueIdentity(USER, "read"));
    }

    private WorkerProcess startWorker() {
        WorkerProcess worker = WorkerProcess.start(getClass().getSimpleName() + "-" + (++started), "chaos", db,
                fake.tokenUrl(), fake.apiUrl("/user"), fake.providerKey(),
                fake.oauth2Settings().build().clientAuthentication().name(), fake.clientId(), USER,
                Integer.toString(CALLERS), Long.toString(LEASE_TTL.toMillis()), Long.toString(LEASE_WAIT.toMillis()),
                Long.toString(READ_TIMEOUT.toMillis()));
        worker.send("SECRET " + fake.clientSecret());
        return worker;
    }

    private void record(String fault, Outcomes seen) {
        Map<String, Long> row = summary.computeIfAbsent(fault, f -> new TreeMap<>());
        row.merge("rounds", 1L, Long::sum);
        seen.counts.forEach((key, count) -> {
            if (count > 0 && !key.equals("sent")) {
                row.merge(key, count, Long::sum);
            }
        });
    }

    private record Chaos(String name, Fault fault) {
    }

    /** The DONE lines of one round, added up over the fleet. */
    private static final class Outcomes {
        final Map<String, Long> counts = new TreeMap<>();
        final List<Long> versions = new ArrayList<>();

        void add(String done) {
            // DONE n sent=1 ok=5 api200=5 ... versions=[7] other=[TransientRefreshException=2]
            String[] fields = done.split(" ");
            for (int i = 2; i < fields.length; i++) {
                String[] pair = fields[i].split("=", 2);
                String value = pair[1];
                if (pair[0].equals("versions")) {
                    for (String v : list(value)) {
                        versions.add(Long.parseLong(v));
                    }
                } else if (pair[0].equals("other")) {
                    for (String entry : list(value)) {
                        String[] typeCount = entry.split("=");
                        counts.merge(typeCount[0], Long.parseLong(typeCount[1]), Long::sum);
                    }
                } else {
                    counts.merge(pair[0], Long.parseLong(value), Long::sum);
                }
            }
        }

        long get(String key) {
            return counts.getOrDefault(key, 0L);
        }

        private static List<String> list(String bracketed) {
            String inner = bracketed.substring(1, bracketed.length() - 1);
            return inner.isEmpty() ? List.of() : List.of(inner.split(","));
        }

        @Override
        public String toString() {
            StringBuilder s = new StringBuilder();
            counts.forEach((key, count) -> {
                if (count > 0) {
                    s.append(s.length() == 0 ? "" : " ").append(key).append('=').append(count);
                }
            });
            return s.append(" versions=").append(versions).toString();
        }
    }
}
