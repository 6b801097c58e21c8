package org.oauthidentity.store.redis;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Set;
import java.util.stream.Stream;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.JedisPoolConfig;
import redis.embedded.RedisServer;

/**
 * A real Redis server (the redis-server binary inside the embedded-redis jar: nothing to install) on a free
 * loopback port, for one test class: no persistence, its working files in a temporary folder. It can be stopped and
 * started again on the same port, empty, as a Redis without persistence comes back after a restart.
 */
final class TestRedis implements AutoCloseable {
    static final String HOST = "127.0.0.1";
    /** How long the tests' pools wait for a connection and for an answer, in milliseconds. */
    static final int POOL_TIMEOUT_MILLIS = 2000;

    final int port;
    private final RedisServer server;
    private final Path dir;

    private TestRedis(int port, RedisServer server, Path dir) {
        this.port = port;
        this.server = server;
        this.dir = dir;
    }

    static TestRedis start() {
        try {
            Path dir = Files.createTempDirectory("oauth-identity-redis");
            int port = freeLoopbackPort();
            RedisServer server = RedisServer.newRedisServer()
                    .bind(HOST)
                    .port(port)
                    .setting("save \"\"")
                    .setting("appendonly no")
                    .setting("dir " + dir)
                    .build();
            server.start();
            return new TestRedis(port, server, dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int freeLoopbackPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** A pool as a service would configure one: bounded size, bounded waits. */
    JedisPool newPool(int size) {
        JedisPoolConfig config = new JedisPoolConfig();
        config.setMaxTotal(size);
        config.setMaxIdle(size);
        return new JedisPool(config, HOST, port, POOL_TIMEOUT_MILLIS);
    }

    /** The test's own connection, outside any store; close it. */
    Jedis direct() {
        return new Jedis(HOST, port, POOL_TIMEOUT_MILLIS);
    }

    /** Every key that starts with {@code prefix}. */
    Set<String> keys(String prefix) {
        try (Jedis jedis = direct()) {
            return jedis.keys(prefix + "*");
        }
    }

    void flush() {
        try (Jedis jedis = direct()) {
            jedis.flushAll();
        }
    }

    void stop() {
        try {
            server.stop();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts the stopped server again, on the same port, empty. */
    void restart() {
        try {
            server.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        if (server.isActive()) {
            stop();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
