package org.oauthidentity.examples;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Objects;
import org.oauthidentity.http.RefreshingHttpClient;

/**
 * GitLab's API called with the JDK's {@link HttpClient} as any linked identity: the library supplies a valid
 * access token ({@link RefreshingHttpClient#accessToken}: no store access while it is fresh, one shared refresh
 * when it has expired) and, after a 401, the one token to retry with
 * ({@link RefreshingHttpClient#accessTokenAfterUnauthorized}). The same pattern fits any client that is not
 * OkHttp: a vendor SDK, Spring's WebClient.
 *
 * <p>Thread-safe. The token is sent to {@code baseUrl} only.
 */
public final class JdkHttpGitLab {
    private final HttpClient http;
    private final RefreshingHttpClient tokens;
    private final URI baseUrl;

    /**
     * @param tokens a client of many identities (or of one) whose refresher knows the GitLab provider
     * @param baseUrl the GitLab instance, e.g. {@code https://gitlab.com}
     */
    public JdkHttpGitLab(HttpClient http, RefreshingHttpClient tokens, String baseUrl) {
        this.http = Objects.requireNonNull(http, "http");
        this.tokens = Objects.requireNonNull(tokens, "tokens");
        this.baseUrl = URI.create(baseUrl.endsWith("/") ? baseUrl : baseUrl + "/");
    }

    /**
     * The JSON of {@code GET /api/v4/user} as {@code identityId}.
     *
     * @throws org.oauthidentity.IdentityNotValid the account is gone: unlink it
     * @throws ApiStatusException any other answer than 200, after one retry on a 401
     */
    public String currentUser(String identityId) throws IOException, InterruptedException {
        URI url = baseUrl.resolve("api/v4/user");
        String token = tokens.accessToken(identityId);
        HttpResponse<String> response = get(url, token);
        if (response.statusCode() == 401) {
            // Once: the library refreshes (or hands over the refresh another caller made) and we retry.
            response = get(url, tokens.accessTokenAfterUnauthorized(identityId, token));
        }
        if (response.statusCode() != 200) {
            throw new ApiStatusException("GET", url.toString(), response.statusCode());
        }
        return response.body();
    }

    private HttpResponse<String> get(URI url, String token) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(url)
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/json")
                .GET()
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
