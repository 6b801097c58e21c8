package org.oauthidentity.examples;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.Optional;
import okhttp3.Call;
import okhttp3.HttpUrl;

/**
 * Who a linked Google user is, from Google's OpenID Connect userinfo endpoint, through a
 * {@link org.oauthidentity.http.RefreshingHttpClient} that keeps the user's token usable:
 *
 * <pre>{@code
 * RefreshingHttpClient http = RefreshingHttpClient.builder(refresher, identityId)
 *         .apiOrigin(GoogleUserInfo.USERINFO_URL)
 *         .build();
 * GoogleUserInfo.User user = new GoogleUserInfo(http, GoogleUserInfo.USERINFO_URL).user();
 * }</pre>
 *
 * Holds no state; thread-safe as the {@code Call.Factory} is.
 */
public final class GoogleUserInfo {
    /** Google's userinfo endpoint (its origin is also the one to give {@code apiOrigin}). */
    public static final String USERINFO_URL = "https://openidconnect.googleapis.com/v1/userinfo";

    private final JsonApi api;
    private final HttpUrl userinfo;

    public GoogleUserInfo(Call.Factory http, String userinfoUrl) {
        this.api = new JsonApi(http);
        this.userinfo = HttpUrl.get(userinfoUrl);
    }

    /**
     * {@code GET} on the userinfo endpoint.
     *
     * @throws org.oauthidentity.IdentityNotValid the user's authorization is gone: link the account again
     * @throws ApiStatusException Google answered another status than 2xx
     */
    public User user() throws IOException {
        JsonNode json = api.get(userinfo);
        return new User(json.path("sub").asText(), text(json, "email"), text(json, "name"));
    }

    private static Optional<String> text(JsonNode json, String field) {
        return json.hasNonNull(field) ? Optional.of(json.get(field).asText()) : Optional.empty();
    }

    /**
     * @param subject Google's stable user id ({@code sub})
     * @param email present when the {@code email} scope was granted
     * @param name present when the {@code profile} scope was granted
     */
    public record User(String subject, Optional<String> email, Optional<String> name) {
    }
}
