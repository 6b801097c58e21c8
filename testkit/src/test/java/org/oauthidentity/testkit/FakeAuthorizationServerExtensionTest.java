package org.oauthidentity.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.oauthidentity.Identity;
import org.oauthidentity.testing.ManualClock;
import org.oauthidentity.testkit.FakeAuthorizationServer.Dialect;

/** The JUnit 5 extension starts, injects and stops the server per class or per test. */
class FakeAuthorizationServerExtensionTest {
    private static final Set<FakeAuthorizationServer> PER_TEST_SERVERS =
            Collections.newSetFromMap(new IdentityHashMap<>());

    @Nested
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    class PerClass {
        @RegisterExtension
        static FakeAuthorizationServerExtension fake = FakeAuthorizationServerExtension.of(
                FakeAuthorizationServer.builder().dialect(Dialect.GITLAB).clock(ManualClock.at("2025-03-01T10:00:00Z")));
        static String baseUrlSeenBeforeAll;

        @BeforeAll
        static void before(FakeAuthorizationServer server) {
            baseUrlSeenBeforeAll = server.baseUrl();
        }

        @Test
        @Order(1)
        void injectsTheRunningServer(FakeAuthorizationServer server) throws Exception {
            Identity identity = server.issueIdentity("alice", "api");

            assertThat(server.dialect()).isEqualTo(Dialect.GITLAB);
            assertThat(server).isSameAs(fake.server());
            assertThat(Wire.get(server.apiUrl("/v4/user"), identity.accessToken()).status()).isEqualTo(200);
        }

        @Test
        @Order(2)
        void keepsTheSameServerAndItsStateForTheWholeClass(FakeAuthorizationServer server) {
            assertThat(server.baseUrl()).isEqualTo(baseUrlSeenBeforeAll);
            assertThat(server.apiCalls(200)).isEqualTo(1);
        }

        @AfterAll
        static void after(FakeAuthorizationServer server) {
            assertThat(server.baseUrl()).isEqualTo(baseUrlSeenBeforeAll);
        }

        @Nested
        class Inner {
            @Test
            void sharesTheEnclosingClassesServer(FakeAuthorizationServer server) {
                assertThat(server.baseUrl()).isEqualTo(baseUrlSeenBeforeAll);
            }
        }
    }

    @Nested
    class PerTest {
        @RegisterExtension
        FakeAuthorizationServerExtension fake = FakeAuthorizationServerExtension.of(FakeAuthorizationServer.builder());

        @Test
        void startsAFreshServerForThisTest(FakeAuthorizationServer server) throws Exception {
            usesAFreshServer(server);
        }

        @Test
        void andAnotherForThisOne(FakeAuthorizationServer server) throws Exception {
            usesAFreshServer(server);
        }

        private void usesAFreshServer(FakeAuthorizationServer server) throws Exception {
            assertThat(server).isSameAs(fake.server());
            assertThat(PER_TEST_SERVERS.add(server)).as("a new instance").isTrue();
            assertThat(server.apiCalls()).as("no state from another test").isZero();
            Wire.get(server.apiUrl("/user"), server.issueIdentity("alice", "read").accessToken());
        }
    }

    @Nested
    @ExtendWith(FakeAuthorizationServerExtension.class)
    class Declarative {
        @Test
        void defaultsToTheGenericDialect(FakeAuthorizationServer server) throws Exception {
            assertThat(server.dialect()).isEqualTo(Dialect.GENERIC);
            assertThat(server.tokenUrl()).endsWith("/oauth/token");
        }
    }

    @Test
    void aStoppedServerIsNotReachable() throws Exception {
        FakeAuthorizationServer server = FakeAuthorizationServer.builder().start();
        String url = server.apiUrl("/user");
        server.close();

        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> Wire.get(url, "x")))
                .isInstanceOf(java.io.IOException.class);
    }
}
