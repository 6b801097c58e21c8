package org.oauthidentity.examples.spring;

import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;
import okhttp3.Request;
import okhttp3.Response;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.IdentityStore;
import org.oauthidentity.authorize.AuthorizationException;
import org.oauthidentity.authorize.AuthorizationRedirect;
import org.oauthidentity.http.RefreshingHttpClient;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.CookieValue;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.oauthidentity.spring.boot.AuthorizationFlows;

/**
 * Links a user's account and calls the vendor's API as that user, with the starter's beans only. The signed-in
 * user is a cookie set by {@code /link}, to keep the example short: a real service takes its authenticated
 * principal's id instead (never a session secret: it becomes the identity's owner).
 */
@RestController
public class LinkController {
    private static final String USER_COOKIE = "demo-user";

    private final AuthorizationFlows flows;
    private final RefreshingHttpClient api;
    private final IdentityStore store;
    private final String gitlabUrl;

    public LinkController(AuthorizationFlows flows, RefreshingHttpClient api, IdentityStore store,
            @Value("${oauth-identity.providers.gitlab.instance-url}") String gitlabUrl) {
        this.flows = flows;
        this.api = api;
        this.store = store;
        this.gitlabUrl = gitlabUrl;
    }

    /** Starts linking: remembers the user, then sends the browser to the vendor's consent page. */
    @GetMapping("/link/{provider}")
    public ResponseEntity<Void> start(@PathVariable("provider") String provider, @RequestParam("user") String user,
            HttpServletResponse response) throws AuthorizationException {
        Cookie cookie = new Cookie(USER_COOKIE, user);
        cookie.setHttpOnly(true);
        cookie.setPath("/");
        response.addCookie(cookie);
        AuthorizationRedirect redirect = flows.start(provider, user);
        return ResponseEntity.status(HttpStatus.FOUND).header("Location", redirect.url().toString()).build();
    }

    /** The vendor's callback: redeems the code and stores the identity (updated if the user linked it before). */
    @GetMapping("/link/{provider}/callback")
    public ResponseEntity<String> callback(@PathVariable("provider") String provider, @RequestParam Map<String, String> callback,
            @CookieValue(USER_COOKIE) String user) {
        try {
            Identity identity = flows.complete(provider, callback, user);
            return ResponseEntity.ok("linked " + provider + " account " + identity.externalUserId().orElse("?")
                    + " as identity " + identity.id() + "\n");
        } catch (AuthorizationException e) {
            return ResponseEntity.badRequest().body("not linked: " + e.reason() + "\n");
        }
    }

    /** Calls GitLab's {@code /api/v4/user} as the signed-in user's linked account. */
    @GetMapping("/me/gitlab")
    public ResponseEntity<String> me(@CookieValue(USER_COOKIE) String user) throws IOException {
        Identity identity = store.listByOwner(user).stream()
                .filter(i -> i.providerKey().equals("gitlab")).findFirst().orElse(null);
        if (identity == null) {
            return ResponseEntity.status(HttpStatus.NOT_FOUND).body("no GitLab account linked\n");
        }
        Request me = new Request.Builder().url(gitlabUrl + "/api/v4/user").build();
        try (Response response = api.forIdentity(identity.id()).newCall(me).execute()) {
            return ResponseEntity.status(response.code()).body(response.body().string());
        } catch (IdentityNotValid e) {
            store.delete(identity.id()); // revoked at GitLab: unlink, the user links again
            return ResponseEntity.status(HttpStatus.CONFLICT).body("GitLab no longer honours the link; link again\n");
        }
    }
}
