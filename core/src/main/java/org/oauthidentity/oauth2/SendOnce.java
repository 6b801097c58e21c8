package org.oauthidentity.oauth2;

import java.io.IOException;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okio.BufferedSink;

/**
 * One token request, sent at most once, that knows whether it may have reached the vendor. The body is one-shot, so
 * OkHttp's own {@code retryOnConnectionFailure} never sends a refresh token a second time (it still retries failures
 * before sending, which is safe). A network interceptor, which OkHttp runs only once a connection is ready, marks the
 * request as started before it is written: a failure before that mark (refused, DNS, connect, TLS handshake) proves
 * the vendor never saw it. Not thread-safe: one instance per call.
 */
final class SendOnce {
    private static final Interceptor MARK_STARTED = chain -> {
        SendOnce call = chain.request().tag(SendOnce.class);
        if (call != null) {
            call.started = true;
        }
        return chain.proceed(chain.request());
    };

    private volatile boolean started;

    /** {@code client} (its pool and dispatcher shared) with the interceptor that marks requests as started. */
    static OkHttpClient marking(OkHttpClient client) {
        return client.newBuilder().addNetworkInterceptor(MARK_STARTED).build();
    }

    /** The request to send: {@code body} as a one-shot body, tagged so this instance learns when it starts. */
    Request post(Request.Builder request, RequestBody body) {
        return request.tag(SendOnce.class, this).post(new OneShot(body)).build();
    }

    /** True once the request may have been (partly) written; false proves the vendor never saw it. */
    boolean started() {
        return started;
    }

    private static final class OneShot extends RequestBody {
        private final RequestBody body;

        OneShot(RequestBody body) {
            this.body = body;
        }

        @Override
        public MediaType contentType() {
            return body.contentType();
        }

        @Override
        public long contentLength() throws IOException {
            return body.contentLength();
        }

        @Override
        public void writeTo(BufferedSink sink) throws IOException {
            body.writeTo(sink);
        }

        @Override
        public boolean isOneShot() {
            return true;
        }
    }
}
