package org.oauthidentity.examples.spring;

import org.oauthidentity.testkit.FakeAuthorizationServer;
import org.oauthidentity.testkit.FakeAuthorizationServer.Dialect;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A Spring Boot service that links its users' GitLab accounts and calls GitLab as them, on the oauth-identity
 * starter and the {@code application.yml} beside it. {@link #main} runs it against a fake GitLab on a loopback
 * port, with Alice signed in there: open {@code http://localhost:8080/link/gitlab?user=alice}.
 */
@SpringBootApplication
public class LinkingApplication {

    /**
     * Starts the fake GitLab, then the service pointed at it.
     *
     * @param args Spring Boot's arguments, e.g. {@code --server.port=9090}
     * @throws Exception the fake could not start
     */
    public static void main(String[] args) throws Exception {
        int port = Integer.getInteger("server.port", 8080);
        FakeAuthorizationServer gitlab = FakeAuthorizationServer.builder().dialect(Dialect.GITLAB)
                .redirectUris("http://localhost:" + port + "/link/gitlab/callback").start();
        gitlab.signIn("alice"); // at the real GitLab, Alice would sign in on its login page
        SpringApplication app = new SpringApplication(LinkingApplication.class);
        app.setDefaultProperties(java.util.Map.of(
                "server.port", port,
                "gitlab.url", gitlab.baseUrl(),
                "gitlab.client-id", gitlab.clientId(),
                "gitlab.client-secret", gitlab.clientSecret()));
        app.run(args);
        System.out.println("\nFake GitLab on " + gitlab.baseUrl() + "; Alice is signed in there. Open:\n"
                + "  http://localhost:" + port + "/link/gitlab?user=alice   link her account\n"
                + "  http://localhost:" + port + "/me/gitlab                call GitLab as her\n"
                + "  http://localhost:" + port + "/actuator/health          the sweep's health\n");
    }
}
