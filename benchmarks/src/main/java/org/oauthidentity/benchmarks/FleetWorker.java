package org.oauthidentity.benchmarks;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.oauthidentity.http.RefreshingHttpClient;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.refresh.RetryPolicy;
import org.oauthidentity.store.jdbc.JdbcIdentityStore;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * One instance of a service in benchmark 5, in its own JVM: its own store over its own connections, its own
 * {@link RefreshingHttpClient} for the shared identity, and {@code callers} threads. Talks to
 * {@link FleetStorm} over stdin/stdout: prints {@code READY}; on {@code GO <round>} moves its clock
 * {@code round} x 2 h on (the token of the previous round has expired), releases its callers together and
 * prints {@code DONE <ok> <errors>}; on {@code EXIT} ends. Logs go to stderr.
 */
public final class FleetWorker {
    private FleetWorker() {
    }

    public static void main(String[] args) throws Exception {
        String jdbcUrl = args[0];
        String tokenUrl = args[1];
        String apiUrl = args[2];
        int callers = Integer.parseInt(args[3]);

        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setURL(jdbcUrl);
        ShiftableClock clock = new ShiftableClock();
        JdbcIdentityStore store = JdbcIdentityStore.builder(dataSource).clock(clock).build();
        OkHttpClient http = Fixtures.client(callers);
        IdentityRefresher refresher = IdentityRefresher.builder(store)
                .provider(Fixtures.provider(tokenUrl, http, clock))
                .retryPolicy(RetryPolicy.none())
                .build();
        RefreshingHttpClient client = RefreshingHttpClient.builder(refresher, FleetStorm.IDENTITY)
                .httpClient(http).apiOrigin(apiUrl).clock(clock).build();
        Request request = new Request.Builder().url(apiUrl + "/api/v4/user").build();
        ExecutorService pool = Executors.newFixedThreadPool(callers);

        System.out.println("READY");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null && !line.equals("EXIT"); ) {
            int round = Integer.parseInt(line.substring("GO ".length()));
            clock.shiftTo(Duration.ofHours(2).multipliedBy(round));
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Boolean>> calls = new ArrayList<>(callers);
            for (int i = 0; i < callers; i++) {
                calls.add(pool.submit(() -> {
                    go.await();
                    try {
                        Fixtures.get(client, request);
                        return true;
                    } catch (Exception e) {
                        System.err.println("call failed: " + e);
                        return false;
                    }
                }));
            }
            go.countDown();
            int ok = 0;
            for (Future<Boolean> call : calls) {
                ok += call.get() ? 1 : 0;
            }
            System.out.println("DONE " + ok + " " + (callers - ok));
        }
        pool.shutdownNow();
        Fixtures.shutdown(http);
    }
}
