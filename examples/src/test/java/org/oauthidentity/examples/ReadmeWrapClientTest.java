package org.oauthidentity.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import okhttp3.Request;
import okhttp3.Response;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.IdentityStore;
import org.oauthidentity.http.RefreshingHttpClient;
import org.oauthidentity.providers.gitlab.GitLabProvider;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.store.jdbc.JdbcIdentityStore;
import org.oauthidentity.testkit.FakeAuthorizationServer;
import org.oauthidentity.testkit.FakeAuthorizationServer.Dialect;

/**
 * The README's "Wrap your API client" sample compiles, is the code the README shows, and does what the
 * README says against the fake GitLab: an expired identity is refreshed once, saved, and the call succeeds;
 * a revoked one surfaces as IdentityNotValid with the stored identity untouched.
 */
class ReadmeWrapClientTest {
    private static final String BEGIN = "// README wrap begins";
    private static final String END = "// README wrap ends";
    private static final Instant T0 = Instant.parse("2026-03-01T08:00:00Z");

    private FakeAuthorizationServer gitlab;
    private DataSource dataSource;
    private IdentityStore seeded;

    @BeforeEach
    void start() throws IOException {
        // A fixed clock: the identity below expired long before it; the fake's tokens live from T0.
        gitlab = FakeAuthorizationServer.builder().dialect(Dialect.GITLAB)
                .clock(Clock.fixed(T0, ZoneOffset.UTC)).start();
        JdbcDataSource h2 = new JdbcDataSource();
        h2.setURL("jdbc:h2:mem:readme-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
        dataSource = h2;
        seeded = JdbcIdentityStore.builder(dataSource).createSchemaIfMissing().build();
        Identity linked = gitlab.issueIdentity("alice", "api");
        seeded.create(linked.toBuilder().id("user-42").expiresAt(T0.minus(Duration.ofMinutes(5))).build());
    }

    @AfterEach
    void stop() {
        gitlab.close();
    }

    @Test
    void anExpiredIdentityIsRefreshedOnceSavedAndTheCallSucceeds() throws Exception {
        Instant before = Instant.now();
        int status = wrapSample(dataSource, gitlab.baseUrl(), gitlab.clientId(), gitlab.clientSecret(),
                gitlab.redirectUri());
        Instant after = Instant.now();

        assertThat(status).isEqualTo(200);
        assertThat(gitlab.tokenRequests("refresh_token")).isEqualTo(1);
        Identity stored = seeded.find("user-42").orElseThrow();
        assertThat(stored.version()).isEqualTo(2);
        // The sample runs on the system clock and the fake's created_at is months behind it: the token's two
        // hours count from when the refresh was sent, not from the vendor's stale issue time.
        assertThat(stored.expiresAt().orElseThrow())
                .isBetween(before.plus(Duration.ofHours(2)).truncatedTo(ChronoUnit.SECONDS),
                        after.plus(Duration.ofHours(2)));
    }

    @Test
    void aRevokedIdentitySurfacesAsIdentityNotValidAndStaysStoredAsItWas() throws Exception {
        gitlab.revokeUser("alice");
        Identity before = seeded.find("user-42").orElseThrow();

        int status = wrapSample(dataSource, gitlab.baseUrl(), gitlab.clientId(), gitlab.clientSecret(),
                gitlab.redirectUri());

        assertThat(status).as("the sample's IdentityNotValid branch").isEqualTo(-1);
        assertThat(seeded.find("user-42")).contains(before);
        assertThat(gitlab.apiCalls()).as("no API call with a dead token").isZero();
    }

    @Test
    void theReadmeShowsExactlyTheCodeThisTestRuns() throws IOException {
        List<String> readme = readmeSample();
        assertThat(readme).as("README.md's wrap sample").isNotEmpty();
        assertThat(sampleInThisFile()).isEqualTo(readme);
    }

    /** The README's sample, verbatim between the markers. Returns the HTTP status, or -1 when unlinked. */
    private static int wrapSample(DataSource dataSource, String gitlabUrl, String appId, String appSecret,
            String callbackUrl) throws IOException {
        // README wrap begins
        IdentityStore store = JdbcIdentityStore.builder(dataSource).createSchemaIfMissing().build();
        GitLabProvider gitlab = GitLabProvider.builder()
                .baseUrl(gitlabUrl)                      // "https://gitlab.com" or your instance
                .clientId(appId).clientSecret(appSecret).redirectUri(callbackUrl)
                .build();
        IdentityRefresher refresher = IdentityRefresher.builder(store).provider(gitlab).build();

        RefreshingHttpClient api = RefreshingHttpClient.builder(refresher)  // one client for every linked account
                .apiOrigin(gitlabUrl)                    // the token is sent to this origin only
                .build();                                // or .httpClient(yourOkHttpClient); api.okHttpClient() for Retrofit
        Request me = new Request.Builder().url(gitlabUrl + "/api/v4/user").build();
        try (Response response = api.forIdentity("user-42").newCall(me).execute()) {
            return response.code();                      // refreshed before expiry or after a 401, saved first
        } catch (IdentityNotValid e) {
            return -1;                                   // revoked or suspended at GitLab: unlink the account
        }
        // README wrap ends
    }

    private static List<String> readmeSample() throws IOException {
        List<String> lines = Files.readAllLines(findUpwards("README.md"), StandardCharsets.UTF_8);
        int heading = lines.indexOf("## Wrap your API client");
        assertThat(heading).as("README.md has a 'Wrap your API client' section").isNotNegative();
        int open = lines.subList(heading, lines.size()).indexOf("```java") + heading;
        int close = lines.subList(open + 1, lines.size()).indexOf("```") + open + 1;
        return lines.subList(open + 1, close);
    }

    private static List<String> sampleInThisFile() throws IOException {
        List<String> lines = Files.readAllLines(findUpwards(
                "examples/src/test/java/org/oauthidentity/examples/ReadmeWrapClientTest.java"), StandardCharsets.UTF_8);
        int begin = indexOfTrimmed(lines, BEGIN);
        int end = indexOfTrimmed(lines, END);
        String indent = lines.get(begin).substring(0, lines.get(begin).indexOf(BEGIN));
        List<String> sample = new ArrayList<>();
        for (String line : lines.subList(begin + 1, end)) {
            sample.add(line.startsWith(indent) ? line.substring(indent.length()) : line.strip());
        }
        return sample;
    }

    private static int indexOfTrimmed(List<String> lines, String marker) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).strip().equals(marker)) {
                return i;
            }
        }
        throw new AssertionError("marker not found: " + marker);
    }

    private static Path findUpwards(String relative) {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve(relative);
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new AssertionError(relative + " not found above " + Path.of("").toAbsolutePath());
    }
}
