package org.oauthidentity.examples;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.h2.jdbcx.JdbcDataSource;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.IdentityStore;
import org.oauthidentity.authorize.AuthorizationFlow;
import org.oauthidentity.authorize.AuthorizationRedirect;
import org.oauthidentity.authorize.InMemoryPendingAuthorizationStore;
import org.oauthidentity.http.RefreshingHttpClient;
import org.oauthidentity.providers.gitlab.GitLabProvider;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.refresh.RateLimits;
import org.oauthidentity.store.jdbc.JdbcIdentityStore;
import org.oauthidentity.sweep.Outcome;
import org.oauthidentity.sweep.PassSummary;
import org.oauthidentity.sweep.SweepListener;
import org.oauthidentity.sweep.ValidationSweep;
import org.oauthidentity.testing.ManualClock;
import org.oauthidentity.testkit.FakeAuthorizationServer;
import org.oauthidentity.testkit.FakeAuthorizationServer.Dialect;
import org.oauthidentity.testkit.FakeAuthorizationServer.Fault;

/**
 * The README's first command. Everything runs in this JVM on loopback: the testkit's fake GitLab (rotating
 * refresh tokens, like the real one), an embedded H2 database holding the identities, and the library
 * between them. A clock the demo moves stands in for hours passing, so the run takes a few seconds.
 */
public final class Demo {
    private static final int SWEEP_POPULATION = 300;

    /** The demo's time: real time does not pass for it, the demo moves it. */
    private final ManualClock clock = ManualClock.at("2026-01-05T09:00:00Z");
    private final OkHttpClient http = new OkHttpClient();

    private Demo() {
    }

    public static void main(String[] args) throws Exception {
        new Demo().run();
    }

    private void run() throws Exception {
        try (FakeAuthorizationServer gitlab = FakeAuthorizationServer.builder().dialect(Dialect.GITLAB).clock(clock)
                .accessTokenLifetime(Duration.ofHours(2)).start()) {
            JdbcDataSource h2 = new JdbcDataSource();
            h2.setURL("jdbc:h2:mem:oauth-identity-demo;DB_CLOSE_DELAY=-1");
            IdentityStore store = JdbcIdentityStore.builder(h2).clock(clock).createSchemaIfMissing().build();
            GitLabProvider provider = GitLabProvider.builder()
                    .baseUrl(gitlab.baseUrl()).clientId(gitlab.clientId()).clientSecret(gitlab.clientSecret())
                    .redirectUri(gitlab.redirectUri()).scopes("api", "read_user")
                    .httpClient(http).clock(clock).build();
            IdentityRefresher refresher = IdentityRefresher.builder(store).provider(provider).build();

            title("oauth-identity demo: a fake GitLab on " + gitlab.baseUrl() + ", identities in embedded H2");

            Identity alice = link(gitlab, provider, store);
            RefreshingHttpClient api = RefreshingHttpClient.builder(refresher, alice.id())
                    .httpClient(http).apiOrigin(gitlab.baseUrl()).clock(clock).build();
            Request me = new Request.Builder().url(gitlab.apiUrl("/api/v4/user")).build();

            step("2. Call the API with the fresh token");
            gitlab.resetCounters();
            say("GET /api/v4/user -> " + status(api, me) + "; token requests: " + gitlab.tokenRequests());

            step("3. Two hours pass: the access token expires");
            clock.advance(Duration.ofHours(2));
            gitlab.resetCounters();
            say("GET /api/v4/user -> " + status(api, me) + " (refreshed before sending; nobody saw a 401)");
            say("token requests: " + gitlab.tokenRequests() + ", stored version now "
                    + store.find(alice.id()).orElseThrow().version() + " (saved before the new token was used)");

            step("4. The vendor revokes the access token behind our back");
            gitlab.expireAccessTokens("alice");
            gitlab.resetCounters();
            say("GET /api/v4/user -> " + status(api, me) + " (401 -> refresh -> the call retried once)");
            say("API answers: " + gitlab.apiCalls(401) + " x 401, " + gitlab.apiCalls(200) + " x 200; token requests: "
                    + gitlab.tokenRequests());

            step("5. 200 callers at once on an expired token (GitLab kills a refresh token once it is used)");
            clock.advance(Duration.ofHours(3));
            gitlab.resetCounters();
            int ok = storm(api, me, 200);
            say(ok + " of 200 calls answered 200; token requests: " + gitlab.tokenRequests()
                    + "; refresh tokens reused: " + gitlab.reusedRefreshTokens());

            step("6. Alice revokes the application at GitLab");
            gitlab.revokeUser("alice");
            clock.advance(Duration.ofHours(3));
            Identity before = store.find(alice.id()).orElseThrow();
            try {
                status(api, me);
                say("unexpected: the call went through");
            } catch (IdentityNotValid e) {
                say("IdentityNotValid: " + e.getMessage());
                say("stored identity unchanged: " + before.equals(store.find(alice.id()).orElseThrow())
                        + " (version " + before.version() + "); the service unlinks the account");
                store.delete(alice.id());
            }

            IdentityRefresher sweeping = IdentityRefresher.builder(store).provider(provider)
                    .rateLimits(RateLimits.builder().clock(clock).build()).build();
            sweep(gitlab, sweeping, store);
            pause(gitlab, sweeping);
        }
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
    }

    /** 1: the authorization-code flow with PKCE, through the fake's real authorize endpoint. */
    private Identity link(FakeAuthorizationServer gitlab, GitLabProvider provider, IdentityStore store)
            throws Exception {
        step("1. Link Alice's GitLab account (authorization code + PKCE)");
        AtomicInteger ids = new AtomicInteger();
        AuthorizationFlow flow = AuthorizationFlow.builder(provider).identityStore(store)
                .pendingAuthorizations(new InMemoryPendingAuthorizationStore()).clock(clock)
                .idGenerator(() -> "gitlab-alice-" + ids.incrementAndGet()).build();
        AuthorizationRedirect redirect = flow.start(gitlab.redirectUri(), "session-of-alice", List.of());
        say("redirect the browser to " + redirect.url().newBuilder().query(null).build()
                + " (state, S256 challenge, scopes)");
        gitlab.signIn("alice");
        HttpUrl callback;
        try (Response approval = http.newBuilder().followRedirects(false).build()
                .newCall(new Request.Builder().url(redirect.url()).build()).execute()) {
            callback = HttpUrl.get(approval.header("Location"));
        }
        say("Alice approves; GitLab redirects back to " + callback.newBuilder().query(null).build()
                + " with a code and the state");
        Identity alice = flow.complete(callback, "session-of-alice");
        say("stored identity " + alice.id() + ": version " + alice.version() + ", expires "
                + alice.expiresAt().map(Object::toString).orElse("?") + ", refresh token "
                + (alice.refreshToken().isPresent() ? "kept" : "missing"));
        say("as the store prints it: " + alice);
        return alice;
    }

    /** 7: a validation pass over a population with every kind of outcome. */
    private void sweep(FakeAuthorizationServer gitlab, IdentityRefresher refresher, IdentityStore store) {
        step("7. Validation sweep over " + SWEEP_POPULATION + " linked accounts");
        int revoked = 40;
        int suspended = 20;
        int outage = 25;
        for (int i = 1; i <= SWEEP_POPULATION; i++) {
            String user = "user-" + i;
            store.create(gitlab.issueIdentity(user, "api").toBuilder().id("gitlab-" + user).build());
            if (i <= revoked) {
                gitlab.revokeUser(user);
            } else if (i <= revoked + suspended) {
                gitlab.suspendUser(user);
            }
        }
        say(revoked + " revoked their grant at GitLab, " + suspended + " were suspended; GitLab will answer 500 to "
                + outage + " token requests during the pass");
        gitlab.failNextTokenRequests(outage, Fault.serverError());
        gitlab.resetCounters();
        clock.advance(Duration.ofHours(2)); // everyone is due for a check (interval: 1 hour)

        AtomicInteger seen = new AtomicInteger();
        SweepListener progress = check -> {
            int n = seen.incrementAndGet();
            if (n % 100 == 0) {
                say("  ... " + n + " of " + SWEEP_POPULATION + " checked");
            }
            return SweepListener.Action.KEEP;
        };
        PassSummary pass;
        try (ValidationSweep sweep = ValidationSweep.builder(refresher).listener(progress).clock(clock)
                .concurrency(16).build()) {
            pass = sweep.runOnce();
        }
        Map<Outcome, String> meaning = new EnumMap<>(Outcome.class);
        meaning.put(Outcome.VALID, "refreshed: linked and valid");
        meaning.put(Outcome.NOT_VALID, "IdentityNotValid: unlink the account");
        meaning.put(Outcome.ERROR, "vendor outage: still linked, not trusted, checked again next pass");
        meaning.put(Outcome.SKIPPED, "deleted while the pass ran");
        System.out.println();
        say(String.format("  %-10s %6s   %s", "outcome", "count", "meaning"));
        for (Outcome outcome : Outcome.values()) {
            say(String.format("  %-10s %6d   %s", outcome, pass.count(outcome), meaning.getOrDefault(outcome, "")));
        }
        say("pass " + pass.state() + ": " + pass.checked() + " checked, " + gitlab.tokenRequests()
                + " token requests, " + gitlab.faultsServed() + " of them answered 500");
        long hidden = revoked + suspended - pass.notValid();
        say("a 500 says nothing about the identity it hit: " + hidden + " of the " + outage + " were revoked or"
                + " suspended accounts, so NOT_VALID is " + pass.notValid() + ", not " + (revoked + suspended)
                + "; they stay ERROR (linked, not trusted) until the next pass");
    }

    /** 8: the vendor asks us to slow down; the sweep pauses instead of failing identities one by one. */
    private void pause(FakeAuthorizationServer gitlab, IdentityRefresher refresher) {
        step("8. Two hours later GitLab rate-limits the sweep: its first token request gets 429, Retry-After: 30");
        clock.advance(Duration.ofHours(2)); // every identity still linked is due again
        gitlab.failNextTokenRequests(1, Fault.tooManyRequests(Duration.ofSeconds(30)));
        gitlab.resetCounters();
        try (ValidationSweep sweep = ValidationSweep.builder(refresher).clock(clock).concurrency(1).build()) {
            PassSummary paused = sweep.runOnce();
            say("pass " + paused.state() + ": " + paused.deferred() + " deferred (due again when the pause ends), "
                    + paused.errors() + " marked ERROR, " + gitlab.tokenRequests() + " token request(s) sent");
            clock.advance(Duration.ofSeconds(31));
            PassSummary resumed = sweep.runOnce();
            say("31 s later: pass " + resumed.state() + ": " + resumed.checked() + " checked, the " + paused.deferred()
                    + " deferred ones among them; " + gitlab.tokenRequests() + " token requests in all");
        }
    }

    private int storm(RefreshingHttpClient api, Request request, int callers) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Integer>> calls = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
            calls.add(pool.submit(() -> {
                go.await();
                return status(api, request);
            }));
        }
        go.countDown();
        int ok = 0;
        for (Future<Integer> call : calls) {
            ok += call.get() == 200 ? 1 : 0;
        }
        pool.shutdown();
        return ok;
    }

    private static int status(RefreshingHttpClient api, Request request) throws IOException {
        try (Response response = api.newCall(request).execute()) {
            return response.code();
        }
    }

    private static void title(String text) {
        System.out.println();
        System.out.println(text);
        System.out.println("=".repeat(text.length()));
    }

    private static void step(String text) {
        System.out.println();
        System.out.println(text);
    }

    private static void say(String text) {
        System.out.println("   " + text);
    }
}
