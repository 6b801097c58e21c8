package org.oauthidentity.http;

import java.io.IOException;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Network interceptor: puts the installed token on every hop to an API origin and on no other hop, so a
 * redirect to another origin (another host, port, or a downgrade to plain http) never carries it. A caller's
 * own {@code Authorization} header is replaced on API origins and left alone elsewhere. Remembers, per call,
 * which version a 401 was the answer to. Allocates nothing beyond OkHttp's request copy, except on a 401.
 */
final class BearerInterceptor implements Interceptor {
    private final ApiOrigins origins;
    private final TokenCache cache;

    BearerInterceptor(ApiOrigins origins, TokenCache cache) {
        this.origins = origins;
        this.cache = cache;
    }

    @Override
    public Response intercept(Chain chain) throws IOException {
        Request request = chain.request();
        if (!origins.contains(request.url())) {
            return chain.proceed(request);
        }
        CachedToken token = cache.current();
        Response response = token.isLoaded()
                ? chain.proceed(request.newBuilder().header("Authorization", token.authorization).build())
                : chain.proceed(request);
        if (response.code() == 401) {
            chain.call().tag(SentToken.class, SentToken::new).rejected(token.isLoaded() ? token : null);
        }
        return response;
    }
}
