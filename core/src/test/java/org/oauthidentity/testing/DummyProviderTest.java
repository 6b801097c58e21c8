package org.oauthidentity.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.TransientRefreshException;
import org.oauthidentity.support.Concurrently;
import org.oauthidentity.testing.DummyProvider.Step;

/** The provider users script in their own unit tests does what its steps say, in order, and counts. */
class DummyProviderTest {
    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");

    private final ManualClock clock = ManualClock.at(T0);
    private final DummyProvider dummy = DummyProvider.create("example", clock);
    private final Identity alice = identity("alice");
    private final Identity bob = identity("bob");

    @Test
    void byDefaultEveryRefreshSucceedsWithAFreshTokenAndTheSameRefreshToken() throws Exception {
        Identity first = dummy.refresh(alice);
        clock.advance(Duration.ofMinutes(5));
        Identity second = dummy.refresh(first);

        assertThat(first.accessToken()).isNotEqualTo(alice.accessToken());
        assertThat(second.accessToken()).isNotEqualTo(first.accessToken());
        assertThat(second.refreshToken()).isEqualTo(alice.refreshToken());
        assertThat(first.expiresAt()).contains(T0.plus(Duration.ofHours(1)));
        assertThat(second.expiresAt()).contains(T0.plus(Duration.ofMinutes(65)));
        assertThat(second.id()).isEqualTo("alice");
        assertThat(second.version()).as("the provider never moves the version").isEqualTo(alice.version());
    }

    @Test
    void scriptedStepsRunOnceEachInOrderThenTheDefaultResumes() throws Exception {
        dummy.then(Step.FAIL_TRANSIENTLY, Step.ROTATE, Step.FAIL_CONFIGURATION, Step.FAIL_PERMANENTLY);

        TransientRefreshException transientError = assertThrows(TransientRefreshException.class, () -> dummy.refresh(alice));
        Identity rotated = dummy.refresh(alice);
        assertThrows(ProviderConfigurationException.class, () -> dummy.refresh(alice));
        IdentityNotValid notValid = assertThrows(IdentityNotValid.class, () -> dummy.refresh(alice));
        Identity afterScript = dummy.refresh(rotated);

        assertThat(transientError.httpStatus()).isEqualTo(503);
        assertThat(rotated.refreshToken()).isPresent().isNotEqualTo(alice.refreshToken());
        assertThat(notValid.getMessage()).isEqualTo("HTTP 400 (invalid_grant): Token has been expired or revoked.");
        assertThat(afterScript.refreshToken()).isEqualTo(rotated.refreshToken());
        assertThat(dummy.calls()).isEqualTo(5);
    }

    @Test
    void rulesApplyToTheIdentitiesTheyMatchWhenNothingIsScripted() throws Exception {
        dummy.when(i -> i.id().equals("bob"), Step.FAIL_PERMANENTLY)
                .when(i -> i.id().startsWith("b"), Step.ROTATE);

        assertThrows(IdentityNotValid.class, () -> dummy.refresh(bob));
        assertThat(dummy.refresh(alice).refreshToken()).isEqualTo(alice.refreshToken());
        assertThat(dummy.refresh(identity("betty")).refreshToken()).as("second rule: rotates")
                .isPresent().isNotEqualTo(Optional.of("refresh-betty"));

        dummy.then(Step.SUCCEED);
        assertThat(dummy.refresh(bob).accessToken()).as("a scripted step comes before any rule").isNotEqualTo(bob.accessToken());
        assertThrows(IdentityNotValid.class, () -> dummy.refresh(bob));
    }

    @Test
    void otherwiseChangesWhatUnscriptedUnmatchedCallsDo() throws Exception {
        dummy.otherwise(Step.FAIL_TRANSIENTLY);

        assertThrows(TransientRefreshException.class, () -> dummy.refresh(alice));
        assertThrows(TransientRefreshException.class, () -> dummy.refresh(bob));

        dummy.otherwise(Step.ROTATE);
        assertThat(dummy.refresh(alice).refreshToken()).isNotEqualTo(alice.refreshToken());
    }

    @Test
    void callsAreCountedInAllAndPerIdentityFailuresIncluded() throws Exception {
        dummy.then(Step.FAIL_PERMANENTLY);

        assertThrows(IdentityNotValid.class, () -> dummy.refresh(alice));
        dummy.refresh(alice);
        dummy.refresh(bob);

        assertThat(dummy.calls()).isEqualTo(3);
        assertThat(dummy.calls("alice")).isEqualTo(2);
        assertThat(dummy.calls("bob")).isEqualTo(1);
        assertThat(dummy.calls("carol")).isZero();
    }

    @Test
    void anIdentityWithoutARefreshTokenIsNotValidAndDoesNotUseUpAScriptedStep() throws Exception {
        dummy.then(Step.ROTATE);
        Identity noRefresh = alice.toBuilder().refreshToken(null).build();

        IdentityNotValid e = assertThrows(IdentityNotValid.class, () -> dummy.refresh(noRefresh));

        assertThat(e.getMessage()).contains("alice").contains("no refresh token");
        assertThat(dummy.calls()).isEqualTo(1);
        assertThat(dummy.refresh(alice).refreshToken()).as("ROTATE still scripted").isNotEqualTo(alice.refreshToken());
    }

    @Test
    void tokenLifetimeSetsTheExpiryOfIssuedTokens() throws Exception {
        dummy.tokenLifetime(Duration.ofSeconds(90));

        assertThat(dummy.refresh(alice).expiresAt()).contains(T0.plusSeconds(90));
    }

    @Test
    void concurrentCallsGetDistinctTokensAndAreAllCounted() throws Exception {
        try (Concurrently threads = Concurrently.threads(16)) {
            List<Identity> results = threads.call(n -> dummy.refresh(n % 2 == 0 ? alice : bob));

            Set<String> tokens = new HashSet<>();
            results.forEach(r -> tokens.add(r.accessToken()));
            assertThat(tokens).hasSize(16);
            assertThat(dummy.calls()).isEqualTo(16);
            assertThat(dummy.calls("alice")).isEqualTo(8);
        }
    }

    @Test
    void itsKeyIsTheOneGivenAndToStringShowsNoToken() throws Exception {
        Identity refreshed = dummy.refresh(alice);

        assertThat(dummy.key()).isEqualTo("example");
        assertThat(dummy.toString()).contains("calls=1").doesNotContain(refreshed.accessToken());
    }

    private static Identity identity(String id) {
        return Identity.builder().id(id).providerKey("example")
                .accessToken("access-" + id).refreshToken("refresh-" + id).version(1).build();
    }
}
