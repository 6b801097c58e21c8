package org.oauthidentity.spring.boot.sweep;

import java.util.Optional;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.sweep.PassSummary;
import org.oauthidentity.sweep.ValidationSweep;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The validation sweep's health, from its last pass: DOWN when a configuration error of our own client halted it
 * (the vendor rejected our client credentials, or no provider serves a stored key), with the provider's key and
 * the vendor's error code; UNKNOWN before the first pass; UP otherwise, with the last pass's counts. Identities
 * the vendor refused are not our ill health and never make it DOWN. Details never carry a token, a secret, an
 * identity id or an owner. Cheap: reads two references, no store or network call.
 */
public final class SweepHealthIndicator implements HealthIndicator {
    private final ValidationSweep sweep;
    private final ConfigurationErrors errors;

    SweepHealthIndicator(ValidationSweep sweep, ConfigurationErrors errors) {
        this.sweep = sweep;
        this.errors = errors;
    }

    @Override
    public Health health() {
        Optional<PassSummary> last = sweep.lastPass();
        if (last.isEmpty()) {
            return Health.unknown().withDetail("lastPass", "none yet").build();
        }
        PassSummary pass = last.get();
        Health.Builder health = pass.state() == PassSummary.State.CONFIGURATION_ERROR ? Health.down() : Health.up();
        health.withDetail("state", pass.state().name())
                .withDetail("startedAt", pass.startedAt().toString())
                .withDetail("duration", pass.duration().toString());
        Optional<ProviderConfigurationException> error = pass.configurationError();
        if (error.isPresent()) {
            health.withDetail("providerKey", errors.providerKey(pass).orElse("unknown"));
            error.get().error().ifPresent(code -> health.withDetail("error", code));
            if (error.get().httpStatus() > 0) {
                health.withDetail("httpStatus", error.get().httpStatus());
            }
        }
        return health.withDetail("claimed", pass.claimed())
                .withDetail("valid", pass.valid())
                .withDetail("notValid", pass.notValid())
                .withDetail("errors", pass.errors())
                .withDetail("skipped", pass.skipped())
                .withDetail("deferred", pass.deferred())
                .withDetail("deleted", pass.deleted())
                .withDetail("unchecked", pass.unchecked())
                .build();
    }
}
