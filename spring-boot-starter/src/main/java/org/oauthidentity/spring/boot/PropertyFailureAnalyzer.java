package org.oauthidentity.spring.boot;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Turns an {@link OAuthIdentityPropertyException} into Spring Boot's start-up report naming the property. */
final class PropertyFailureAnalyzer extends AbstractFailureAnalyzer<OAuthIdentityPropertyException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, OAuthIdentityPropertyException cause) {
        return new FailureAnalysis("oauth-identity is misconfigured: " + cause.getMessage(),
                "Set or correct the property '" + cause.property() + "' (see the oauth-identity Spring Boot starter's"
                        + " README for every property).", cause);
    }
}
