package org.oauthidentity.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.sql.SQLIntegrityConstraintViolationException;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.FormBody;
import okio.Buffer;
import org.junit.jupiter.api.Test;

/**
 * A database that quotes a failing row back, whole, cut short or encoded, never carries a credential out of
 * the store: the message is withheld and the rest of the failure stays diagnosable.
 */
class RedactionTest {
    private static final String WITHHELD = "<withheld: it echoed a credential>";
    // Encoding breaks every run of 8 characters: only a rule that decodes sees this token in a form body.
    private static final String REFRESH = "rt/AbC+dEf:gh=Ij~kL%mN0 pQ1éRsTu/VwXyZ";
    private static final String ACCESS = "at-9Kx4Lm2Nq7Pr5St8Uv";
    private static final List<String> SECRETS = List.of(REFRESH, ACCESS);

    @Test
    void anExactCopyIsWithheld() {
        assertWithheld(scrubbed("Failing row contains (alice, " + ACCESS + ", " + REFRESH + ")."));
    }

    @Test
    void aFormEncodedEchoIsWithheld() {
        String form = "grant_type=refresh_token&refresh_token=" + formEncoded(REFRESH);

        assertWithheld(scrubbed("Value too long for column \"STATE\": '" + form + "'"));
    }

    @Test
    void aLowerCaseHexEchoIsWithheld() {
        assertWithheld(scrubbed("Value too long: '" + lowerCaseHex(formEncoded(REFRESH)) + "'"));
    }

    @Test
    void aTruncatedTokenIsWithheld() {
        assertWithheld(scrubbed("Value too long for column \"REFRESH_TOKEN\": '" + REFRESH.substring(0, 12) + "...'"));
    }

    @Test
    void aTokenCutUpByControlCharactersIsWithheld() {
        assertWithheld(scrubbed("Detail: " + REFRESH.replaceAll("(.{5})", "$1\n")));
    }

    @Test
    void aSevenCharacterFragmentIsKept() {
        SQLException failure = new SQLException("key (" + ACCESS.substring(0, 7) + ") exists", "23505");

        assertThat(Redaction.scrub(failure, SECRETS)).isSameAs(failure);
    }

    @Test
    void ordinaryFailuresAreKeptAsThrown() {
        SQLException failure = new SQLException("connection refused", "08001", 0, new ConnectException("refused"));

        assertThat(Redaction.scrub(failure, SECRETS)).isSameAs(failure);
    }

    @Test
    void onlyTheFailuresAboveAnEchoAreReplacedAndTheyKeepWhatDiagnosesTheOutage() {
        ConnectException root = new ConnectException("refused");
        SQLException echoing = new SQLIntegrityConstraintViolationException("duplicate " + ACCESS, "23505", 7, root);
        RuntimeException top = new RuntimeException("insert failed", echoing);

        Throwable scrubbed = Redaction.scrub(top, SECRETS);

        assertThat(scrubbed).isInstanceOf(Redaction.ScrubbedSQLException.class)
                .hasMessage("java.lang.RuntimeException: insert failed");
        SQLException cause = (SQLException) scrubbed.getCause();
        assertThat(cause.getMessage()).isEqualTo(SQLIntegrityConstraintViolationException.class.getName() + ": "
                + WITHHELD);
        assertThat(cause.getSQLState()).isEqualTo("23505");
        assertThat(cause.getErrorCode()).isEqualTo(7);
        assertThat(cause.getStackTrace()).isEqualTo(echoing.getStackTrace());
        assertThat(cause.getCause()).as("below the echo the chain is kept as thrown").isSameAs(root);
    }

    @Test
    void anEchoInANextExceptionIsCaughtToo() {
        SQLException batch = new SQLException("batch entry 0 failed", "23505");
        batch.setNextException(new SQLException("duplicate key " + REFRESH, "23505"));

        Throwable scrubbed = Redaction.scrub(batch, SECRETS);

        assertThat(scrubbed).isNotSameAs(batch).hasMessageContaining("batch entry 0 failed");
        assertThat(trace(scrubbed)).doesNotContain(REFRESH.substring(0, 8));
    }

    @Test
    void aDriverWhoseToStringSaysMoreThanItsMessageIsHeldToTheRuleToo() {
        SQLException failure = new SQLException("duplicate key", "23505") {
            @Override
            public String getLocalizedMessage() {
                return "duplicate key (" + ACCESS + ")";
            }
        };

        Throwable scrubbed = Redaction.scrub(failure, SECRETS);

        assertThat(scrubbed).isNotSameAs(failure);
        assertThat(trace(scrubbed)).doesNotContain(ACCESS.substring(0, 8)).contains("duplicate key");
    }

    @Test
    void aLongMessageIsCutToThePartTheRuleChecked() {
        String message = "statement failed: " + "x".repeat(400) + " near " + ACCESS;

        Throwable scrubbed = Redaction.scrub(new SQLException(message, "42000"), SECRETS);

        assertThat(scrubbed.getMessage()).startsWith(SQLException.class.getName() + ": statement failed: xxx")
                .endsWith("…").doesNotContain(ACCESS.substring(0, 8));
    }

    private static Throwable scrubbed(String driverMessage) {
        SQLException failure = new SQLException(driverMessage, "22001", new IOException("while writing"));
        return Redaction.scrub(failure, SECRETS);
    }

    private static void assertWithheld(Throwable scrubbed) {
        String trace = trace(scrubbed);
        for (String secret : SECRETS) {
            for (int i = 0; i + 8 <= secret.length(); i++) {
                String piece = secret.substring(i, i + 8);
                assertThat(trace).doesNotContain(piece).doesNotContain(formEncoded(piece))
                        .doesNotContain(lowerCaseHex(formEncoded(piece)));
            }
        }
        assertThat(trace.replace("\n", "").replace("\t", "")).doesNotContain(REFRESH.substring(0, 10));
        assertThat(scrubbed.getMessage()).isEqualTo(SQLException.class.getName() + ": " + WITHHELD);
        assertThat(((SQLException) scrubbed).getSQLState()).isEqualTo("22001");
        assertThat(scrubbed.getCause()).hasMessage("while writing");
    }

    private static String trace(Throwable t) {
        StringWriter out = new StringWriter();
        t.printStackTrace(new PrintWriter(out));
        return out.toString();
    }

    private static String lowerCaseHex(String text) {
        Matcher m = Pattern.compile("%[0-9A-F]{2}").matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, m.group().toLowerCase());
        }
        return m.appendTail(out).toString();
    }

    /** The value as OkHttp's FormBody writes it: upper-case hex, {@code +} for a space. */
    private static String formEncoded(String value) {
        FormBody body = new FormBody.Builder(StandardCharsets.UTF_8).add("v", value).build();
        try (Buffer buffer = new Buffer()) {
            body.writeTo(buffer);
            return buffer.readUtf8().substring("v=".length());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
