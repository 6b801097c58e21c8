package org.oauthidentity.benchmarks;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/** Creates the JDK HTTP servers the benchmarks call, on loopback, with the settings a fair measurement needs. */
final class HttpServers {
    static {
        // Without it the server writes the response headers and body as two small segments and Nagle's
        // algorithm holds the second one until the client's delayed ACK: ~40 ms per call, measuring TCP
        // timers instead of the client. Read once, when the first server is created.
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    private HttpServers() {
    }

    static HttpServer create(int backlog) throws IOException {
        return HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), backlog);
    }

    static String url(HttpServer server, String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }
}
