package org.oauthidentity.store.jdbc;

import static org.oauthidentity.store.jdbc.JdbcProxies.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityStoreException;
import org.oauthidentity.LeaseTimeoutException;
import org.oauthidentity.Provider;
import org.oauthidentity.RefreshException;
import org.oauthidentity.RefreshNotPersistedException;
import org.oauthidentity.TransientRefreshException;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.refresh.RetryPolicy;
import org.oauthidentity.testing.DummyProvider;
import org.junit.jupiter.api.Test;

/**
 * Core's {@link IdentityRefresher} on top of {@link JdbcIdentityStore}: single flight through the database
 * lease, and what a database failure in the middle of a refresh leaves behind.
 */
abstract class RefreshThroughStoreTest extends StoreTestSupport {

    @Test
    void fiftyThreadsOnTwoStoresReleasedOnOneExpiredIdentityCauseOneRefreshAndAllGetTheStoredVersion()
            throws Exception {
        DummyProvider vendor = DummyProvider.create("gitlab", clock).otherwise(DummyProvider.Step.ROTATE);
        // Two stores on one database: two processes, as far as the lease is concerned.
        List<IdentityRefresher> refreshers = List.of(
                IdentityRefresher.builder(store).provider(vendor).build(),
                IdentityRefresher.builder(newStore().build()).provider(vendor).build());
        store.create(identity("alice"));
        int callers = 50;

        for (int expiry = 1; expiry <= 5; expiry++) {
            Identity before = store.find("alice").orElseThrow();
            Identity expired = store.save(before.toBuilder().expiresAt(clock.instant().minusSeconds(1)).build());
            CyclicBarrier start = new CyclicBarrier(callers);
            List<Future<Identity>> results = new ArrayList<>();
            for (int t = 0; t < callers; t++) {
                IdentityRefresher refresher = refreshers.get(t % 2);
                results.add(threads.submit(() -> {
                    start.await();
                    return refresher.refresh(expired);
                }));
            }
            Set<Identity> seen = ConcurrentHashMap.newKeySet();
            for (Future<Identity> result : results) {
                seen.add(result.get(60, TimeUnit.SECONDS));
            }

            assertThat(vendor.calls()).as("token requests after expiry %d", expiry).isEqualTo(expiry);
            Identity stored = store.find("alice").orElseThrow();
            assertThat(seen).containsExactly(stored);
            assertThat(stored.version()).isEqualTo(expired.version() + 1);
            assertThat(stored.refreshToken()).isNotEqualTo(expired.refreshToken());
            assertThat(stored.expiresBefore(clock.instant())).isFalse();
        }
        assertThat(store.localLeasesInUse()).isZero();
        assertThat(db.queryValue("SELECT COUNT(*) FROM oauth_identity WHERE lease_owner IS NOT NULL")).isEqualTo(0L);
    }

    @Test
    void aRefreshUnderTheLeaseCostsTwoStatementsAndAnAdoptionTwoMore() throws Exception {
        Identity alice = store.create(identity("alice"));
        CountingDataSource counting = new CountingDataSource(db.pool);
        JdbcIdentityStore counted = JdbcIdentityStore.builder(counting).dialect(db.dialect).clock(clock).build();
        counting.reset(); // build() checked the schema
        DummyProvider vendor = DummyProvider.create("gitlab", clock).otherwise(DummyProvider.Step.ROTATE);
        IdentityRefresher refresher = IdentityRefresher.builder(counted).provider(vendor).build();

        Identity refreshed = refresher.refresh(alice);

        // Take the lease (one UPDATE ... RETURNING), then save and release it (one UPDATE ... RETURNING).
        assertThat(counting.statements()).containsExactly("UPDATE", "UPDATE");
        // PostgreSQL runs each in auto-commit: one round trip each. H2 (in-process) commits explicitly.
        assertThat(counting.commits()).isEqualTo(db.dialect == Dialect.POSTGRESQL ? 0 : 2);
        counting.reset();

        // A caller that saw the old version takes the lease, finds the new version, releases: no token request.
        assertThat(refresher.refresh(alice)).isEqualTo(refreshed);
        assertThat(counting.statements()).containsExactly("UPDATE", "UPDATE");
        assertThat(vendor.calls()).isEqualTo(1);
    }

    @Test
    void whenTheDatabaseGoesAwayAfterTheVendorAnsweredTheCallFailsLoudlyAndTheRowIsUntouched() throws Exception {
        Identity alice = store.create(identity("alice"));
        SwitchableDataSource database = new SwitchableDataSource(db.pool);
        JdbcIdentityStore flaky = JdbcIdentityStore.builder(database).dialect(db.dialect).clock(clock).leaseTtl(TTL).build();
        DummyProvider vendor = DummyProvider.create("gitlab", clock).otherwise(DummyProvider.Step.ROTATE);
        Identity[] issued = new Identity[1];
        Provider vendorThenOutage = new Provider() {
            @Override
            public String key() {
                return "gitlab";
            }

            @Override
            public Identity refresh(Identity identity) throws RefreshException {
                issued[0] = vendor.refresh(identity);
                database.goDown();
                return issued[0];
            }
        };
        IdentityRefresher refresher = IdentityRefresher.builder(flaky).provider(vendorThenOutage)
                .retryPolicy(RetryPolicy.none()).build();

        Throwable failure = catchThrowable(() -> refresher.refresh(alice));

        assertThat(failure).isInstanceOf(RefreshNotPersistedException.class);
        assertThat(((RefreshNotPersistedException) failure).tokensMayBeLost()).isTrue();
        assertThat(failure.getCause()).isInstanceOf(IdentityStoreException.class)
                .hasMessageStartingWith("could not save identity alice (database error, SQLState 08");
        assertNoPieceOf(stackTrace(failure), alice.accessToken(), alice.refreshToken().get(),
                issued[0].accessToken(), issued[0].refreshToken().get());
        database.comeBack();
        assertThat(store.find("alice")).contains(alice);
        // Its release failed too, so the lease stays until its time runs out; then the next refresh goes ahead.
        assertThatThrownBy(() -> store.acquireRefreshLease("alice", Duration.ZERO)).isInstanceOf(LeaseTimeoutException.class);
        clock.advance(TTL.plusMillis(1));
        Identity refreshed = IdentityRefresher.builder(store).provider(vendor).build().refresh(alice);
        assertThat(refreshed.version()).isEqualTo(2);
        assertThat(vendor.calls()).isEqualTo(2);
    }

    @Test
    void whenTheDatabaseIsDownNoTokenRequestIsMadeAndTheCallerSeesATransientFailure() {
        Identity alice = store.create(identity("alice"));
        SwitchableDataSource database = new SwitchableDataSource(db.pool);
        JdbcIdentityStore flaky = JdbcIdentityStore.builder(database).dialect(db.dialect).clock(clock).build();
        DummyProvider vendor = DummyProvider.create("gitlab", clock);
        database.goDown();

        Throwable failure = catchThrowable(() -> IdentityRefresher.builder(flaky).provider(vendor).build().refresh(alice));
        Throwable direct = catchThrowable(() -> flaky.find("alice"));

        assertThat(failure).isInstanceOf(TransientRefreshException.class);
        assertThat(vendor.calls()).isZero();
        assertThat(direct).isInstanceOf(IdentityStoreException.class)
                .hasMessageStartingWith("could not read identity alice (database error, SQLState 08")
                .hasRootCauseInstanceOf(java.net.ConnectException.class);
        database.comeBack();
        assertThat(flaky.find("alice")).contains(alice);
    }

    /** Records the verb of each statement run through it (for H2, of the DML inside FINAL TABLE) and each commit. */
    static final class CountingDataSource extends SwitchableDataSource {
        private final List<String> statements = new CopyOnWriteArrayList<>();
        private final AtomicInteger commits = new AtomicInteger();

        CountingDataSource(DataSource database) {
            super(database);
        }

        List<String> statements() {
            return statements;
        }

        int commits() {
            return commits.get();
        }

        void reset() {
            statements.clear();
            commits.set(0);
        }

        @Override
        public Connection getConnection() throws SQLException {
            Connection connection = super.getConnection();
            return proxy(Connection.class, connection, (method, args) -> {
                if (method.getName().equals("commit")) {
                    commits.incrementAndGet();
                }
                Object result = method.invoke(connection, args);
                if (method.getName().equals("prepareStatement")) {
                    String sql = ((String) args[0]).replaceFirst("^SELECT .* FROM FINAL TABLE \\(", "");
                    String verb = sql.replaceFirst("^WITH .*?\\) (UPDATE|INSERT|DELETE) ", "$1 ").split(" ")[0];
                    PreparedStatement statement = (PreparedStatement) result;
                    return proxy(PreparedStatement.class, statement, (m, a) -> {
                        if (m.getName().startsWith("execute")) {
                            statements.add(verb);
                        }
                        return m.invoke(statement, a);
                    });
                }
                return result;
            });
        }

    }

    /** The store's database, or a closed port on loopback (a real refused connection) while "down". */
    static class SwitchableDataSource extends ConnectionSource {
        private final DataSource up;
        private final String downUrl;
        private volatile boolean down;

        SwitchableDataSource(DataSource up) {
            this.up = up;
            int closedPort;
            try (ServerSocket socket = new ServerSocket(0)) {
                closedPort = socket.getLocalPort();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            this.downUrl = "jdbc:postgresql://127.0.0.1:" + closedPort + "/down?connectTimeout=5";
        }

        void goDown() {
            down = true;
        }

        void comeBack() {
            down = false;
        }

        @Override
        public Connection getConnection() throws SQLException {
            return down ? DriverManager.getConnection(downUrl, "nobody", "none") : up.getConnection();
        }
    }
}
