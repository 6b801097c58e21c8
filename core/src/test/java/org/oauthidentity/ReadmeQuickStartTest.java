package org.oauthidentity;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oauthidentity.oauth2.OAuth2Provider;
import org.oauthidentity.oauth2.OAuth2Settings;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.store.InMemoryIdentityStore;
import org.oauthidentity.support.FormBodies;
import org.oauthidentity.support.TokenJson;

/** The README's quick start compiles, runs against a token endpoint, and is the code the README shows. */
class ReadmeQuickStartTest {
    private static final String BEGIN = "// README quick start begins";
    private static final String END = "// README quick start ends";

    private MockWebServer server;

    @BeforeEach
    void startServer() throws IOException {
        server = new MockWebServer();
        server.start();
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void theQuickStartRefreshesAndStoresTheIdentity() throws Exception {
        server.enqueue(TokenJson.success("access-new-1").refreshToken("refresh-new-1").expiresIn(3600)
                .scope("api").response());
        Instant before = Instant.now();

        IdentityStore store = quickStart(server.url("/oauth/token").toString(), "client-1", "client-secret-1",
                "access-old-1", "refresh-old-1", before.minusSeconds(60));

        RecordedRequest request = server.takeRequest();
        assertThat(FormBodies.parse(request.getBody().utf8()))
                .containsEntry("grant_type", "refresh_token").containsEntry("refresh_token", "refresh-old-1");
        assertThat(request.getHeaders().get("Authorization")).isEqualTo("Basic "
                + Base64.getEncoder().encodeToString("client-1:client-secret-1".getBytes(StandardCharsets.UTF_8)));
        Identity stored = store.find("user-42").orElseThrow();
        assertThat(stored.accessToken()).isEqualTo("access-new-1");
        assertThat(stored.refreshToken()).contains("refresh-new-1");
        assertThat(stored.version()).isEqualTo(2);
        assertThat(stored.expiresAt().orElseThrow()).isBetween(before.plusSeconds(3600), Instant.now().plusSeconds(3600));
    }

    @Test
    void whenTheVendorSaysTheIdentityIsGoneTheStoreKeepsItAsItWas() throws Exception {
        server.enqueue(TokenJson.error("invalid_grant", "Token has been expired or revoked.").response(400));
        Instant expiresAt = Instant.parse("2025-01-01T00:00:00Z");

        IdentityStore store = quickStart(server.url("/oauth/token").toString(), "client-1", "client-secret-1",
                "access-old-1", "refresh-old-1", expiresAt);

        assertThat(server.getRequestCount()).isEqualTo(1);
        Identity stored = store.find("user-42").orElseThrow();
        assertThat(stored.accessToken()).isEqualTo("access-old-1");
        assertThat(stored.refreshToken()).contains("refresh-old-1");
        assertThat(stored.expiresAt()).contains(expiresAt);
        assertThat(stored.version()).isEqualTo(1);
    }

    @Test
    void theReadmeShowsExactlyTheCodeThisTestRuns() throws IOException {
        List<String> readme = readmeSample();
        List<String> here = sampleInThisFile();

        assertThat(readme).as("README.md's quick start").isNotEmpty();
        assertThat(here).as("the quick start in this test, unindented").isEqualTo(readme);
    }

    /** The README's sample, verbatim between the markers; only its result is handed back for the asserts. */
    @SuppressWarnings("unused")
    private static IdentityStore quickStart(String tokenUrl, String clientId, String clientSecret,
            String accessToken, String refreshToken, Instant expiresAt) {
        // README quick start begins
        OAuth2Provider provider = OAuth2Provider.create(OAuth2Settings.builder()
                .providerKey("example")
                .tokenUrl(tokenUrl)                    // e.g. "https://auth.example.com/oauth/token"
                .clientId(clientId).clientSecret(clientSecret)
                .build());
        IdentityStore store = new InMemoryIdentityStore();
        IdentityRefresher refresher = IdentityRefresher.builder(store).provider(provider).build();

        Identity stored = store.create(Identity.builder()
                .id("user-42").providerKey("example")
                .accessToken(accessToken).refreshToken(refreshToken).expiresAt(expiresAt)
                .build());
        try {
            Identity fresh = refresher.refresh(stored);      // saved (compare-and-set) before it is returned
        } catch (IdentityNotValid e) {
            // revoked, expired or suspended at the vendor: unlink the account
        } catch (TransientRefreshException e) {
            // outage or rate limit: try later (e.retryAfter())
        } catch (ProviderConfigurationException e) {
            // our client id/secret is wrong: not the identity's fault
        } catch (RefreshException e) {
            // another refusal (e.error()), or the store could not save the new tokens (nothing was used)
        }
        // README quick start ends
        return store;
    }

    private static List<String> readmeSample() throws IOException {
        List<String> lines = Files.readAllLines(findUpwards("README.md"), StandardCharsets.UTF_8);
        int heading = lines.indexOf("## Refresh by hand (quick start)");
        assertThat(heading).as("README.md has a Quick start section").isNotNegative();
        int open = lines.subList(heading, lines.size()).indexOf("```java") + heading;
        int close = lines.subList(open + 1, lines.size()).indexOf("```") + open + 1;
        return lines.subList(open + 1, close);
    }

    private static List<String> sampleInThisFile() throws IOException {
        List<String> lines = Files.readAllLines(
                findUpwards("core/src/test/java/org/oauthidentity/ReadmeQuickStartTest.java"), StandardCharsets.UTF_8);
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

    /** Tests run in core/; the README is at the repository root. */
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
