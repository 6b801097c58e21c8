package org.oauthidentity.http;

/**
 * Per call (an OkHttp call tag): the version whose token went out on the last hop that the API answered
 * 401 to. Written by {@link BearerInterceptor}, taken by {@link RefreshInterceptor}; both run on the
 * call's thread, one after the other, so a plain field is enough. Created only when a 401 arrives.
 */
final class SentToken {
    private CachedToken rejected;

    void rejected(CachedToken token) {
        this.rejected = token;
    }

    /** The rejected version, once; null if no token went out on that hop. */
    CachedToken take() {
        CachedToken token = rejected;
        rejected = null;
        return token;
    }
}
