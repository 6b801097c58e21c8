package org.oauthidentity.providers.vsts;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import okhttp3.HttpUrl;
import org.oauthidentity.Identity;

/**
 * What Azure DevOps and Entra ID send and receive, after the vendors' documented requests and their own
 * error texts. Tokens look like the real ones (JWTs for Azure DevOps, opaque "1.A..." for Entra).
 */
final class VendorFixtures {
    static final Instant NOW = Instant.parse("2025-04-07T09:15:00Z");

    /** The service's callback, an absolute URL (Azure DevOps refuses a relative one). */
    static final String REDIRECT_URI = "https://app.example.com/extensions/vsts/setup/";
    /** An Azure DevOps "Client Secret": a JWT, the thing that must go into client_assertion. */
    static final String LEGACY_CLIENT_SECRET = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsIng1dCI6Im9PdmN6NU1fN3AtSGpJS2xGWHo5M3VfVjBabyJ9"
            + ".eyJjaWQiOiI4YjRhM2QyZS0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDAiLCJjc2kiOiJjbGllbnQtc2VjcmV0In0.c2lnbmF0dXJl";
    static final String OLD_ACCESS_TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.b2xkLWFjY2Vzcw.b2xkLXNpZw";
    static final String OLD_REFRESH_TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.b2xkLXJlZnJlc2g.b2xkLXJzaWc";
    static final String NEW_ACCESS_TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsIng1dCI6Im9PdmN6NU1fN3AtSGpJS2xGWHo5M3VfVjBabyJ9"
            + ".eyJuYW1laWQiOiI3YjBmYzVkMy0xMTExLTIyMjItMzMzMy00NDQ0NTU1NTY2NjYiLCJzY3AiOiJ2c28uY29kZSB2c28ucHJvamVjdCJ9.bmV3LWFjY2Vzcw";
    static final String NEW_REFRESH_TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsIng1dCI6Im9PdmN6NU1fN3AtSGpJS2xGWHo5M3VfVjBabyJ9"
            + ".eyJuYW1laWQiOiI3YjBmYzVkMy0xMTExLTIyMjItMzMzMy00NDQ0NTU1NTY2NjYiLCJhdWkiOiJyb3RhdGVkIn0.bmV3LXJlZnJlc2g";

    /** Azure DevOps' answer to a refresh: expires_in as a string, token_type jwt-bearer, a new refresh token. */
    static final String LEGACY_TOKEN = "{\"access_token\":\"" + NEW_ACCESS_TOKEN + "\","
            + "\"token_type\":\"jwt-bearer\",\"expires_in\":\"3599\","
            + "\"refresh_token\":\"" + NEW_REFRESH_TOKEN + "\","
            + "\"scope\":\"vso.code vso.project vso.work_write\"}";

    static final String ENTRA_TENANT = "contoso.onmicrosoft.com";
    static final String ENTRA_CLIENT_ID = "0f6e5a4b-3c2d-4e1f-9a8b-7c6d5e4f3a2b";
    static final String ENTRA_CLIENT_SECRET = "Qx8Q~r7vH2kLp.3nB9sT4wZ_yM6cF1dG5jE0aUo";
    static final String ENTRA_OLD_REFRESH_TOKEN = "1.AXEAbGd2cW9vY29udG9zbwAAAAAAAAAAAAAAAAAAAAAA.AgABAwEAAAApTwJmzXqdR4BN2miheQMYAgDs_wUA9P-old";
    static final String ENTRA_NEW_ACCESS_TOKEN = "eyJ0eXAiOiJKV1QiLCJub25jZSI6ImEiLCJhbGciOiJSUzI1NiJ9"
            + ".eyJhdWQiOiI0OTliODRhYy0xMzIxLTQyN2YtYWExNy0yNjdjYTY5NzU3OTgifQ.ZW50cmEtYWNjZXNz";
    static final String ENTRA_NEW_REFRESH_TOKEN = "1.AXEAbGd2cW9vY29udG9zbwAAAAAAAAAAAAAAAAAAAAAA.AgABAwEAAAApTwJmzXqdR4BN2miheQMYAgDs_wUA9P-new";

    /** Entra's answer: expires_in as a number, the refresh token rotated, ext_expires_in beside it. */
    static final String ENTRA_TOKEN = "{\"token_type\":\"Bearer\","
            + "\"scope\":\"499b84ac-1321-427f-aa17-267ca6975798/user_impersonation\","
            + "\"expires_in\":4377,\"ext_expires_in\":4377,"
            + "\"access_token\":\"" + ENTRA_NEW_ACCESS_TOKEN + "\","
            + "\"refresh_token\":\"" + ENTRA_NEW_REFRESH_TOKEN + "\"}";

    /** The user's object id in the tenant: the {@code oid} of Entra's ID tokens, and the linked account. */
    static final String ENTRA_OBJECT_ID = "5d2a7f1c-8b3e-4c6d-9e0f-1a2b3c4d5e6f";
    /** The per-application subject Entra puts in {@code sub}: not the object id. */
    static final String ENTRA_SUBJECT = "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ";
    /** An Entra ID token for openid (signature abbreviated: the client does not check it). */
    static final String ENTRA_ID_TOKEN = idToken("{\"aud\":\"" + ENTRA_CLIENT_ID + "\","
            + "\"iss\":\"https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0\","
            + "\"iat\":1744017300,\"nbf\":1744017300,\"exp\":1744021200,"
            + "\"oid\":\"" + ENTRA_OBJECT_ID + "\",\"sub\":\"" + ENTRA_SUBJECT + "\","
            + "\"tid\":\"72f988bf-86f1-41af-91ab-2d7cd011db47\",\"ver\":\"2.0\"}");
    /** Entra's answer to a code exchange that asked for openid: {@link #ENTRA_TOKEN} with an id_token. */
    static final String ENTRA_LINKED_TOKEN = ENTRA_TOKEN.substring(0, ENTRA_TOKEN.length() - 1)
            + ",\"id_token\":\"" + ENTRA_ID_TOKEN + "\"}";

    private VendorFixtures() {
    }

    /** A linked identity: external id vsts_id, an access token about to be refreshed. */
    static Identity legacyIdentity() {
        return Identity.builder()
                .id("identity-42")
                .providerKey(AzureDevOps.LEGACY_KEY)
                .externalUserId("vsts_id")
                .accessToken(OLD_ACCESS_TOKEN)
                .refreshToken(OLD_REFRESH_TOKEN)
                .tokenType("Bearer")
                .expiresAt(NOW.minusSeconds(60))
                .scopes(List.of("vso.code", "vso.project"))
                .version(3)
                .build();
    }

    static Identity entraIdentity() {
        return Identity.builder()
                .id("identity-43")
                .providerKey(AzureDevOps.ENTRA_KEY)
                .externalUserId("7b0fc5d3-1111-2222-3333-444455556666")
                .accessToken(OLD_ACCESS_TOKEN)
                .refreshToken(ENTRA_OLD_REFRESH_TOKEN)
                .expiresAt(NOW.minusSeconds(60))
                .version(5)
                .build();
    }

    /** An Entra error body, with the fields Entra sends beside error and error_description. */
    static String entraError(String error, int code, String text) {
        return "{\"error\":\"" + error + "\",\"error_description\":\"AADSTS" + code + ": " + text
                + " Trace ID: 2f0c8f4e-5c1a-4b7e-9a64-3e2b8d6f1200 Correlation ID: 7b2d0e6a-1f4c-4a8b-b1e0-5d9c3a7e2f11"
                + " Timestamp: 2025-04-07 09:15:02Z\",\"error_codes\":[" + code + "],"
                + "\"timestamp\":\"2025-04-07 09:15:02Z\",\"trace_id\":\"2f0c8f4e-5c1a-4b7e-9a64-3e2b8d6f1200\","
                + "\"correlation_id\":\"7b2d0e6a-1f4c-4a8b-b1e0-5d9c3a7e2f11\","
                + "\"error_uri\":\"https://login.microsoftonline.com/error?code=" + code + "\"}";
    }

    /** A compact JWS with these claims, its header and signature as Entra's look, neither checked. */
    static String idToken(String claimsJson) {
        java.util.Base64.Encoder base64url = java.util.Base64.getUrlEncoder().withoutPadding();
        return base64url.encodeToString("{\"typ\":\"JWT\",\"alg\":\"RS256\",\"kid\":\"CNv0OI3RwqlHFEVnaoMAshCH2XE\"}"
                .getBytes(StandardCharsets.UTF_8)) + "." + base64url.encodeToString(claimsJson.getBytes(
                StandardCharsets.UTF_8)) + ".c2lnbmF0dXJl";
    }

    static MockResponse json(int code, String body) {
        return new MockResponse.Builder()
                .code(code)
                .addHeader("Content-Type", "application/json; charset=utf-8")
                .body(body)
                .build();
    }

    /** The form fields of a recorded request, decoded, in the order sent (duplicates kept). */
    static List<Map.Entry<String, String>> formFields(RecordedRequest request) {
        List<Map.Entry<String, String>> fields = new ArrayList<>();
        String body = request.getBody() == null ? "" : request.getBody().utf8();
        if (body.isEmpty()) {
            return fields;
        }
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            fields.add(new SimpleImmutableEntry<>(
                    URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                    URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8)));
        }
        return fields;
    }

    /** The query parameters of a URL, in order; a parameter sent twice fails the test. */
    static Map<String, String> query(HttpUrl url) {
        Map<String, String> query = new LinkedHashMap<>();
        for (int i = 0; i < url.querySize(); i++) {
            if (query.put(url.queryParameterName(i), url.queryParameterValue(i)) != null) {
                throw new AssertionError("query parameter sent twice: " + url.queryParameterName(i));
            }
        }
        return query;
    }

    static Map.Entry<String, String> field(String name, String value) {
        return new SimpleImmutableEntry<>(name, value);
    }
}
