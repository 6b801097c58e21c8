package org.oauthidentity.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.oauthidentity.http.Fixture.ID;
import static org.oauthidentity.http.Fixture.OLD_ACCESS;
import static org.oauthidentity.http.Fixture.START;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.refresh.IdentityRefresher;

/**
 * A long-lived client against the faults of real services: an account unlinked and linked again under the same
 * id, a caller interrupted or cancelled while it started the shared refresh, an API resource that answers 401
 * whatever the token.
 */
class RefreshingHttpClientFaultTest {
    private Fixture f;

    @AfterEach
    void closeFixture() {
        if (f != null) {
            f.close();
        }
    }

    private int call(RefreshingHttpClient client) throws IOException {
        try (Response response = client.newCall(f.get(FakeVendor.API_USER)).execute()) {
            return response.code();
        }
    }

    @Test
    void aClientNoticesThatTheAccountWasLinkedAgain() throws Exception {
        f = new Fixture(OLD_ACCESS);
        f.vendor.rotating(true).expiresIn(null);
        f.link(null);
        RefreshingHttpClient client = f.clientBuilder().build();
        // given a client that refreshed once, so it holds version 2 of the first account
        assertThat(call(client)).isEqualTo(200);
        f.vendor.revokeAccessToken();
        assertThat(call(client)).isEqualTo(200);
        assertThat(f.store.stored(ID).version()).isEqualTo(2);

        // when the user unlinks and links another account under the same id (version 1 again)
        f.store.delete(ID);
        f.vendor.relink("second-account-access", "second-account-refresh");
        Identity relinked = f.store.create(Identity.builder().id(ID).providerKey("gitlab")
                .accessToken("second-account-access").refreshToken("second-account-refresh").build());

        // then the next call's 401 makes the client take the new account's token, with no token request
        assertThat(call(client)).isEqualTo(200);
        assertThat(f.vendor.apiAuthorizations).last().isEqualTo("Bearer second-account-access");
        assertThat(f.vendor.tokenRequests).hasValue(1);
        assertThat(f.store.stored(ID)).isEqualTo(relinked);
        // and keeps sending it
        assertThat(call(client)).isEqualTo(200);
        assertThat(f.vendor.apiAuthorizations).last().isEqualTo("Bearer second-account-access");
    }

    @RepeatedTest(5)
    void interruptingTheCallerThatStartedTheRefreshDoesNotCancelIt() throws Exception {
        f = new Fixture(OLD_ACCESS);
        CountDownLatch arrived = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        f.vendor.rotating(true).holdNextTokenRequest(arrived, release, 20);
        f.link(START.minusSeconds(60));
        IdentityRefresher production = f.refresherOnItsOwnThreads();
        RefreshingHttpClient client = f.clientBuilder(production).build();

        // given a caller whose call needs a refresh, held at the vendor
        CompletableFuture<Throwable> firstCaller = new CompletableFuture<>();
        Thread caller = new Thread(() -> {
            try {
                call(client);
                firstCaller.complete(null);
            } catch (Throwable e) {
                firstCaller.complete(e);
            }
        });
        caller.start();
        assertThat(arrived.await(10, TimeUnit.SECONDS)).isTrue();

        // when a framework timeout interrupts it
        caller.interrupt();

        // then only its wait ends
        assertThat(firstCaller.get(10, TimeUnit.SECONDS)).isInstanceOf(InterruptedIOException.class);
        // and the refresh completes for everyone, with the rotated refresh token saved
        release.countDown();
        assertThat(call(client)).isEqualTo(200);
        assertThat(f.vendor.tokenRequests).hasValue(1);
        Identity stored = f.store.stored(ID);
        assertThat(stored.version()).isEqualTo(2);
        assertThat(stored.refreshToken()).contains(f.vendor.refreshToken());
    }

    @Test
    void cancellingTheCallThatStartedTheRefreshDoesNotCancelIt() throws Exception {
        f = new Fixture(OLD_ACCESS);
        CountDownLatch arrived = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        f.vendor.rotating(true).holdNextTokenRequest(arrived, release, 20);
        f.link(START.minusSeconds(60));
        RefreshingHttpClient client = f.clientBuilder(f.refresherOnItsOwnThreads()).build();

        Call first = client.newCall(f.get(FakeVendor.API_USER));
        CompletableFuture<Throwable> firstCaller = CompletableFuture.supplyAsync(() -> {
            try (Response ignored = first.execute()) {
                return null;
            } catch (Throwable e) {
                return e;
            }
        });
        assertThat(arrived.await(10, TimeUnit.SECONDS)).isTrue();
        first.cancel();
        release.countDown();

        assertThat(call(client)).isEqualTo(200);
        assertThat(f.vendor.tokenRequests).hasValue(1);
        assertThat(f.store.stored(ID).refreshToken()).contains(f.vendor.refreshToken());
        firstCaller.get(10, TimeUnit.SECONDS);
    }

    @Test
    void aResourceThatRefusesEveryTokenDoesNotRotateOnEveryCall() throws Exception {
        f = new Fixture(OLD_ACCESS);
        f.vendor.rotating(true).expiresIn(null).apiStatus(401);
        f.link(null);
        RefreshingHttpClient client = f.clientBuilder().unauthorizedBackoff(Duration.ofMinutes(1)).build();

        // the first 401 refreshes and retries once, and the retry is refused too
        assertThat(call(client)).isEqualTo(401);
        assertThat(f.vendor.tokenRequests).hasValue(1);
        assertThat(f.vendor.apiRequests).hasValue(2);

        // later calls within the back-off get the 401 as it is, with no refresh
        for (int i = 0; i < 10; i++) {
            assertThat(call(client)).isEqualTo(401);
        }
        assertThat(f.vendor.tokenRequests).hasValue(1);
        assertThat(f.vendor.apiRequests).hasValue(12);

        // after it, a 401 may refresh again, once
        f.clock.advance(Duration.ofMinutes(1));
        assertThat(call(client)).isEqualTo(401);
        assertThat(f.vendor.tokenRequests).hasValue(2);
        assertThat(f.store.stored(ID).refreshToken()).contains(f.vendor.refreshToken());
    }

    @Test
    void theBackOffCoversOnlyTheRefusedTokenVersion() throws Exception {
        f = new Fixture(OLD_ACCESS);
        f.vendor.rotating(true).expiresIn(null).apiStatus(401);
        f.link(null);
        RefreshingHttpClient client = f.clientBuilder().build();
        assertThat(call(client)).isEqualTo(401);

        // when the API takes tokens again and the vendor later drops the current one
        f.vendor.apiStatus(0);
        assertThat(call(client)).isEqualTo(200);
        f.vendor.revokeAccessToken();
        // the refused version is still in its back-off: its 401 is returned, not refreshed
        assertThat(call(client)).isEqualTo(401);
        assertThat(f.vendor.tokenRequests).hasValue(1);
    }
}
