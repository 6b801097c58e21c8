package org.oauthidentity.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import okhttp3.FormBody;
import okhttp3.Request;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.oauthidentity.Identity;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.testing.ManualClock;
import org.oauthidentity.testkit.FakeAuthorizationServer.Fault;

/**
 * The server records the token requests it receives, so tests check a client's request shape on the server
 * side: field names in order, non-secret values, secrets compared but never printed, Basic or not.
 */
class TokenRequestsSeenTest {
    private static final String SECRET_LOOKING = "never-print-me-0123456789";

    private final ManualClock clock = ManualClock.at("2025-03-01T10:00:00Z");
    @RegisterExtension
    final FakeAuthorizationServerExtension fake = FakeAuthorizationServerExtension.of(
            FakeAuthorizationServer.builder().clock(clock));

    @Test
    void aRefreshIsRecordedWithItsFieldNamesInTheOrderSentAndTheUrl(FakeAuthorizationServer server) throws Exception {
        Wire.post(server.tokenUrl(), Wire.form("grant_type", "refresh_token", "refresh_token", SECRET_LOOKING,
                "client_id", server.clientId(), "client_secret", server.clientSecret()));

        assertThat(server.tokenRequestsSeen()).singleElement().satisfies(request -> {
            assertThat(request.fieldNames()).containsExactly("grant_type", "refresh_token", "client_id", "client_secret");
            assertThat(request.url()).isEqualTo(server.tokenUrl());
        });
    }

    @Test
    void aFieldSentTwiceIsNamedTwice(FakeAuthorizationServer server) throws Exception {
        Wire.execute(new Request.Builder().url(server.tokenUrl()).post(new FormBody.Builder()
                .add("grant_type", "refresh_token").add("scope", "read").add("scope", "write").build()).build());

        TokenRequest request = server.tokenRequestsSeen().get(0);
        assertThat(request.fieldNames()).containsExactly("grant_type", "scope", "scope");
        assertThat(request.field("scope")).as("the first one sent").isEqualTo("read");
        assertThat(request.sent("scope", "read")).as("not every time").isFalse();
    }

    @Test
    void aNonSecretFieldsValueIsReadableAndAnAbsentOneIsNull(FakeAuthorizationServer server) throws Exception {
        Wire.post(server.tokenUrl(), Wire.form("grant_type", "refresh_token", "scope", "read write",
                "client_id", server.clientId()));

        TokenRequest request = server.tokenRequestsSeen().get(0);
        assertThat(request.field("client_id")).isEqualTo(server.clientId());
        assertThat(request.field("scope")).as("decoded").isEqualTo("read write");
        assertThat(request.field("redirect_uri")).isNull();
    }

    @Test
    void aSecretIsComparedExactly(FakeAuthorizationServer server) throws Exception {
        Wire.post(server.tokenUrl(), Wire.form("grant_type", "refresh_token", "refresh_token", SECRET_LOOKING));

        TokenRequest request = server.tokenRequestsSeen().get(0);
        assertThat(request.sent("refresh_token", SECRET_LOOKING)).isTrue();
        assertThat(request.sent("refresh_token", SECRET_LOOKING + "x")).isFalse();
        assertThat(request.sent("refresh_token", SECRET_LOOKING.substring(1))).isFalse();
        assertThat(request.sent("refresh_token", null)).isFalse();
        assertThat(request.sent("client_secret", SECRET_LOOKING)).as("a field not sent").isFalse();
    }

    @Test
    void httpBasicIsToldApartFromFormCredentialsAndOtherAuthorizationHeaders(FakeAuthorizationServer server)
            throws Exception {
        Wire.postBasic(server.tokenUrl(), server.clientId(), server.clientSecret(),
                Wire.form("grant_type", "refresh_token"));
        Wire.post(server.tokenUrl(), Wire.form("grant_type", "refresh_token",
                "client_id", server.clientId(), "client_secret", server.clientSecret()));
        Wire.execute(new Request.Builder().url(server.tokenUrl()).header("Authorization", "Bearer " + SECRET_LOOKING)
                .post(new FormBody.Builder().add("grant_type", "refresh_token").build()).build());

        List<TokenRequest> seen = server.tokenRequestsSeen();
        assertThat(seen).hasSize(3);
        assertThat(seen.get(0).usedBasicAuthentication()).isTrue();
        assertThat(seen.get(0).sentAuthorizationHeader()).isTrue();
        assertThat(seen.get(0).fieldNames()).as("Basic credentials are not form fields").containsExactly("grant_type");
        assertThat(seen.get(1).usedBasicAuthentication()).isFalse();
        assertThat(seen.get(1).sentAuthorizationHeader()).isFalse();
        assertThat(seen.get(2).usedBasicAuthentication()).isFalse();
        assertThat(seen.get(2).sentAuthorizationHeader()).isTrue();
    }

    @Test
    void theGrantTypeIsTheOneSentOrEmpty(FakeAuthorizationServer server) throws Exception {
        Wire.post(server.tokenUrl(), Wire.form("grant_type", "authorization_code", "code", SECRET_LOOKING));
        Wire.post(server.tokenUrl(), Wire.form("code", SECRET_LOOKING));

        List<TokenRequest> seen = server.tokenRequestsSeen();
        assertThat(seen.get(0).grantType()).contains("authorization_code");
        assertThat(seen.get(1).grantType()).isEmpty();
    }

    @Test
    void toStringNamesTheFieldsButNeverAValue(FakeAuthorizationServer server) throws Exception {
        Identity identity = server.issueIdentity("alice", "read");
        OAuth2Provider.create(server.oauth2Settings().build()).refresh(identity);
        Wire.postBasic(server.tokenUrl(), server.clientId(), server.clientSecret(),
                Wire.form("grant_type", "refresh_token", "refresh_token", SECRET_LOOKING, "scope", "read"));

        List<TokenRequest> seen = server.tokenRequestsSeen();
        assertThat(seen).hasSize(2);
        String printed = seen.toString();
        assertThat(printed).contains("grant_type", "refresh_token", "scope", "Basic")
                .doesNotContain(identity.refreshToken().orElseThrow())
                .doesNotContain(server.clientSecret())
                .doesNotContain(server.clientId())
                .doesNotContain(SECRET_LOOKING)
                .doesNotContain("read")
                .doesNotContain(server.baseUrl());
    }

    @Test
    void onlyRequestsToTheTokenEndpointAreRecordedFaultedOnesIncluded(FakeAuthorizationServer server) throws Exception {
        Identity identity = server.issueIdentity("alice", "read");
        server.failNextTokenRequests(1, Fault.serverError());
        Wire.post(server.tokenUrl(), Wire.form("grant_type", "refresh_token"));
        Wire.get(server.apiUrl("/me"), identity.accessToken());
        Wire.post(server.revocationUrl().orElseThrow(), Wire.form("token", identity.accessToken(),
                "client_id", server.clientId(), "client_secret", server.clientSecret()));
        Wire.post(server.tokenUrl(), Wire.form("grant_type", "refresh_token"));

        assertThat(server.tokenRequestsSeen()).hasSize(2);
        assertThat(server.faultsServed()).isEqualTo(1);
    }

    @Test
    void theOnlyTokenRequestIsThereWhenExactlyOneWasSent(FakeAuthorizationServer server) throws Exception {
        assertThatThrownBy(server::onlyTokenRequestSeen).isInstanceOf(AssertionError.class)
                .hasMessageContaining("saw 0");

        Wire.post(server.tokenUrl(), Wire.form("grant_type", "refresh_token", "refresh_token", SECRET_LOOKING));
        assertThat(server.onlyTokenRequestSeen().sent("refresh_token", SECRET_LOOKING)).isTrue();

        Wire.post(server.tokenUrl(), Wire.form("grant_type", "refresh_token", "refresh_token", SECRET_LOOKING));
        assertThatThrownBy(server::onlyTokenRequestSeen).isInstanceOf(AssertionError.class)
                .hasMessageContaining("saw 2").hasMessageContaining("refresh_token")
                .hasMessageNotContaining(SECRET_LOOKING);
    }

    @Test
    void resetCountersForgetsThem(FakeAuthorizationServer server) throws Exception {
        Wire.post(server.tokenUrl(), Wire.form("grant_type", "refresh_token"));
        assertThat(server.tokenRequestsSeen()).hasSize(1);

        server.resetCounters();

        assertThat(server.tokenRequestsSeen()).isEmpty();
        Wire.post(server.tokenUrl(), Wire.form("grant_type", "authorization_code"));
        assertThat(server.tokenRequestsSeen()).singleElement()
                .satisfies(r -> assertThat(r.grantType()).contains("authorization_code"));
    }

    @Test
    void onlyTheLastThousandAreKeptOldestFirst() {
        // On the log itself: a thousand sequential loopback round trips would cost the build seconds.
        TokenRequestLog log = new TokenRequestLog();
        int sent = TokenRequestLog.CAPACITY + 5;
        for (int i = 0; i < sent; i++) {
            log.add(TokenRequest.of("http://localhost/oauth/token", List.of(Map.entry("n", Integer.toString(i))), null));
        }

        List<TokenRequest> seen = log.snapshot();
        assertThat(seen).hasSize(1_000);
        assertThat(seen.get(0).field("n")).isEqualTo("5");
        assertThat(seen.get(seen.size() - 1).field("n")).isEqualTo(Integer.toString(sent - 1));
    }

    @Test
    void concurrentRequestsAreEachRecordedOnce(FakeAuthorizationServer server) throws Exception {
        int threads = 16;
        int each = 10;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int round = 1; round <= 3; round++) {
                server.resetCounters();
                CyclicBarrier start = new CyclicBarrier(threads);
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    done.add(pool.submit(() -> {
                        start.await(10, TimeUnit.SECONDS);
                        for (int i = 0; i < each; i++) {
                            Wire.post(server.tokenUrl(), Wire.form("n", thread + "-" + i));
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get(30, TimeUnit.SECONDS);
                }

                Set<String> recorded = new HashSet<>();
                server.tokenRequestsSeen().forEach(r -> recorded.add(r.field("n")));
                assertThat(server.tokenRequestsSeen()).as("round %d", round).hasSize(threads * each);
                assertThat(recorded).as("round %d", round).hasSize(threads * each);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
