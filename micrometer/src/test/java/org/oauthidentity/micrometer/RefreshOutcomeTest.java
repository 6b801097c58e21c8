package org.oauthidentity.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.RefreshException;
import org.oauthidentity.RefreshException.Details;
import org.oauthidentity.RefreshNotPersistedException;
import org.oauthidentity.RefreshOutcomeUnknownException;
import org.oauthidentity.RefreshRejectedException;
import org.oauthidentity.TokenResponseException;
import org.oauthidentity.TransientRefreshException;

/** Every failure type has its outcome tag; vendor error codes come out of a fixed set. */
class RefreshOutcomeTest {

    @Test
    void eachFailureTypeHasItsOutcome() {
        Details d = Details.of("why");
        assertThat(RefreshOutcome.of(new IdentityNotValid(d)).tag()).isEqualTo("not_valid");
        assertThat(RefreshOutcome.of(new ProviderConfigurationException(d)).tag()).isEqualTo("configuration");
        assertThat(RefreshOutcome.of(new TransientRefreshException(d, null)).tag()).isEqualTo("transient");
        assertThat(RefreshOutcome.of(new TokenResponseException(d, null)).tag()).isEqualTo("transient");
        assertThat(RefreshOutcome.of(new RefreshOutcomeUnknownException(d, new IOException("reset"))).tag())
                .as("a lost answer is transient too, and told apart").isEqualTo("outcome_unknown");
        assertThat(RefreshOutcome.of(new RefreshRejectedException(d)).tag()).isEqualTo("rejected");
        assertThat(RefreshOutcome.of(new RefreshNotPersistedException(d, true, null)).tag())
                .isEqualTo("not_persisted");
        assertThat(RefreshOutcome.of(new RefreshException(d, null) {
            private static final long serialVersionUID = 1L;
        }).tag()).isEqualTo("other");
    }

    @Test
    void standardCodesAreKeptAndAnyOtherCodeIsOther() {
        assertThat(errorTag("invalid_grant")).isEqualTo("invalid_grant");
        assertThat(errorTag("invalid_client")).isEqualTo("invalid_client");
        assertThat(errorTag("Invalid_Client ")).as("vendors that capitalise").isEqualTo("invalid_client");
        assertThat(errorTag("temporarily_unavailable")).isEqualTo("temporarily_unavailable");
        assertThat(errorTag("AADSTS700082")).isEqualTo("other");
        assertThat(errorTag("user-42 is locked: token abc123")).as("free text never becomes a tag").isEqualTo("other");
        assertThat(errorTag(null)).isEqualTo("none");
        assertThat(errorTag("")).isEqualTo("none");
    }

    private static String errorTag(String code) {
        return RefreshOutcome.errorTag(new RefreshRejectedException(Details.http(400, code, "description")));
    }
}
