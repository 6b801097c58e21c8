package org.oauthidentity.http;

import java.io.IOException;
import java.net.Proxy;
import java.net.ProxySelector;
import java.util.concurrent.TimeUnit;
import javax.net.SocketFactory;
import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.Authenticator;
import okhttp3.Cache;
import okhttp3.Call;
import okhttp3.CertificatePinner;
import okhttp3.Connection;
import okhttp3.ConnectionPool;
import okhttp3.CookieJar;
import okhttp3.Dns;
import okhttp3.EventListener;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The smallest {@link Interceptor.Chain} that runs interceptors the way OkHttp does, without a network: each
 * link hands the request it is given to the next interceptor, and the last one gives the request to a
 * {@link Blackhole} (so building it cannot be optimised away) and answers a prebuilt response. Links are
 * reused between calls, so a benchmark on one thread allocates nothing here. Only what the interceptors on
 * the fresh-token path use is supported; the rest throws, so a path that needs more fails loudly.
 */
final class BenchChain implements Interceptor.Chain {
    private final Interceptor next;
    private final BenchChain nextChain;
    private final Response response;
    private final Blackhole blackhole;
    private Request request;
    /** On the last link: the request that reached the network. */
    private Request sent;

    private BenchChain(Request request, Interceptor next, BenchChain nextChain, Response response, Blackhole blackhole) {
        this.request = request;
        this.next = next;
        this.nextChain = nextChain;
        this.response = response;
        this.blackhole = blackhole;
    }

    /** The chain {@code application} sees: it proceeds into {@code network}, which proceeds into the answer. */
    static BenchChain of(Request request, Interceptor network, Response response, Blackhole blackhole) {
        BenchChain last = new BenchChain(null, null, null, response, blackhole);
        return new BenchChain(request, network, last, response, blackhole);
    }

    /** The request the last call put on the (pretend) network. */
    Request sent() {
        return nextChain.sent;
    }

    @Override
    public Request request() {
        return request;
    }

    @Override
    public Response proceed(Request request) throws IOException {
        if (next == null) {
            sent = request;
            blackhole.consume(request);
            return response;
        }
        nextChain.request = request;
        return next.intercept(nextChain);
    }

    @Override
    public Connection connection() {
        return null;
    }

    @Override
    public Call call() {
        throw unsupported();
    }

    @Override
    public int connectTimeoutMillis() {
        return 10_000;
    }

    @Override
    public int readTimeoutMillis() {
        return 10_000;
    }

    @Override
    public int writeTimeoutMillis() {
        return 10_000;
    }

    @Override
    public Interceptor.Chain withConnectTimeout(int timeout, TimeUnit unit) {
        throw unsupported();
    }

    @Override
    public Interceptor.Chain withReadTimeout(int timeout, TimeUnit unit) {
        throw unsupported();
    }

    @Override
    public Interceptor.Chain withWriteTimeout(int timeout, TimeUnit unit) {
        throw unsupported();
    }

    @Override
    public boolean getFollowSslRedirects() {
        return true;
    }

    @Override
    public boolean getFollowRedirects() {
        return true;
    }

    @Override
    public Dns getDns() {
        throw unsupported();
    }

    @Override
    public Interceptor.Chain withDns(Dns dns) {
        throw unsupported();
    }

    @Override
    public SocketFactory getSocketFactory() {
        throw unsupported();
    }

    @Override
    public Interceptor.Chain withSocketFactory(SocketFactory socketFactory) {
        throw unsupported();
    }

    @Override
    public boolean getRetryOnConnectionFailure() {
        return true;
    }

    @Override
    public Interceptor.Chain withRetryOnConnectionFailure(boolean retry) {
        throw unsupported();
    }

    @Override
    public Authenticator getAuthenticator() {
        throw unsupported();
    }

    @Override
    public Interceptor.Chain withAuthenticator(Authenticator authenticator) {
        throw unsupported();
    }

    @Override
    public CookieJar getCookieJar() {
        throw unsupported();
    }

    @Override
    public Interceptor.Chain withCookieJar(CookieJar cookieJar) {
        throw unsupported();
    }

    @Override
    public Cache getCache() {
        return null;
    }

    @Override
    public Interceptor.Chain withCache(Cache cache) {
        throw unsupported();
    }

    @Override
    public Proxy getProxy() {
        return null;
    }

    @Override
    public Interceptor.Chain withProxy(Proxy proxy) {
        throw unsupported();
    }

    @Override
    public ProxySelector getProxySelector() {
        throw unsupported();
    }

    @Override
    public Interceptor.Chain withProxySelector(ProxySelector proxySelector) {
        throw unsupported();
    }

    @Override
    public Authenticator getProxyAuthenticator() {
        throw unsupported();
    }

    @Override
    public Interceptor.Chain withProxyAuthenticator(Authenticator authenticator) {
        throw unsupported();
    }

    @Override
    public SSLSocketFactory getSslSocketFactoryOrNull() {
        return null;
    }

    @Override
    public Interceptor.Chain withSslSocketFactory(SSLSocketFactory factory, X509TrustManager trustManager) {
        throw unsupported();
    }

    @Override
    public X509TrustManager getX509TrustManagerOrNull() {
        return null;
    }

    @Override
    public HostnameVerifier getHostnameVerifier() {
        throw unsupported();
    }

    @Override
    public Interceptor.Chain withHostnameVerifier(HostnameVerifier verifier) {
        throw unsupported();
    }

    @Override
    public CertificatePinner getCertificatePinner() {
        throw unsupported();
    }

    @Override
    public Interceptor.Chain withCertificatePinner(CertificatePinner pinner) {
        throw unsupported();
    }

    @Override
    public ConnectionPool getConnectionPool() {
        throw unsupported();
    }

    @Override
    public Interceptor.Chain withConnectionPool(ConnectionPool pool) {
        throw unsupported();
    }

    @Override
    public EventListener getEventListener() {
        return EventListener.NONE;
    }

    private static UnsupportedOperationException unsupported() {
        return new UnsupportedOperationException("not on the fresh-token path");
    }
}
