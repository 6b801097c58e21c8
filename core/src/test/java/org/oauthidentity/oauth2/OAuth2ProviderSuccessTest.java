package org.oauthidentity.oauth2;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.oauthidentity.Identity;
import org.oauthidentity.support.TokenJson;
import org.oauthidentity.testing.ManualClock;

/** What a 200 token response does to the identity (RFC 6749 §5.1 and the vendors' variations). */
class OAuth2ProviderSuccessTest {
    private static final Instant START = Instant.parse("2025-03-01T10:00:00Z");
    /** How long the token endpoint takes to answer, on the injected clock. */
    private static final Duration SERVER_TIME = Duration.ofSeconds(7);

    private final ManualClock clock = ManualClock.at(START);

    @RegisterExtension
    final TokenEndpoint endpoint = new TokenEndpoint();
    private final MockWebServer server = endpoint.server();
    private OAuth2Provider provider;
    private final Identity identity = Identity.builder().id("user-1").providerKey("example")
            .externalUserId("ext-1")
            .accessToken("access-old").refreshToken("refresh-old").tokenType("Bearer")
            .expiresAt(START.minusSeconds(5)).scopes(List.of("read"))
            .extra("id_token", "old-id-token")
            .version(4)
            .build();

    @BeforeEach
    void createProvider() {
        provider = OAuth2Provider.create(endpoint.settings().clock(clock).build());
    }

    @Test
    void expiryCountsFromWhenTheRequestStartedNotWhenTheAnswerArrived() throws Exception {
        answerAfterServerTime(TokenJson.success("access-new").expiresIn(3600).response());

        Identity refreshed = provider.refresh(identity);

        assertThat(clock.instant()).as("the server took its time").isEqualTo(START.plus(SERVER_TIME));
        assertThat(refreshed.accessToken()).isEqualTo("access-new");
        assertThat(refreshed.expiresAt()).contains(START.plusSeconds(3600));
    }

    @Test
    void expiresInAsANumericStringCountsTheSame() throws Exception {
        answerAfterServerTime(TokenJson.success("access-new").expiresIn("3600").response());

        Identity refreshed = provider.refresh(identity);

        assertThat(refreshed.expiresAt()).contains(START.plusSeconds(3600));
    }

    @Test
    void noExpiresInMeansTheExpiryIsUnknownNotTheOldOne() throws Exception {
        server.enqueue(TokenJson.success("access-new").response());

        Identity refreshed = provider.refresh(identity);

        assertThat(refreshed.expiresAt()).isEmpty();
    }

    @Test
    void createdAtFromTheVendorIsTheStartOfTheLifetime() throws Exception {
        // GitLab sends created_at (epoch seconds); while the request was under way, it wins over its start.
        Instant createdAt = START.plusSeconds(3);
        answerAfterServerTime(TokenJson.success("access-new").expiresIn(7200)
                .field("created_at", createdAt.getEpochSecond()).response());

        Identity refreshed = provider.refresh(identity);

        assertThat(refreshed.expiresAt()).contains(createdAt.plusSeconds(7200));
        assertThat(refreshed.extra("created_at")).contains(Long.toString(createdAt.getEpochSecond()));
    }

    @Test
    void aNewRefreshTokenReplacesTheOldOne() throws Exception {
        server.enqueue(TokenJson.success("access-new").refreshToken("refresh-new").expiresIn(60).response());

        Identity refreshed = provider.refresh(identity);

        assertThat(refreshed.refreshToken()).contains("refresh-new");
    }

    @Test
    void withoutANewRefreshTokenTheOldOneIsKept() throws Exception {
        server.enqueue(TokenJson.success("access-new").expiresIn(60).response());
        Identity refreshed = provider.refresh(identity);
        assertThat(refreshed.refreshToken()).contains("refresh-old");

        server.enqueue(TokenJson.success("access-newer").refreshToken("").expiresIn(60).response());
        assertThat(provider.refresh(refreshed).refreshToken()).as("an empty one is no new one").contains("refresh-old");

        server.enqueue(TokenJson.success("access-newest").refreshToken(null).expiresIn(60).response());
        assertThat(provider.refresh(refreshed).refreshToken()).as("nor is null").contains("refresh-old");
    }

    @Test
    void tokenTypeAndScopesAreUpdated() throws Exception {
        server.enqueue(TokenJson.success("access-new").field("token_type", "mac")
                .scope("read write  api").expiresIn(60).response());

        Identity refreshed = provider.refresh(identity);

        assertThat(refreshed.tokenType()).isEqualTo("mac");
        assertThat(refreshed.scopes()).containsExactly("read", "write", "api");
    }

    @Test
    void withoutScopeTheGrantedScopesStayAsTheyWere() throws Exception {
        server.enqueue(TokenJson.success("access-new").expiresIn(60).response());

        assertThat(provider.refresh(identity).scopes()).containsExactly("read");
    }

    @Test
    void unknownFieldsAreKeptAsExtrasAndTheRestOfTheIdentityIsUntouched() throws Exception {
        server.enqueue(TokenJson.success("access-new").expiresIn(60)
                .field("id_token", "new-id-token")
                .field("x_vendor_flag", true)
                .field("x_limits", Map.of("per_hour", 5000))
                .field("x_nothing", null)
                .response());

        Identity refreshed = provider.refresh(identity);

        assertThat(refreshed.extras())
                .containsEntry("id_token", "new-id-token")
                .containsEntry("x_vendor_flag", "true")
                .containsEntry("x_limits", "{\"per_hour\":5000}")
                .doesNotContainKeys("x_nothing", "access_token", "refresh_token", "expires_in", "token_type", "scope");
        assertThat(refreshed.id()).isEqualTo("user-1");
        assertThat(refreshed.providerKey()).isEqualTo("example");
        assertThat(refreshed.externalUserId()).contains("ext-1");
        assertThat(refreshed.version()).as("the store moves the version, not the provider").isEqualTo(4);
    }

    @Test
    void extrasOfAnEarlierAnswerAreDroppedNotKeptStaleBesideNewTokens() throws Exception {
        // the identity carries the id_token of the answer that linked it; this answer brings none
        server.enqueue(TokenJson.success("access-new").expiresIn(60).field("x_vendor_flag", true).response());

        Identity refreshed = provider.refresh(identity);

        assertThat(refreshed.extras()).doesNotContainKey("id_token").containsEntry("x_vendor_flag", "true");
    }

    @Test
    void theIdentityPassedInIsNeverChanged() throws Exception {
        Identity copy = identity.toBuilder().build();
        server.enqueue(TokenJson.success("access-new").refreshToken("refresh-new").expiresIn(60).response());

        provider.refresh(identity);

        assertThat(identity).isEqualTo(copy);
    }

    @Test
    void fractionalExpiresInAndCreatedAtAsStringAreRead() throws Exception {
        Instant createdAt = START.plusSeconds(5);
        answerAfterServerTime(TokenJson.success("access-new").expiresIn(3599.9)
                .field("created_at", Long.toString(createdAt.getEpochSecond())).response());

        Identity refreshed = provider.refresh(identity);

        // A fractional expires_in is cut to whole seconds: never later than the vendor meant.
        assertThat(refreshed.expiresAt()).contains(createdAt.plusSeconds(3599));
    }

    private void answerAfterServerTime(MockResponse response) {
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                clock.advance(SERVER_TIME);
                return response;
            }
        });
    }
}
