package org.oauthidentity.examples;

import java.io.IOException;
import java.util.List;
import okhttp3.Call;
import okhttp3.HttpUrl;

/**
 * The signed-in user and their projects on a GitLab instance (GitLab.com or self-managed, also under a path
 * such as {@code https://example.com/gitlab}), through a {@link org.oauthidentity.http.RefreshingHttpClient}
 * that keeps the user's token usable:
 *
 * <pre>{@code
 * RefreshingHttpClient http = RefreshingHttpClient.builder(refresher, identityId)
 *         .apiOrigin("https://gitlab.com")
 *         .build();
 * GitLabApi gitlab = new GitLabApi(http, "https://gitlab.com");
 * String username = gitlab.username();
 * List<String> projects = gitlab.projectPaths();
 * }</pre>
 *
 * GitLab rotates refresh tokens, so refreshes must go through one {@code IdentityRefresher} and store, as
 * they do here. Holds no state; thread-safe as the {@code Call.Factory} is.
 */
public final class GitLabApi {
    private final JsonApi api;
    private final HttpUrl user;
    private final HttpUrl projects;

    /** @param instanceUrl the instance's base URL, e.g. {@code https://gitlab.com} */
    public GitLabApi(Call.Factory http, String instanceUrl) {
        this.api = new JsonApi(http);
        HttpUrl v4 = JsonApi.baseUrl(instanceUrl, "instanceUrl").resolve("api/v4/");
        this.user = v4.resolve("user");
        this.projects = v4.resolve("projects").newBuilder().addQueryParameter("membership", "true").build();
    }

    /**
     * The user's username: {@code GET /api/v4/user}.
     *
     * @throws org.oauthidentity.IdentityNotValid the user's authorization is gone: link the account again
     * @throws ApiStatusException GitLab answered another status than 2xx
     */
    public String username() throws IOException {
        return api.get(user).path("username").asText();
    }

    /**
     * {@code path_with_namespace} of the projects the user is a member of: {@code GET
     * /api/v4/projects?membership=true}, the first page (GitLab answers 20 by default).
     *
     * @throws org.oauthidentity.IdentityNotValid the user's authorization is gone: link the account again
     * @throws ApiStatusException GitLab answered another status than 2xx
     */
    public List<String> projectPaths() throws IOException {
        return JsonApi.texts(api.get(projects), "path_with_namespace");
    }
}
