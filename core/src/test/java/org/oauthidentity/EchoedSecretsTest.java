package org.oauthidentity;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.oauthidentity.RefreshException.Details;

/** The one rule for text that may echo a credential, as vendor modules and stores call it. */
class EchoedSecretsTest {
    private static final String WITHHELD = "<withheld: it echoed a credential>";
    private static final String TOKEN = "1//0gAbCdEf+GhIjKl/MnOpQr=StUvWx";
    private static final List<String> SECRETS = Arrays.asList(null, "short", TOKEN);

    @Test
    void anyEightCharactersOfASecretWithholdTheWholeText() {
        assertThat(Details.withoutSecrets("revoked: " + TOKEN, SECRETS)).isEqualTo(WITHHELD);
        assertThat(Details.withoutSecrets("revoked: " + TOKEN.substring(9, 17) + " and more", SECRETS))
                .isEqualTo(WITHHELD);
        assertThat(Details.withoutSecrets("revoked: " + TOKEN.substring(9, 16) + " and more", SECRETS))
                .isEqualTo("revoked: " + TOKEN.substring(9, 16) + " and more");
    }

    @Test
    void percentAndFormEncodingInEitherHexCaseCountAsEchoes() {
        assertThat(Details.withoutSecrets("rt=1%2F%2F0gAbCdEf%2BGhIj", SECRETS)).isEqualTo(WITHHELD);
        assertThat(Details.withoutSecrets("rt=1%2f%2f0gAbCdEf%2bGhIj", SECRETS)).isEqualTo(WITHHELD);
        assertThat(Details.withoutSecrets("secret=ab+cd+ef+gh", List.of("ab cd ef gh"))).isEqualTo(WITHHELD);
        assertThat(Details.withoutSecrets("secret=p%C3%A4ssw%C3%B6rt-1", List.of("pässwört-1"))).isEqualTo(WITHHELD);
        // A '+' that was a '+' still counts.
        assertThat(Details.withoutSecrets("echo Ef+GhIjKl", SECRETS)).isEqualTo(WITHHELD);
    }

    @Test
    void controlAndInvisibleCharactersInsideAnEchoDoNotHideIt() {
        assertThat(Details.withoutSecrets("1//0g\nAbCd\u200bEf+G", SECRETS)).isEqualTo(WITHHELD);
        assertThat(Details.withoutSecrets("1%2F%2F0g%0AAbCdEf", SECRETS)).isEqualTo(WITHHELD);
    }

    @Test
    void ordinaryTextShortSecretsAndNullPassThrough() {
        assertThat(Details.withoutSecrets("Token has been expired or revoked.", SECRETS))
                .isEqualTo("Token has been expired or revoked.");
        assertThat(Details.withoutSecrets("a short value", SECRETS)).isEqualTo("a short value");
        assertThat(Details.withoutSecrets("100% sure: %zz %4", SECRETS)).isEqualTo("100% sure: %zz %4");
        assertThat(Details.withoutSecrets(null, SECRETS)).isNull();
        assertThat(Details.withoutSecrets("anything", List.of())).isEqualTo("anything");
    }

    @Test
    void onlyTheCheckedPartOfALongTextIsReturned() {
        String text = "x".repeat(400) + TOKEN;

        String shown = Details.withoutSecrets(text, SECRETS);

        assertThat(shown).hasSize(301).endsWith("…").doesNotContain(TOKEN.substring(0, 8));
        assertThat(Details.withoutSecrets("x".repeat(299) + "\ud83d\ude00" + "y", SECRETS))
                .as("a cut never splits a surrogate pair").isEqualTo("x".repeat(299) + "…");
    }
}
