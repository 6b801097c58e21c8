package org.oauthidentity.spring.boot;

import java.util.Objects;

/**
 * A property under {@code oauth-identity.*} is missing or wrong; the application does not start. The message
 * names the property and what it must be, never its value (it may be a secret); {@link #property()} gives the
 * full property name, e.g. {@code oauth-identity.providers.gitlab.client-secret}.
 */
public final class OAuthIdentityPropertyException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    private final String property;

    /**
     * @param property the full property name
     * @param problem what is wrong and what is expected, without the value
     */
    public OAuthIdentityPropertyException(String property, String problem) {
        this(property, problem, null);
    }

    /**
     * @param property the full property name
     * @param problem what is wrong and what is expected, without the value
     * @param cause the builder's refusal, whose message names no secret
     */
    public OAuthIdentityPropertyException(String property, String problem, Throwable cause) {
        super(Objects.requireNonNull(property, "property") + ": " + problem, cause);
        this.property = property;
    }

    /** The full name of the offending property. */
    public String property() {
        return property;
    }
}
