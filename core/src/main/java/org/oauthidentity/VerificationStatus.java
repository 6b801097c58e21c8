package org.oauthidentity;

/** What the last validation of an identity found; written by the validation sweep. */
public enum VerificationStatus {
    /** Never checked since it was linked. */
    UNVERIFIED,
    /** The vendor refreshed it: linked and valid. */
    VALID,
    /** The vendor said it is gone for good ({@link IdentityNotValid}): unlink it. */
    NOT_VALID,
    /** The check failed for another reason (outage, protocol error): still linked, but not trusted. */
    ERROR
}
