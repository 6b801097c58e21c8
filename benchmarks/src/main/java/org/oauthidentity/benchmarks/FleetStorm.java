package org.oauthidentity.benchmarks;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.oauthidentity.Identity;
import org.oauthidentity.store.jdbc.JdbcIdentityStore;

/**
 * Benchmark 5: the refresh storm across processes. One embedded PostgreSQL holds one identity; {@code
 * processes} JVMs ({@link FleetWorker}), each with its own store, connections and {@code RefreshingHttpClient},
 * release {@code callers} threads each on it when its token has just expired. A strictly rotating token
 * endpoint (a refresh token works once; a second use is refused and counted, as GitLab revokes the grant)
 * answers in 20 ms. Per round: token requests (must be exactly 1), reused refresh tokens (0), callers that
 * saw an error (0), and the time from the release to the last caller served. After the last round the
 * stored refresh token must be the last one issued.
 */
final class FleetStorm {
    static final String IDENTITY = "fleet-1";

    record Round(long nanos, long tokenRequests, long reused, int ok, int errors) {
    }

    record Result(int processes, int callers, List<Round> rounds, boolean lastTokenStored) {
        boolean clean() {
            return lastTokenStored && rounds.stream().allMatch(r -> r.tokenRequests == 1 && r.reused == 0 && r.errors == 0);
        }
    }

    private FleetStorm() {
    }

    static Result run(int processes, int callers, int rounds) throws Exception {
        try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().start();
                TokenEndpoint tokens = new TokenEndpoint(processes * 4, Duration.ofMillis(20));
                LoopbackServer api = new LoopbackServer(callers)) {
            JdbcIdentityStore store = JdbcIdentityStore.builder(postgres.getPostgresDatabase())
                    .createSchemaIfMissing().build();
            Fixtures.storeIdentity(store, IDENTITY, Instant.now().minusSeconds(60));
            tokens.rotateStrictly("bench-refresh-0");
            String jdbcUrl = postgres.getJdbcUrl("postgres", "postgres");

            List<WorkerJvm> workers = new ArrayList<>();
            try {
                for (int i = 0; i < processes; i++) {
                    workers.add(new WorkerJvm(List.of("-Xmx256m"), FleetWorker.class, jdbcUrl, tokens.url(),
                            api.url(""), String.valueOf(callers)));
                }
                for (WorkerJvm w : workers) {
                    w.expect("READY");
                }
                List<Round> done = new ArrayList<>();
                for (int round = 1; round <= rounds; round++) {
                    long requestsBefore = tokens.requests();
                    long reusedBefore = tokens.reusedRefreshTokens();
                    long start = System.nanoTime();
                    for (WorkerJvm w : workers) {
                        w.send("GO " + round);
                    }
                    int ok = 0;
                    int errors = 0;
                    for (WorkerJvm w : workers) {
                        String[] answer = w.expect("DONE").split(" ");
                        ok += Integer.parseInt(answer[1]);
                        errors += Integer.parseInt(answer[2]);
                    }
                    done.add(new Round(System.nanoTime() - start, tokens.requests() - requestsBefore,
                            tokens.reusedRefreshTokens() - reusedBefore, ok, errors));
                }
                Identity stored = store.find(IDENTITY).orElseThrow();
                boolean lastStored = stored.refreshToken().equals(java.util.Optional.of(tokens.currentRefreshToken()));
                return new Result(processes, callers, done, lastStored);
            } finally {
                for (WorkerJvm w : workers) {
                    w.close();
                }
            }
        }
    }

    public static void main(String[] args) throws Exception {
        Result r = run(3, 50, 5);
        r.rounds().forEach(System.out::println);
        System.out.println("last refresh token stored: " + r.lastTokenStored() + "; clean: " + r.clean());
    }
}
