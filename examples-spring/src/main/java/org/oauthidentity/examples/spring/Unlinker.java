package org.oauthidentity.examples.spring;

import org.oauthidentity.spring.boot.sweep.IdentityCheckedEvent;
import org.oauthidentity.sweep.Outcome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/** Unlinks the accounts the validation sweep found revoked or suspended at the vendor. */
@Component
public class Unlinker {
    private static final Logger log = LoggerFactory.getLogger(Unlinker.class);

    @EventListener
    public void onChecked(IdentityCheckedEvent event) {
        if (event.outcome() == Outcome.NOT_VALID) {
            log.info("identity {} is gone at its vendor; unlinking it", event.identityId());
            event.requestDeletion();
        }
    }
}
