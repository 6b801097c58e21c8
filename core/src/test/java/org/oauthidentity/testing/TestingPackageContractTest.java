package org.oauthidentity.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The contract of this package (see its package-info): it serves users' tests and never the library. Given core's
 * main sources, no class outside this package names it, and the package itself imports no test framework.
 */
class TestingPackageContractTest {
    private static final Path MAIN = Paths.get("src", "main", "java");
    private static final Path TESTING = MAIN.resolve(Paths.get("org", "oauthidentity", "testing"));
    private static final Pattern TEST_FRAMEWORKS = Pattern.compile(
            "^import\\s+(static\\s+)?(org\\.junit|org\\.assertj|org\\.mockito|org\\.hamcrest|junit\\.|org\\.testng)",
            Pattern.MULTILINE);

    @Test
    void noMainClassOutsideTheTestingPackageUsesIt() {
        List<Path> users = sources().filter(file -> !file.startsWith(TESTING))
                .filter(file -> read(file).contains("org.oauthidentity.testing"))
                .collect(Collectors.toList());

        assertThat(sources().count()).as("core's main sources were found").isGreaterThan(20);
        assertThat(users).as("main classes that use the test helpers").isEmpty();
    }

    @Test
    void theTestingPackageNeedsNoTestFramework() {
        List<Path> helpers = sources().filter(file -> file.startsWith(TESTING)).collect(Collectors.toList());

        assertThat(helpers).extracting(file -> file.getFileName().toString())
                .contains("DummyProvider.java", "ManualClock.java", "package-info.java");
        assertThat(helpers).allSatisfy(file -> assertThat(TEST_FRAMEWORKS.matcher(read(file)).find())
                .as(file + " imports a test framework").isFalse());
    }

    private static Stream<Path> sources() {
        try {
            return Files.walk(MAIN).filter(file -> file.toString().endsWith(".java")).collect(Collectors.toList()).stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
