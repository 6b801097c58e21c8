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
 * Application interceptor: refreshes before a call to an API origin when the token is (nearly) expired,
 * and after a 401 to the token it sent, retries the call once. The retry guard is this method's own
 * control flow, so it belongs to one call and cannot leak into another (the bug of the reference client,
 * whose flag lived on the client and stayed set after a failed refresh).
 */
final class RefreshInterceptor implements Interceptor {
    private static final Logger log = LoggerFactory.getLogger(RefreshingHttpClient.class);

    private final String identityId;
    private final ApiOrigins origins;
    private final TokenCache cache;
    private final RefreshListener listener;

    RefreshInterceptor(String identityId, ApiOrigins origins, TokenCache cache, RefreshListener listener) {
        this.identityId = identityId;
        this.origins = origins;
        this.cache = cache;
        this.listener = listener;
    }

    @Override
    public Response intercept(Chain chain) throws IOException {
        Request request = chain.request();
        if (!origins.contains(request.url())) {
            // No token goes there: no reason to wait for a refresh, nor to fail if it fails.
            return chain.proceed(request);
        }
        // Makes sure a usable version is installed; BearerInterceptor sends the installed one (this or newer)
        // on each hop, so the token is chosen where it is sent and a redirect cannot carry it elsewhere.
        cache.tokenForSending();
        Response response = chain.proceed(request);
        if (response.code() != 401) {
            return response;
        }
        return afterUnauthorized(chain, request, response);
    }

    private Response afterUnauthorized(Chain chain, Request request, Response response) throws IOException {
        SentToken sent = chain.call().tag(SentToken.class);
        CachedToken rejected = sent == null ? null : sent.take();
        if (rejected == null || !origins.contains(response.request().url())) {
            // The 401 came from a hop that carried no token of ours (another origin after a redirect).
            return response;
        }
        RequestBody body = request.body();
        boolean replayable = body == null || !(body.isOneShot() || body.isDuplex());
        if (replayable) {
            response.close();
        }
        log.debug("identity {}: the API answered 401 to token version {}; refreshing{}", identityId,
                rejected.version, replayable ? " and retrying once" : " (one-shot body: not retried)");
        try {
            cache.replacementFor(rejected);
        } catch (IOException e) {
            response.close();
            throw e;
        }
        if (!replayable) {
            // The body cannot be sent again; the caller gets the 401, and its own retry gets the new token.
            return response;
        }
        try {
            listener.requestRetried(identityId);
        } catch (RuntimeException e) {
            log.warn("refresh listener failed; ignored", e);
        }
        return chain.proceed(request);
    }
}
