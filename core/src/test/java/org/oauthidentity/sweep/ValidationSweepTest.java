package org.oauthidentity.sweep;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotFoundException;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.Provider;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.RefreshException;
import org.oauthidentity.TransientRefreshException;
import org.oauthidentity.VerificationStatus;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.refresh.RetryPolicy;
import org.oauthidentity.store.InMemoryIdentityStore;
import org.oauthidentity.testing.DummyProvider;
import org.oauthidentity.testing.DummyProvider.Step;
import org.oauthidentity.testing.ManualClock;

/** One pass over an in-memory store with a scripted provider: the vendor does not matter here. */
class ValidationSweepTest {
    private static final Instant T0 = Instant.parse("2024-05-01T12:00:00Z");
    private static final Instant A_DAY_AGO = T0.minus(Duration.ofDays(1));

    private final ManualClock clock = ManualClock.at(T0);
    private final InMemoryIdentityStore store = new InMemoryIdentityStore();
    private final DummyProvider dummy = DummyProvider.create("dummy", clock);
    private final List<IdentityCheck> heard = new CopyOnWriteArrayList<>();
    private final List<ValidationSweep> sweeps = new ArrayList<>();
    private final SweepListener recordChecks = check -> {
        heard.add(check);
        return SweepListener.Action.KEEP;
    };

    @AfterEach
    void closeSweeps() {
        sweeps.forEach(ValidationSweep::close);
    }

    @Test
    void staleIdentityIsClaimedBeforeItsRefreshThenRecordedValid() {
        Identity alice = stale("alice");
        AtomicReference<Instant> storedDuringRefresh = new AtomicReference<>();
        Provider provider = new HookedProvider(dummy, (call, identity) -> {
            storedDuringRefresh.set(store.find(identity.id()).orElseThrow().lastVerifiedAt().orElseThrow());
            clock.advance(Duration.ofSeconds(1)); // the vendor takes a second to answer
        });

        PassSummary summary = sweep(provider, SweepListener.NONE).runOnce();

        assertThat(storedDuringRefresh.get()).as("claimed (stamped now) before the refresh").isEqualTo(T0);
        Identity stored = store.find("alice").orElseThrow();
        assertThat(stored.lastVerifiedAt()).isNotEqualTo(alice.lastVerifiedAt()).contains(T0.plusSeconds(1));
        assertThat(stored.status()).isEqualTo(VerificationStatus.VALID);
        assertThat(stored.accessToken()).as("refreshed and saved").isNotEqualTo(alice.accessToken());
        assertThat(dummy.calls("alice")).isEqualTo(1);
        assertThat(summary.state()).isEqualTo(PassSummary.State.COMPLETED);
        assertThat(summary.claimed()).isEqualTo(1);
        assertThat(summary.valid()).isEqualTo(1);
        assertThat(summary.unchecked()).isZero();
    }

    @Test
    void identityWhoseRefreshRaisesIdentityNotValidEndsNotValid() {
        Identity alice = stale("alice");
        dummy.otherwise(Step.FAIL_PERMANENTLY);

        PassSummary summary = sweep(dummy, recordChecks).runOnce();

        assertThat(dummy.calls("alice")).isEqualTo(1);
        Identity stored = store.find("alice").orElseThrow();
        assertThat(stored.status()).isEqualTo(VerificationStatus.NOT_VALID);
        assertThat(stored.lastVerifiedAt()).isNotEqualTo(alice.lastVerifiedAt()).contains(T0);
        assertThat(stored.version()).as("credentials untouched").isEqualTo(alice.version());
        assertThat(heard).singleElement().satisfies(check -> {
            assertThat(check.identityId()).isEqualTo("alice");
            assertThat(check.outcome()).isEqualTo(Outcome.NOT_VALID);
            assertThat(check.outcome().linked()).isFalse();
            assertThat(check.outcome().valid()).isFalse();
            assertThat(check.cause()).containsInstanceOf(IdentityNotValid.class);
        });
        assertThat(summary.notValid()).isEqualTo(1);
        assertThat(summary.valid() + summary.errors()).isZero();
    }

    @Test
    void freshIdentitiesAreNotTouched() {
        List<Identity> fresh = List.of(fresh("f1"), fresh("f2"), fresh("f3"));
        stale("alice");

        PassSummary summary = sweep(dummy, recordChecks).runOnce();

        assertThat(summary.claimed()).isEqualTo(1);
        assertThat(heard).extracting(IdentityCheck::identityId).containsExactly("alice");
        for (Identity f : fresh) {
            assertThat(dummy.calls(f.id())).isZero();
            assertThat(store.find(f.id())).contains(f);
        }
    }

    @Test
    void transientFailureIsRecordedErrorWithItsCauseAndIsNotRetriedByTheSweep() {
        Identity alice = stale("alice");
        dummy.otherwise(Step.FAIL_TRANSIENTLY);
        // This refresher would retry with real sleeps; the sweep must use its own policy (none).
        IdentityRefresher retrying = IdentityRefresher.builder(store).provider(dummy)
                .retryPolicy(RetryPolicy.defaults()).build();

        PassSummary summary = keep(ValidationSweep.builder(retrying).clock(clock).jitter(Duration.ZERO)
                .listener(recordChecks).build())
                .runOnce();

        assertThat(dummy.calls("alice")).isEqualTo(1);
        assertThat(summary.errors()).isEqualTo(1);
        Identity stored = store.find("alice").orElseThrow();
        assertThat(stored.status()).isEqualTo(VerificationStatus.ERROR);
        assertThat(stored.lastVerifiedAt()).contains(T0);
        assertThat(stored.accessToken()).isEqualTo(alice.accessToken());
        assertThat(heard).singleElement().satisfies(check -> {
            assertThat(check.outcome()).isEqualTo(Outcome.ERROR);
            assertThat(check.outcome().linked()).as("an outage does not unlink").isTrue();
            assertThat(check.outcome().valid()).as("fail closed").isFalse();
            assertThat(check.cause()).get().isInstanceOfSatisfying(TransientRefreshException.class,
                    e -> assertThat(e.httpStatus()).isEqualTo(503));
        });
    }

    @Test
    void listenerCanDeleteAnIdentityWhoseOwnerLostAccess() {
        stale("alice");
        stale("bob");
        dummy.when(identity -> identity.id().equals("bob"), Step.FAIL_PERMANENTLY);

        PassSummary summary = sweep(dummy, check -> check.outcome().linked()
                ? SweepListener.Action.KEEP : SweepListener.Action.DELETE).runOnce();

        assertThat(store.find("bob")).isEmpty();
        assertThat(store.find("alice")).get().extracting(Identity::status).isEqualTo(VerificationStatus.VALID);
        assertThat(summary.notValid()).isEqualTo(1);
        assertThat(summary.valid()).isEqualTo(1);
        assertThat(summary.deleted()).isEqualTo(1);
    }

    @Test
    void identityDeletedBetweenClaimAndCheckIsSkippedNotInvalidated() {
        stale("a");
        stale("b");
        stale("c");
        // One check at a time: when the first is reported, the other two are claimed but not yet checked.
        SweepListener deleteTheOthers = check -> {
            heard.add(check);
            if (heard.size() == 1) {
                List.of("a", "b", "c").stream().filter(id -> !id.equals(check.identityId())).forEach(store::delete);
            }
            return SweepListener.Action.KEEP;
        };

        PassSummary summary = keep(builder(dummy).concurrency(1).listener(deleteTheOthers).build()).runOnce();

        assertThat(summary.claimed()).isEqualTo(3);
        assertThat(summary.valid()).isEqualTo(1);
        assertThat(summary.skipped()).isEqualTo(2);
        assertThat(summary.notValid() + summary.errors() + summary.unchecked()).isZero();
        assertThat(dummy.calls()).as("no refresh for a deleted identity").isEqualTo(1);
        assertThat(heard).hasSize(3);
        assertThat(heard.subList(1, 3)).allSatisfy(check -> {
            assertThat(check.outcome()).isEqualTo(Outcome.SKIPPED);
            assertThat(check.cause()).get().isInstanceOf(IdentityNotValid.class)
                    .extracting(Throwable::getCause).isInstanceOf(IdentityNotFoundException.class);
        });
    }

    @Test
    void identityLinkedAgainBetweenClaimAndCheckIsSkippedAndTheNewAccountKeepsItsOwnRecord() {
        stale("a");
        stale("b");
        // One check at a time: when the first is reported, the other is claimed but not yet checked.
        SweepListener relinkTheOther = check -> {
            heard.add(check);
            if (heard.size() == 1) {
                String other = check.identityId().equals("a") ? "b" : "a";
                store.delete(other);
                // linked just now, so not due in this pass
                store.create(Identity.builder().id(other).providerKey("dummy").accessToken("second-account-access")
                        .refreshToken("second-account-refresh").lastVerifiedAt(T0).build());
            }
            return SweepListener.Action.KEEP;
        };

        PassSummary summary = keep(builder(dummy).concurrency(1).listener(relinkTheOther).build()).runOnce();

        assertThat(summary.claimed()).isEqualTo(2);
        assertThat(summary.valid()).isEqualTo(1);
        assertThat(summary.skipped()).isEqualTo(1);
        assertThat(dummy.calls()).as("the new account is not refreshed for the old one's claim").isEqualTo(1);
        IdentityCheck skipped = heard.get(1);
        assertThat(skipped.outcome()).isEqualTo(Outcome.SKIPPED);
        Identity relinked = store.find(skipped.identityId()).orElseThrow();
        assertThat(relinked.accessToken()).isEqualTo("second-account-access");
        assertThat(relinked.status()).as("nothing recorded over the new account").isEqualTo(VerificationStatus.UNVERIFIED);
        assertThat(relinked.lastVerifiedAt()).contains(T0);
    }

    @Test
    void listenerExceptionsAreLoggedAndDoNotStopThePass() {
        for (int i = 0; i < 20; i++) {
            stale("id-" + i);
        }

        PassSummary summary = sweep(dummy, check -> {
            throw new IllegalStateException("host bug");
        }).runOnce();

        assertThat(summary.state()).isEqualTo(PassSummary.State.COMPLETED);
        assertThat(summary.valid()).isEqualTo(20);
        for (int i = 0; i < 20; i++) {
            assertThat(store.find("id-" + i)).get().extracting(Identity::status).isEqualTo(VerificationStatus.VALID);
        }
    }

    @Test
    void identityOfAnUnregisteredProviderStopsThePassAsAConfigurationError() {
        store.create(Identity.builder().id("orphan").providerKey("nobody").accessToken("access-orphan")
                .refreshToken("refresh-orphan").lastVerifiedAt(A_DAY_AGO).build());

        PassSummary summary = sweep(dummy, recordChecks).runOnce();

        assertThat(summary.state()).isEqualTo(PassSummary.State.CONFIGURATION_ERROR);
        assertThat(summary.configurationError()).get().isInstanceOf(ProviderConfigurationException.class);
        assertThat(summary.unchecked()).isEqualTo(1);
        assertThat(heard).isEmpty();
        Identity stored = store.find("orphan").orElseThrow();
        assertThat(stored.status()).as("our misconfiguration never marks an identity").isEqualTo(VerificationStatus.UNVERIFIED);
        assertThat(stored.lastVerifiedAt()).as("stays claimed until the interval passes").contains(T0);
    }

    @Test
    void aConfigurationErrorOfOneIdentityMarksItErrorAndThePassChecksTheOthers() {
        stale("alice");
        stale("corrupt");
        stale("bob");
        Provider onlyCorruptIsMisconfigured = new Provider() {
            @Override
            public String key() {
                return dummy.key();
            }

            @Override
            public Identity refresh(Identity identity) throws RefreshException {
                if (identity.id().equals("corrupt")) {
                    // e.g. a GitLab identity naming an instance the configuration does not allow
                    throw ProviderConfigurationException.forOneIdentity(
                            RefreshException.Details.of("identity corrupt names an unusable instance"));
                }
                return dummy.refresh(identity);
            }
        };

        PassSummary summary = sweep(onlyCorruptIsMisconfigured, recordChecks).runOnce();

        assertThat(summary.state()).isEqualTo(PassSummary.State.COMPLETED);
        assertThat(summary.valid()).isEqualTo(2);
        assertThat(summary.errors()).isEqualTo(1);
        assertThat(summary.notValid()).as("never unlinked for a configuration problem").isZero();
        assertThat(store.find("corrupt").orElseThrow().status()).isEqualTo(VerificationStatus.ERROR);
        assertThat(store.find("alice").orElseThrow().status()).isEqualTo(VerificationStatus.VALID);
        assertThat(store.find("bob").orElseThrow().status()).isEqualTo(VerificationStatus.VALID);
        assertThat(heard).filteredOn(check -> check.identityId().equals("corrupt")).singleElement()
                .satisfies(check -> assertThat(check.cause()).get()
                        .isInstanceOf(ProviderConfigurationException.class));
    }

    @Test
    void aSecondPassWithinTheIntervalFindsNothingToCheck() {
        stale("alice");
        ValidationSweep sweep = sweep(dummy, SweepListener.NONE);
        sweep.runOnce();
        clock.advance(Duration.ofMinutes(59));

        assertThat(sweep.runOnce().claimed()).isZero();

        clock.advance(Duration.ofMinutes(2));
        assertThat(sweep.runOnce().valid()).isEqualTo(1);
        assertThat(dummy.calls("alice")).isEqualTo(2);
    }

    @Test
    void summaryAndChecksNeverPrintTokens() {
        stale("alice");
        dummy.otherwise(Step.FAIL_PERMANENTLY);
        ConcurrentHashMap<String, String> printed = new ConcurrentHashMap<>();

        PassSummary summary = sweep(dummy, check -> {
            printed.put(check.identityId(), check.toString());
            return SweepListener.Action.KEEP;
        }).runOnce();

        assertThat(printed.get("alice")).contains("alice", "NOT_VALID").doesNotContain("refresh-alice", "access-alice");
        assertThat(summary.toString()).contains("notValid=1").doesNotContain("refresh-alice", "access-alice");
    }

    private Identity stale(String id) {
        return store.create(Identity.builder().id(id).providerKey("dummy").accessToken("access-" + id)
                .refreshToken("refresh-" + id).lastVerifiedAt(A_DAY_AGO).build());
    }

    private Identity fresh(String id) {
        return store.create(Identity.builder().id(id).providerKey("dummy").accessToken("access-" + id)
                .refreshToken("refresh-" + id).lastVerifiedAt(T0.minus(Duration.ofMinutes(10)))
                .status(VerificationStatus.VALID).build());
    }

    private ValidationSweep.Builder builder(Provider provider) {
        // No jitter: these tests state exact recorded times (the jitter has its own tests).
        return ValidationSweep.builder(IdentityRefresher.builder(store).provider(provider).build()).clock(clock)
                .jitter(Duration.ZERO);
    }

    private ValidationSweep sweep(Provider provider, SweepListener listener) {
        return keep(builder(provider).listener(listener).build());
    }

    private ValidationSweep keep(ValidationSweep sweep) {
        sweeps.add(sweep);
        return sweep;
    }
}
