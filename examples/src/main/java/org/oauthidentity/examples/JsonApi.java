package org.oauthidentity.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import okhttp3.Call;
import okhttp3.HttpUrl;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * The one GET-and-read-JSON the example clients share. Everything about tokens (the header, refresh before
 * expiry, refresh and retry after a 401, {@code IdentityNotValid}) is the {@link Call.Factory}'s job: give it
 * a {@code RefreshingHttpClient}. Thread-safe.
 */
final class JsonApi {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Call.Factory http;

    JsonApi(Call.Factory http) {
        this.http = Objects.requireNonNull(http, "http");
    }

    /**
     * @throws org.oauthidentity.RefreshException the token could not be refreshed ({@code IdentityNotValid}:
     *     the user must link the account again)
     * @throws ApiStatusException a status other than 2xx
     */
    JsonNode get(HttpUrl url) throws IOException {
        Request request = new Request.Builder().url(url).header("Accept", "application/json").build();
        try (Response response = http.newCall(request).execute()) {
            if (!response.isSuccessful()) {
                throw new ApiStatusException("GET", url.newBuilder().query(null).build().toString(), response.code());
            }
            ResponseBody body = response.body();
            return JSON.readTree(body.byteStream());
        }
    }

    /** {@code field} of each element of the array {@code array} (missing: an empty list). */
    static List<String> texts(JsonNode array, String field) {
        List<String> values = new ArrayList<>();
        array.forEach(element -> values.add(element.path(field).asText()));
        return values;
    }

    /** {@code url} parsed, with a path ending in {@code /} so relative API paths resolve below it. */
    static HttpUrl baseUrl(String url, String what) {
        HttpUrl parsed = HttpUrl.parse(Objects.requireNonNull(url, what));
        if (parsed == null) {
            throw new IllegalArgumentException(what + " must be an absolute http(s) URL");
        }
        String path = parsed.encodedPath();
        return path.endsWith("/") ? parsed : parsed.newBuilder().encodedPath(path + "/").build();
    }
}
