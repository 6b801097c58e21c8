package org.oauthidentity.examples;

import java.io.IOException;
import java.util.List;
import okhttp3.Call;
import okhttp3.HttpUrl;

/**
 * Lists the projects of an Azure DevOps organization as one linked user, through a
 * {@link org.oauthidentity.http.RefreshingHttpClient} that keeps the user's token usable:
 *
 * <pre>{@code
 * RefreshingHttpClient http = RefreshingHttpClient.builder(refresher, identityId)
 *         .apiOrigin(AzureDevOpsProjects.AZURE_DEVOPS)
 *         .build();
 * List<String> names = new AzureDevOpsProjects(http, "https://dev.azure.com/fabrikam").names();
 * }</pre>
 *
 * Works the same with identities of the legacy Azure DevOps OAuth and of Entra ID: both tokens are sent as
 * {@code Bearer}. Holds no state; thread-safe as the {@code Call.Factory} is.
 */
public final class AzureDevOpsProjects {
    /** The origin of the Azure DevOps REST API: give it to {@code RefreshingHttpClient.Builder.apiOrigin}. */
    public static final String AZURE_DEVOPS = "https://dev.azure.com";

    private final JsonApi api;
    private final HttpUrl projects;

    /** @param organizationUrl e.g. {@code https://dev.azure.com/fabrikam} */
    public AzureDevOpsProjects(Call.Factory http, String organizationUrl) {
        this.api = new JsonApi(http);
        this.projects = JsonApi.baseUrl(organizationUrl, "organizationUrl").newBuilder()
                .addPathSegments("_apis/projects")
                .addQueryParameter("api-version", "7.1")
                .build();
    }

    /**
     * The names of the projects the user can see: {@code GET {organization}/_apis/projects?api-version=7.1},
     * the first page (Azure DevOps answers up to 100).
     *
     * @throws org.oauthidentity.IdentityNotValid the user's authorization is gone: link the account again
     * @throws ApiStatusException Azure DevOps answered another status than 2xx
     */
    public List<String> names() throws IOException {
        return JsonApi.texts(api.get(projects).path("value"), "name");
    }
}
