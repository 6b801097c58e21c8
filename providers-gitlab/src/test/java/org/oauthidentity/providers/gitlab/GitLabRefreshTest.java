package org.oauthidentity.providers.gitlab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.CLIENT_ID;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.CLIENT_SECRET;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.CREATED_AT;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.CURRENT_GITLAB_TOKEN;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.NEW_ACCESS_TOKEN;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.NEW_REFRESH_TOKEN;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.NOW;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.OLD_GITLAB_TOKEN;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.OLD_REFRESH_TOKEN;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.REDIRECT_URI;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.form;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.identity;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.json;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.testing.ManualClock;

/** Given an identity on a GitLab instance, when it is refreshed, then GitLab sees its request shape and the identity gets GitLab's answer. */
class GitLabRefreshTest {
    private final MockWebServer gitlab = new MockWebServer();
    private GitLabProvider provider;

    @BeforeEach
    void start() throws Exception {
        gitlab.start();
        provider = GitLabFixtures.provider(gitlab.url("/").toString()).build();
    }

    @AfterEach
    void stop() {
        gitlab.close();
    }

    @Test
    void refreshPostsTheDocumentedFormWithClientCredentialsInTheBody() throws Exception {
        gitlab.enqueue(json(200, CURRENT_GITLAB_TOKEN));

        provider.refresh(identity().build());

        RecordedRequest request = gitlab.takeRequest();
        assertThat(request.getMethod()).isEqualTo("POST");
        assertThat(request.getUrl().encodedPath()).isEqualTo("/oauth/token");
        assertThat(request.getUrl().query()).isNull();
        assertThat(request.getHeaders().get("Content-Type")).startsWith("application/x-www-form-urlencoded");
        assertThat(request.getHeaders().get("Authorization")).as("no HTTP Basic: GitLab takes POST fields").isNull();
        Map<String, String> form = form(request);
        assertThat(form).containsOnlyKeys("grant_type", "refresh_token", "redirect_uri", "client_id", "client_secret");
        assertThat(form)
                .containsEntry("grant_type", "refresh_token")
                .containsEntry("refresh_token", OLD_REFRESH_TOKEN)
                .containsEntry("redirect_uri", REDIRECT_URI)
                .containsEntry("client_id", CLIENT_ID)
                .containsEntry("client_secret", CLIENT_SECRET);
        assertThat(gitlab.getRequestCount()).isEqualTo(1);
    }

    @Test
    void currentGitLabRotatesBothTokensAndExpiresTwoHoursAfterTheRefresh() throws Exception {
        gitlab.enqueue(json(200, CURRENT_GITLAB_TOKEN));
        Identity before = identity().build();

        Identity after = provider.refresh(before);

        assertThat(after.accessToken()).isEqualTo(NEW_ACCESS_TOKEN);
        assertThat(after.refreshToken()).as("GitLab rotates: the old one is dead").contains(NEW_REFRESH_TOKEN);
        // GitLab's clock says the token was born 3 s before our request started: a clock behind ours must not
        // shorten the lifetime, so it counts from our request's start.
        assertThat(after.expiresAt()).contains(NOW.plusSeconds(7200));
        assertThat(after.scopes()).containsExactly("api", "read_user");
        assertThat(after.tokenType()).isEqualTo("Bearer");
        assertThat(after.extras()).containsEntry("created_at", Long.toString(CREATED_AT));
        assertThat(after.id()).isEqualTo(before.id());
        assertThat(after.version()).as("the store moves the version, not the provider").isEqualTo(before.version());
        assertThat(before.accessToken()).as("the identity passed in is never changed").isNotEqualTo(NEW_ACCESS_TOKEN);
    }

    @Test
    void createdAtCountsOnlyWithinTheRequestItAnswers() throws Exception {
        ManualClock clock = ManualClock.at(NOW);
        GitLabProvider timed = GitLabFixtures.provider(gitlab.url("/").toString()).clock(clock).build();
        AtomicLong createdAt = new AtomicLong();
        gitlab.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                clock.advance(Duration.ofSeconds(5)); // a slow instance
                return json(200, CURRENT_GITLAB_TOKEN.replace(Long.toString(CREATED_AT), Long.toString(createdAt.get())));
            }
        });

        // Born while the request was under way: the start of the lifetime.
        createdAt.set(clock.instant().getEpochSecond() + 2);
        assertThat(timed.refresh(identity().build()).expiresAt()).contains(Instant.ofEpochSecond(createdAt.get() + 7200));

        // A GitLab clock an hour ahead: held to the moment the answer arrived, so the lifetime is not stretched.
        Instant requestStart = clock.instant();
        createdAt.set(requestStart.getEpochSecond() + 3600);
        assertThat(timed.refresh(identity().build()).expiresAt()).contains(requestStart.plusSeconds(5 + 7200));
    }

    @Test
    void gitLabBefore15SendsNoExpiresInSoTheExpiryBecomesUnknown() throws Exception {
        gitlab.enqueue(json(200, OLD_GITLAB_TOKEN));
        Identity before = identity().expiresAt(NOW.minusSeconds(60)).build();

        Identity after = provider.refresh(before);

        assertThat(after.expiresAt()).as("unknown: only a 401 will trigger the next refresh").isEmpty();
        assertThat(after.accessToken()).isEqualTo(NEW_ACCESS_TOKEN);
        assertThat(after.refreshToken()).contains(NEW_REFRESH_TOKEN);
        assertThat(after.extras()).containsEntry("created_at", Long.toString(CREATED_AT));
    }

    @Test
    void aTokenResponseCannotMoveTheIdentityToAnotherInstance() throws Exception {
        gitlab.enqueue(json(200, CURRENT_GITLAB_TOKEN.replace("}",
                ",\"" + GitLabProvider.BASE_URL_EXTRA + "\":\"https://attacker.example\"}")));
        Identity before = identity().build();

        Identity after = provider.refresh(before);

        assertThat(after.extras()).doesNotContainKey(GitLabProvider.BASE_URL_EXTRA);
        assertThat(provider.baseUrl(after)).isEqualTo(gitlab.url("/"));
    }

    @Test
    void anIdentityWithoutRefreshTokenIsNotValidAndNothingIsSent() {
        Identity withoutRefreshToken = identity().refreshToken(null).build();

        assertThatThrownBy(() -> provider.refresh(withoutRefreshToken)).isInstanceOf(IdentityNotValid.class);
        assertThat(gitlab.getRequestCount()).isZero();
    }
}
