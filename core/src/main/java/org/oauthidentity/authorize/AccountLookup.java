package org.oauthidentity.authorize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import java.util.Set;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.oauthidentity.Identity;
import org.oauthidentity.RefreshException.Details;
import org.oauthidentity.oauth2.Endpoints;

/**
 * Names the vendor account of a newly linked identity, for a provider's
 * {@code OAuth2Provider#newIdentity} hook: from the vendor's user API called with the new access token, or
 * from a claim of the ID token of the token response. Either returns the identity with its
 * {@link Identity#externalUserId()} set, or throws an {@link AccountLookupException} carrying the identity, so
 * that the flow can revoke the grant. Stateless and thread-safe.
 */
public final class AccountLookup {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_ID_CHARS = 255;

    private AccountLookup() {
    }

    /**
     * {@code GET url} with {@code Authorization: Bearer <issued's access token>}; the account id is the top-level
     * field {@code field} of the JSON object answered with 200 (a string or a number). Redirects are not followed:
     * the token goes to {@code url}'s host and nowhere else. The body is read up to {@code maxResponseBytes}.
     *
     * @param http the provider's client (its pool shared)
     * @param url the vendor's "who am I" endpoint; https unless loopback
     * @throws AccountLookupException any other answer, or no answer; its message names the host and status only
     */
    public static Identity fromUserApi(OkHttpClient http, HttpUrl url, String field, Identity issued,
            int maxResponseBytes) throws AccountLookupException {
        return fromUserApi(http, url, field, issued, maxResponseBytes, Set.of());
    }

    /**
     * As {@link #fromUserApi(OkHttpClient, HttpUrl, String, Identity, int)}, also allowing plain http to the hosts
     * the provider's settings allow it ({@link org.oauthidentity.oauth2.OAuth2Settings#plainHttpHosts()}).
     */
    public static Identity fromUserApi(OkHttpClient http, HttpUrl url, String field, Identity issued,
            int maxResponseBytes, Set<String> plainHttpHosts) throws AccountLookupException {
        Endpoints.requireSecure(url, "account API URL", plainHttpHosts);
        Request request = new Request.Builder().url(url)
                .header("Authorization", "Bearer " + issued.accessToken())
                .header("Accept", "application/json")
                .build();
        OkHttpClient noRedirects = http.newBuilder().followRedirects(false).followSslRedirects(false).build();
        String where = "the account API at " + Endpoints.display(url);
        int status;
        Optional<JsonNode> body;
        // Only the call is inside the try: AccountLookupException is an IOException too, and must not be caught.
        try (Response response = noRedirects.newCall(request).execute()) {
            status = response.code();
            body = status == 200 ? readObject(response, maxResponseBytes) : Optional.empty();
        } catch (IOException e) {
            throw new AccountLookupException(Details.of(where + " could not be reached ("
                    + e.getClass().getSimpleName() + ")"), issued, e);
        }
        if (status != 200) {
            throw new AccountLookupException(Details.of(where + " answered HTTP " + status), issued, null);
        }
        JsonNode value = body.map(json -> json.get(field)).orElse(null);
        Optional<String> id = value != null && (value.isTextual() || value.isIntegralNumber())
                ? accountId(value.asText()) : Optional.empty();
        if (id.isEmpty()) {
            throw new AccountLookupException(Details.of(where + " answered 200 without a usable '" + field + "'"),
                    issued, null);
        }
        return issued.toBuilder().externalUserId(id.get()).build();
    }

    /**
     * The account id from the first of {@code claims} that the ID token carries (see {@link IdTokens} for why its
     * signature is not checked).
     *
     * @param idToken the {@code id_token} of the token response, or null when it carried none
     * @throws AccountLookupException no ID token, or none of the claims in it; the message says to ask for the
     *     {@code openid} scope
     */
    public static Identity fromIdToken(String idToken, Identity issued, String... claims)
            throws AccountLookupException {
        for (String claim : claims) {
            Optional<String> id = IdTokens.claim(idToken, claim);
            if (id.isPresent()) {
                return issued.toBuilder().externalUserId(id.get()).build();
            }
        }
        throw new AccountLookupException(Details.of(idToken == null
                ? "the token response carried no id_token, so the account is unknown: ask for the 'openid' scope"
                : "the id_token of the token response names no account (" + String.join(", ", claims) + ")"),
                issued, null);
    }

    /** The id when it is 1 to 255 printable ASCII characters (what both stores index); else empty. */
    static Optional<String> accountId(String text) {
        boolean printableAscii = text.chars().allMatch(c -> c > 0x20 && c < 0x7f);
        return text.isEmpty() || text.length() > MAX_ID_CHARS || !printableAscii ? Optional.empty() : Optional.of(text);
    }

    private static Optional<JsonNode> readObject(Response response, int max) throws IOException {
        if (response.body().contentLength() > max) {
            return Optional.empty();
        }
        try (InputStream in = response.body().byteStream()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] chunk = new byte[8192];
            for (int n; (n = in.read(chunk)) != -1; ) {
                out.write(chunk, 0, n);
                if (out.size() > max) {
                    return Optional.empty();
                }
            }
            JsonNode json = JSON.readTree(out.toByteArray());
            return json != null && json.isObject() ? Optional.of(json) : Optional.empty();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return Optional.empty();
        }
    }
}
