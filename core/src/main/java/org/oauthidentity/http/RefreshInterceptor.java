package org.oauthidentity.http;

import java.io.IOException;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.oauthidentity.refresh.RefreshListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one interceptor (an application interceptor): puts the identity's token on calls to an API origin,
 * refreshing first when it is (nearly) expired, and after a 401 to that token refreshes and retries the call
 * once. The retry guard is this method's own control flow, so it belongs to one call and cannot leak into
 * another (a retry flag kept on the client, as hand-written clients often do, is shared by concurrent calls and
 * stays set after a failed refresh).
 *
 * <p>Where the token goes: only on calls whose URL is an API origin; a caller's own {@code Authorization}
 * header is replaced there and left alone elsewhere. On a redirect, OkHttp drops the {@code Authorization}
 * header whenever the next hop is another origin (scheme, host or port: it could not reuse the connection),
 * so the token never follows a redirect away from the origin it was sent to; a 401 counts only if its hop
 * still carried our token.
 */
final class RefreshInterceptor implements Interceptor {
    private static final Logger log = LoggerFactory.getLogger(RefreshingHttpClient.class);
    private static final String AUTHORIZATION = "Authorization";

    /** Which identity's cache serves a request to an API origin. */
    @FunctionalInterface
    interface Identities {
        /** @throws NoIdentityException the request names no identity this client may send it as */
        TokenCache cacheFor(Request request) throws IOException;
    }

    private final ApiOrigins origins;
    private final Identities identities;
    private final RefreshListener listener;

    RefreshInterceptor(ApiOrigins origins, Identities identities, RefreshListener listener) {
        this.origins = origins;
        this.identities = identities;
        this.listener = listener;
    }

    @Override
    public Response intercept(Chain chain) throws IOException {
        Request request = chain.request();
        if (!origins.contains(request.url())) {
            // No token goes there: no reason to wait for a refresh, nor to fail if it fails.
            return chain.proceed(request);
        }
        TokenCache cache = identities.cacheFor(request);
        CachedToken sent = cache.tokenForSending();
        Response response = chain.proceed(withToken(request, sent));
        if (response.code() != 401 || !carried(response, sent) || !cache.mayRefreshAfterUnauthorized(sent)) {
            return response;
        }
        return afterUnauthorized(chain, cache, request, response, sent);
    }

    private Response afterUnauthorized(Chain chain, TokenCache cache, Request request, Response response,
            CachedToken rejected) throws IOException {
        String identityId = cache.identityId();
        RequestBody body = request.body();
        boolean replayable = body == null || !(body.isOneShot() || body.isDuplex());
        if (replayable) {
            response.close();
        }
        log.debug("identity {}: the API answered 401 to token version {}; refreshing{}", identityId,
                rejected.version, replayable ? " and retrying once" : " (one-shot body: not retried)");
        CachedToken replacement;
        try {
            replacement = cache.replacementFor(rejected);
        } catch (IOException e) {
            response.close();
            throw e;
        }
        if (!replayable) {
            // The body cannot be sent again; the caller gets the 401, and its own retry gets the new token.
            return response;
        }
        try {
            listener.requestRetried(identityId, replacement.providerKey);
        } catch (RuntimeException e) {
            log.warn("refresh listener failed; ignored", e);
        }
        Response retried = chain.proceed(withToken(request, replacement));
        if (retried.code() == 401 && carried(retried, replacement)) {
            cache.refusedAfterRefresh(replacement);
        }
        return retried;
    }

    private static Request withToken(Request request, CachedToken token) {
        return request.newBuilder().header(AUTHORIZATION, token.authorization).build();
    }

    /** Whether the hop that answered went to an API origin with this token (not a redirect elsewhere). */
    private boolean carried(Response response, CachedToken sent) {
        Request answered = response.request();
        return origins.contains(answered.url()) && sent.authorization.equals(answered.header(AUTHORIZATION));
    }
}
