package org.oauthidentity.http;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import okhttp3.Call;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.RefreshException;
import org.oauthidentity.RefreshNotPersistedException;
import org.oauthidentity.oauth2.Endpoints;
import org.oauthidentity.refresh.IdentityRefresher;
import org.oauthidentity.refresh.RefreshListener;

/**
 * An OkHttp {@link Call.Factory} that calls an API as stored identities and keeps their tokens usable. Use it
 * wherever an {@code OkHttpClient} or a {@code Call.Factory} goes; for Retrofit, pass {@link #okHttpClient()}
 * to {@code Retrofit.Builder.client(...)}.
 *
 * <p><b>One client, many identities.</b> {@link #builder(IdentityRefresher)} makes one client for the whole
 * service: each request names the identity it is sent as, with an {@link AsIdentity} tag or through the
 * {@link #forIdentity} view, and a request to an API origin that names none fails with a
 * {@link NoIdentityException} before anything is sent. All identities share one bounded in-memory cache
 * ({@linkplain Builder#maxIdentities at most so many}, {@linkplain Builder#idleExpiry dropped when idle}); a cached
 * identity costs one map read per call, an evicted or invalidated one a single store read on its next call. A
 * client for one identity ({@link #builder(IdentityRefresher, String)}) is the same machinery with the identity
 * fixed. {@link #accessToken} and {@link #accessTokenAsync} give a valid token to any other HTTP client, with
 * {@link #accessTokenAfterUnauthorized} for its 401s.
 *
 * <p>What every call gets:
 * <ul>
 *   <li><b>The bearer token, only where it belongs.</b> {@code Authorization: Bearer <token>} is added on each
 *       network hop to one of the {@linkplain Builder#apiOrigin API origins} (scheme, host and port, exactly)
 *       and on no other: after a redirect to another host, another port or plain http, no token is sent.</li>
 *   <li><b>Proactive refresh.</b> When the token expires within the {@linkplain Builder#refreshMargin margin}
 *       the call waits for a refresh first; inside the wider {@linkplain Builder#staleWindow stale window} it
 *       is sent with the current token while a refresh runs in the background. Both are capped by the
 *       token's lifetime (margin at a quarter, stale window at a half), so a short-lived token is not
 *       refreshed on every call. A token of unknown expiry is never refreshed proactively.</li>
 *   <li><b>Reactive refresh.</b> A 401 from an API origin to the token this client sent triggers one refresh
 *       (or takes the version another thread or process refreshed meanwhile) and exactly one retry of that
 *       call; a second 401 is returned as it is, and for the {@linkplain Builder#unauthorizedBackoff back-off}
 *       a 401 to that refreshed token refreshes nothing (a resource that refuses every token must not rotate
 *       the refresh token on every call). 403, and 401 from any other origin, never refresh. A request
 *       whose body is one-shot or duplex is never sent twice: the token is refreshed and the 401 returned.</li>
 *   <li><b>Single flight.</b> Callers of this client that need a refresh at the same time share one; they
 *       wait at most {@linkplain Builder#maxRefreshWait the max wait} for it. The refresh runs on the refresher's
 *       threads: a caller that is interrupted or cancelled stops waiting, and the refresh completes and is saved
 *       for everyone else. Across clients and processes the
 *       store's refresh lease, taken by {@link IdentityRefresher}, makes the others adopt its result.</li>
 *   <li><b>Persist first.</b> A refreshed token is used only after {@link IdentityRefresher} saved it. If the
 *       store fails, the call fails with {@link RefreshNotPersistedException} and the old token stays in use.</li>
 *   <li><b>Typed failures.</b> A failed refresh fails the call with the {@link RefreshException} subtype
 *       ({@link IdentityNotValid}, configuration, transient...), an {@code IOException}: it comes out of
 *       {@code execute()} and into {@code Callback.onFailure} unchanged. The stored identity is unchanged.
 *       Unexpected runtime exceptions from a store or provider arrive as a {@code TransientRefreshException}.</li>
 * </ul>
 *
 * <p>An identity is read from the store on its first call to an API origin and then kept in memory; the
 * store is read again only to refresh (or after {@link #invalidate}). A refresh that finds the id linked again
 * (another incarnation) switches to the new account's tokens. A fresh token costs one map read, one clock read,
 * one comparison and one header. Thread-safe. Never logs a token; logs name the identity id. Do not give
 * {@link #okHttpClient()} to the provider as its token-endpoint client.
 */
public final class RefreshingHttpClient implements Call.Factory {
    /** The identity of a client for one identity; null for a client that serves many. */
    private final String identityId;
    private final ApiOrigins origins;
    private final TokenCaches caches;
    private final OkHttpClient client;

    private RefreshingHttpClient(Builder b) {
        this.identityId = b.identityId;
        if (b.origins.isEmpty()) {
            throw new IllegalStateException("at least one apiOrigin is required: the token is sent only there");
        }
        if (b.staleWindow.compareTo(b.refreshMargin) < 0) {
            throw new IllegalStateException("staleWindow (" + b.staleWindow + ") must not be shorter than "
                    + "refreshMargin (" + b.refreshMargin + ")");
        }
        this.origins = new ApiOrigins(b.origins);
        OkHttpClient base = b.httpClient != null ? b.httpClient : DefaultClient.INSTANCE;
        Executor background = b.backgroundExecutor != null ? b.backgroundExecutor
                : base.dispatcher().executorService();
        TokenCache.Settings settings = new TokenCache.Settings(b.refresher, b.clock, b.refreshMargin,
                b.staleWindow, b.maxRefreshWait, background, b.unauthorizedBackoff);
        this.caches = new TokenCaches(settings, identityId != null ? 1 : b.maxIdentities,
                identityId != null ? Long.MAX_VALUE : b.idleExpiry.toMillis());
        this.client = base.newBuilder()
                .addInterceptor(new RefreshInterceptor(origins, this::cacheFor, b.listener))
                .build();
    }

    /**
     * Starts a client for the identity {@code identityId}, refreshed by {@code refresher} (which brings the
     * store, the providers and the retry policy of transient token-endpoint failures).
     */
    public static Builder builder(IdentityRefresher refresher, String identityId) {
        if (identityId == null || identityId.isBlank()) {
            throw new IllegalArgumentException("identityId is required");
        }
        return new Builder(refresher, identityId);
    }

    /**
     * Starts one client for every identity of {@code refresher}'s store: each request names its identity
     * ({@link AsIdentity} tag, or {@link #forIdentity}).
     */
    public static Builder builder(IdentityRefresher refresher) {
        return new Builder(refresher, null);
    }

    /**
     * A call that carries its identity's token if it goes to an API origin: the identity its {@link AsIdentity}
     * tag names, or this client's own for a client of one identity.
     */
    @Override
    public Call newCall(Request request) {
        return client.newCall(request);
    }

    /**
     * A view of this client that sends every request as {@code identityId} (it tags them), sharing everything
     * with this client: pass it to Retrofit's {@code callFactory(...)}, or call {@code newCall} on it. Cheap: make
     * one per request if that is simplest.
     */
    public Call.Factory forIdentity(String identityId) {
        AsIdentity tag = AsIdentity.of(identityId);
        return request -> client.newCall(request.newBuilder().tag(AsIdentity.class, tag).build());
    }

    /**
     * A currently valid access token of {@code identityId}, for a client that is not this one (java.net.http, a
     * vendor SDK): fresh, it costs no store access; stale, it is returned while a refresh runs in the background;
     * expired, the caller waits for the one shared refresh. Send it only to the API it is meant for.
     *
     * @throws org.oauthidentity.IdentityNotValid the identity is gone (or not stored)
     * @throws org.oauthidentity.RefreshException any other failed refresh, as for a call
     * @throws java.io.InterruptedIOException interrupted while waiting (the refresh goes on)
     */
    public String accessToken(String identityId) throws IOException {
        return cacheFor(identityId).tokenForSending().accessToken();
    }

    /**
     * As {@link #accessToken}, without blocking: completes with the token, or exceptionally with the
     * {@code IOException} {@link #accessToken} would throw. Cancelling it does not stop a refresh.
     */
    public CompletableFuture<String> accessTokenAsync(String identityId) {
        TokenCache cache;
        try {
            cache = cacheFor(identityId);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
        return cache.tokenForSendingAsync().thenApply(token -> token.accessToken());
    }

    /**
     * The API answered 401 to {@code rejectedAccessToken} of {@code identityId}: returns the token to retry with,
     * once. If another caller refreshed meanwhile, its token, at no cost; otherwise the result of the one shared
     * refresh (which first adopts a newer version or a new incarnation from the store). A second 401 to the
     * returned token is the caller's answer: do not call this again for it.
     */
    public String accessTokenAfterUnauthorized(String identityId, String rejectedAccessToken) throws IOException {
        return cacheFor(identityId).replacementFor(rejectedAccessToken).accessToken();
    }

    /**
     * Forgets what this client holds of {@code identityId} (after it was unlinked or linked again elsewhere): its
     * next call reads the store. A refresh in flight completes and is saved; nothing is lost.
     */
    public void invalidate(String identityId) {
        caches.invalidate(identityId);
    }

    private TokenCache cacheFor(Request request) throws IOException {
        AsIdentity tag = request.tag(AsIdentity.class);
        if (identityId != null) {
            if (tag != null && !tag.identityId().equals(identityId)) {
                throw new NoIdentityException("this client sends requests as identity " + identityId + " only, not "
                        + tag.identityId());
            }
            return cacheFor(identityId);
        }
        if (tag == null) {
            throw new NoIdentityException("a request to " + request.url().scheme() + "://" + request.url().host()
                    + " names no identity: tag it with AsIdentity, or send it through forIdentity(id)");
        }
        return cacheFor(tag.identityId());
    }

    private TokenCache cacheFor(String id) throws NoIdentityException {
        if (identityId != null && !identityId.equals(id)) {
            throw new NoIdentityException("this client serves identity " + identityId + " only, not " + id);
        }
        if (id == null || id.isBlank()) {
            throw new NoIdentityException("no identity id given");
        }
        return caches.get(id);
    }

    /** How many identities this client holds in memory now. */
    public int cachedIdentities() {
        return caches.size();
    }

    /** Calls (and token requests through {@link #accessToken}) that found their identity in memory, since built. */
    public long cacheHits() {
        return caches.hits();
    }

    /** Calls that had to read their identity from the store (first use, after eviction or invalidation). */
    public long cacheMisses() {
        return caches.misses();
    }

    /**
     * The OkHttpClient this client calls through: the one given to the builder, sharing its connection pool
     * and dispatcher, plus this client's interceptors. Hand it to Retrofit or anything that wants an
     * {@code OkHttpClient}; {@code newBuilder()} on it keeps the interceptors.
     */
    public OkHttpClient okHttpClient() {
        return client;
    }

    /** The identity of a client for one identity; null for a client that serves many. */
    public String identityId() {
        return identityId;
    }

    @Override
    public String toString() {
        return "RefreshingHttpClient{" + (identityId != null ? "identity=" + identityId : "identities=many")
                + ", apiOrigins=" + origins + '}';
    }

    /** Shared default, created only if a builder is given no client. */
    private static final class DefaultClient {
        static final OkHttpClient INSTANCE = new OkHttpClient();
    }

    /** Not thread-safe; build on one thread. */
    public static final class Builder {
        private final IdentityRefresher refresher;
        private final String identityId;
        private final List<HttpUrl> origins = new ArrayList<>();
        private OkHttpClient httpClient;
        private Clock clock = Clock.systemUTC();
        private Duration refreshMargin = Duration.ofSeconds(60);
        private Duration staleWindow = Duration.ofMinutes(5);
        private Duration maxRefreshWait = Duration.ofSeconds(30);
        private RefreshListener listener = RefreshListener.NONE;
        private Executor backgroundExecutor;
        private Duration unauthorizedBackoff = Duration.ofMinutes(1);
        private int maxIdentities = 20_000;
        private Duration idleExpiry = Duration.ofMinutes(30);

        private Builder(IdentityRefresher refresher, String identityId) {
            this.refresher = Objects.requireNonNull(refresher, "refresher");
            this.identityId = identityId;
        }

        /**
         * For a client of many identities: how many it keeps in memory at most. Default 20,000, room for 10,000 hot
         * identities and as many cold ones passing through. Past it, the least recently used go (their next call
         * reads the store once). About 500 bytes each with tokens of 200 characters.
         */
        public Builder maxIdentities(int maxIdentities) {
            if (maxIdentities < 1) {
                throw new IllegalArgumentException("maxIdentities must be at least 1");
            }
            this.maxIdentities = maxIdentities;
            return this;
        }

        /** For a client of many identities: an identity unused this long is dropped from memory. Default 30 min. */
        public Builder idleExpiry(Duration idleExpiry) {
            if (requireNotNegative(idleExpiry, "idleExpiry").isZero()) {
                throw new IllegalArgumentException("idleExpiry must be positive");
            }
            this.idleExpiry = idleExpiry;
            return this;
        }

        /**
         * The client to call through (timeouts, pools, your own interceptors). Default: a shared
         * {@code new OkHttpClient()}. It is not modified: this client is built with {@code newBuilder()}.
         */
        public Builder httpClient(OkHttpClient httpClient) {
            this.httpClient = Objects.requireNonNull(httpClient, "httpClient");
            return this;
        }

        /**
         * An origin the token may be sent to: the scheme, host and port of {@code url} (its path is ignored).
         * Must be https, except on loopback. Repeat for an API served from several origins. Required.
         */
        public Builder apiOrigin(String url) {
            origins.add(Endpoints.requireSecure(url, "API origin"));
            return this;
        }

        /** As {@link #apiOrigin(String)}. */
        public Builder apiOrigin(HttpUrl url) {
            origins.add(Endpoints.requireSecure(Objects.requireNonNull(url, "url"), "API origin"));
            return this;
        }

        /** Where "now" comes from for expiry decisions. Default: the system UTC clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Refresh before sending when the token expires within this margin. Default 60 s; capped at a quarter
         * of the token's lifetime (counted from when this client installed it).
         */
        public Builder refreshMargin(Duration margin) {
            this.refreshMargin = requireNotNegative(margin, "refreshMargin");
            return this;
        }

        /**
         * Refresh in the background, still sending the current token, when it expires within this window.
         * Default 5 min; at least the margin; capped at half the token's lifetime. Equal to the margin: no
         * background refresh.
         */
        public Builder staleWindow(Duration window) {
            this.staleWindow = requireNotNegative(window, "staleWindow");
            return this;
        }

        /**
         * How long a call waits for a refresh that another call is running, before failing with a
         * {@code TransientRefreshException}. Default 30 s. The call that runs the refresh is bounded by the
         * refresher instead (lease wait, retry policy, the provider's HTTP timeouts).
         */
        public Builder maxRefreshWait(Duration maxWait) {
            if (requireNotNegative(maxWait, "maxRefreshWait").isZero()) {
                throw new IllegalArgumentException("maxRefreshWait must be positive");
            }
            this.maxRefreshWait = maxWait;
            return this;
        }

        /**
         * Hears {@link RefreshListener#requestRetried} for this client's calls. The refresh events themselves
         * (started, succeeded, adopted, failed, retried) come from the {@link IdentityRefresher}'s own
         * listener: give it the same listener to see both. Exceptions it throws are logged and ignored.
         */
        public Builder listener(RefreshListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * Where background refreshes (stale window) are started. Default: the OkHttp client's dispatcher
         * executor. The refresh itself runs on the refresher's threads ({@link IdentityRefresher.Builder#executor});
         * a background refresh the executor refuses or has not started yet is started by the first call that
         * needs it.
         */
        public Builder backgroundExecutor(Executor executor) {
            this.backgroundExecutor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /**
         * After the retry of a 401 is answered 401 again (the refreshed token is refused too: the resource
         * answers 401 whatever the token, as Azure DevOps does for what the user may not see), a 401 to that same
         * token version is returned as it is, without another refresh, for this long. Default 1 min; zero turns
         * the back-off off. Expiry-driven refreshes are not affected.
         */
        public Builder unauthorizedBackoff(Duration backoff) {
            this.unauthorizedBackoff = requireNotNegative(backoff, "unauthorizedBackoff");
            return this;
        }

        /** @throws IllegalStateException no API origin, or a stale window shorter than the margin */
        public RefreshingHttpClient build() {
            return new RefreshingHttpClient(this);
        }

        private static Duration requireNotNegative(Duration d, String name) {
            if (Objects.requireNonNull(d, name).isNegative()) {
                throw new IllegalArgumentException(name + " must not be negative");
            }
            return d;
        }
    }
}
