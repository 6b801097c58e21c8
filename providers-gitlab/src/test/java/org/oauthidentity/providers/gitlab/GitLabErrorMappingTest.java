package org.oauthidentity.providers.gitlab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.CLIENT_SECRET;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.INVALID_CLIENT;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.INVALID_GRANT;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.INVALID_REQUEST;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.OLD_ACCESS_TOKEN;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.OLD_REFRESH_TOKEN;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.identity;
import static org.oauthidentity.providers.gitlab.GitLabFixtures.json;

import java.time.Duration;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.RefreshException;
import org.oauthidentity.RefreshRejectedException;
import org.oauthidentity.TransientRefreshException;

/**
 * Given a GitLab that refuses the refresh, when the identity is refreshed, then the caller sees the
 * exception type it must act on, and the message carries GitLab's error but no token or secret.
 */
class GitLabErrorMappingTest {
    private final MockWebServer gitlab = new MockWebServer();
    private GitLabProvider provider;
    private final Identity identity = identity().build();

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
    void reusingARotatedRefreshTokenIsInvalidGrantAndTheIdentityIsGone() {
        gitlab.enqueue(json(400, INVALID_GRANT));

        IdentityNotValid e = refreshFails(IdentityNotValid.class);

        assertThat(e.httpStatus()).isEqualTo(400);
        assertThat(e.error()).contains("invalid_grant");
        assertThat(e.getMessage()).startsWith("HTTP 400 (invalid_grant): The provided authorization grant is invalid");
    }

    @Test
    void olderGitLabAnswersInvalidGrantWith401AndTheIdentityIsStillGone() {
        gitlab.enqueue(json(401, INVALID_GRANT));

        IdentityNotValid e = refreshFails(IdentityNotValid.class);

        assertThat(e.httpStatus()).isEqualTo(401);
        assertThat(e.error()).contains("invalid_grant");
    }

    @Test
    void currentGitLabAnswersInvalidClientWith401AndThatIsOurConfigurationNotTheIdentity() {
        gitlab.enqueue(json(401, INVALID_CLIENT));

        ProviderConfigurationException e = refreshFails(ProviderConfigurationException.class);

        assertThat(e.httpStatus()).isEqualTo(401);
        assertThat(e.error()).contains("invalid_client");
        assertThat(e.getMessage()).contains("HTTP 401 (invalid_client)").contains("application ID and secret");
    }

    @Test
    void currentGitLabAnswersInvalidRequestWith400AndThatIsARejectionNotARevocation() {
        gitlab.enqueue(json(400, INVALID_REQUEST));

        RefreshRejectedException e = refreshFails(RefreshRejectedException.class);

        assertThat(e).isNotInstanceOf(IdentityNotValid.class);
        assertThat(e.httpStatus()).isEqualTo(400);
        assertThat(e.error()).contains("invalid_request");
    }

    @Test
    void olderGitLabAnswersInvalidRequestWith401AndThatIsStillNotARevocation() {
        gitlab.enqueue(json(401, INVALID_REQUEST));

        RefreshRejectedException e = refreshFails(RefreshRejectedException.class);

        assertThat(e).isNotInstanceOf(IdentityNotValid.class);
        assertThat(e.httpStatus()).isEqualTo(401);
        assertThat(e.error()).contains("invalid_request");
    }

    @Test
    void a401WithoutAnErrorCodeIsOurApplicationNotARevocation() {
        // RFC 6749 §5.2: a 401 is client authentication (a wrong secret, a gateway's Basic challenge).
        gitlab.enqueue(new MockResponse.Builder().code(401).addHeader("WWW-Authenticate", "Basic realm=\"GitLab\"")
                .addHeader("Content-Type", "text/html").body("<html><body>401 Unauthorized</body></html>").build());

        ProviderConfigurationException e = refreshFails(ProviderConfigurationException.class);

        assertThat(e).isNotInstanceOf(IdentityNotValid.class);
        assertThat(e.httpStatus()).isEqualTo(401);
        assertThat(e.error()).isEmpty();
        assertThat(e.getMessage()).contains("application ID and secret");
    }

    @Test
    void a401WithAnEmptyJsonObjectIsOurApplicationToo() {
        gitlab.enqueue(json(401, "{}"));

        refreshFails(ProviderConfigurationException.class);
    }

    @Test
    void rateLimitingIsTransientAndCarriesRetryAfter() {
        gitlab.enqueue(new MockResponse.Builder().code(429)
                .addHeader("Content-Type", "text/plain")
                .addHeader("Retry-After", "60")
                .addHeader("RateLimit-Limit", "600")
                .addHeader("RateLimit-Remaining", "0")
                .body("Retry later\n").build());

        TransientRefreshException e = refreshFails(TransientRefreshException.class);

        assertThat(e.httpStatus()).isEqualTo(429);
        assertThat(e.retryAfter()).contains(Duration.ofSeconds(60));
    }

    @Test
    void aProxyErrorPageIsTransient() {
        gitlab.enqueue(new MockResponse.Builder().code(502)
                .addHeader("Content-Type", "text/html")
                .body("<!DOCTYPE html><html><head><title>GitLab is not responding (502)</title></head>"
                        + "<body><h1>502</h1><h3>Whoops, GitLab is taking too much time to respond.</h3></body></html>")
                .build());

        TransientRefreshException e = refreshFails(TransientRefreshException.class);

        assertThat(e.httpStatus()).isEqualTo(502);
    }

    @Test
    void whateverGitLabEchoesNoTokenOrSecretReachesTheMessage() {
        gitlab.enqueue(json(400, "{\"error\":\"invalid_request\",\"error_description\":\"Invalid refresh_token "
                + OLD_REFRESH_TOKEN + " for client secret " + CLIENT_SECRET + " and token " + OLD_ACCESS_TOKEN + "\"}"));

        RefreshRejectedException e = refreshFails(RefreshRejectedException.class);

        assertThat(e.getMessage()).doesNotContain(OLD_REFRESH_TOKEN, CLIENT_SECRET, OLD_ACCESS_TOKEN);
        assertThat(e.errorDescription().orElseThrow()).doesNotContain(OLD_REFRESH_TOKEN, CLIENT_SECRET, OLD_ACCESS_TOKEN);
    }

    private <T extends RefreshException> T refreshFails(Class<T> type) {
        T e = catchThrowableOfType(type, () -> provider.refresh(identity));
        assertThat(e).as("expected %s", type.getSimpleName()).isNotNull();
        assertThat(e.getMessage()).doesNotContain(OLD_REFRESH_TOKEN, CLIENT_SECRET, OLD_ACCESS_TOKEN);
        assertThat(gitlab.getRequestCount()).isEqualTo(1);
        return e;
    }
}
