package org.oauthidentity.spring.boot.sweep;

import java.util.Optional;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityStore;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.RefreshException;
import org.oauthidentity.refresh.RefreshListener;
import org.oauthidentity.sweep.IdentityCheck;
import org.oauthidentity.sweep.PassSummary;
import org.oauthidentity.sweep.SweepListener;

/**
 * Tells which provider halted the last validation pass. The pass's summary carries the configuration error but not
 * the provider it came from; the refresher's listener heard that error first, with the identity being refreshed,
 * so when a pass ends halted by the very error last heard, that identity's provider key is looked up once (one
 * store read per halted pass). Thread-safe: the last error and the answer are each one volatile reference.
 */
final class ConfigurationErrors implements RefreshListener, SweepListener {
    private final IdentityStore store;
    private volatile Heard lastHeard;
    private volatile Halt lastHalt;

    ConfigurationErrors(IdentityStore store) {
        this.store = store;
    }

    @Override
    public void refreshFailed(String identityId, RefreshException error) {
        if (error instanceof ProviderConfigurationException
                && !((ProviderConfigurationException) error).concernsOneIdentity()) {
            lastHeard = new Heard(error, identityId);
        }
    }

    @Override
    public Action checked(IdentityCheck check) {
        return Action.KEEP;
    }

    @Override
    public void passFinished(PassSummary summary) {
        ProviderConfigurationException error = summary.configurationError().orElse(null);
        if (error == null) {
            return;
        }
        Heard heard = lastHeard;
        String key = null;
        if (heard != null && heard.error == error) {
            try {
                key = store.find(heard.identityId).map(Identity::providerKey).orElse(null);
            } catch (RuntimeException e) {
                key = null; // the store is down too: the health shows the halt without its provider
            }
        }
        lastHalt = new Halt(summary, key);
    }

    /** The provider key behind {@code summary}'s configuration error, when it is the last halted pass and known. */
    Optional<String> providerKey(PassSummary summary) {
        Halt halt = lastHalt;
        return halt != null && halt.summary == summary ? Optional.ofNullable(halt.providerKey) : Optional.empty();
    }

    private static final class Heard {
        final RefreshException error;
        final String identityId;

        Heard(RefreshException error, String identityId) {
            this.error = error;
            this.identityId = identityId;
        }
    }

    private static final class Halt {
        final PassSummary summary;
        final String providerKey;

        Halt(PassSummary summary, String providerKey) {
            this.summary = summary;
            this.providerKey = providerKey;
        }
    }
}
