package org.oauthidentity.testkit;

import java.util.Objects;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Starts a {@link FakeAuthorizationServer}, injects it into test and lifecycle methods that declare a
 * parameter of that type, and stops it.
 *
 * <ul>
 *   <li>In a {@code static} {@code @RegisterExtension} field: one server per test class, started before
 *       {@code @BeforeAll} and stopped after {@code @AfterAll}; its state and counters carry over between
 *       tests, {@code @Nested} classes included (call {@link FakeAuthorizationServer#resetCounters()} where
 *       that matters).</li>
 *   <li>In an instance {@code @RegisterExtension} field, or with {@code @ExtendWith} (generic dialect,
 *       system clock): a fresh server per test.</li>
 * </ul>
 *
 * <p>After each test (and after the class) it fails the test if the fake itself broke while answering
 * ({@link FakeAuthorizationServer#verifyNoInternalFailures()}). Register one per class if you want parameter
 * injection: two would both claim the parameter; use {@link #server()} instead.
 *
 * <p>Thread-safety: start and stop are synchronized; the server it hands out is thread-safe. Concurrent
 * test methods in one class share a per-class server.
 */
public final class FakeAuthorizationServerExtension
        implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback, ParameterResolver {

    private final FakeAuthorizationServer.Builder builder;
    private FakeAuthorizationServer server;
    private boolean perClass;
    /** The class context that started a per-class server; @Nested classes inherit it and must not restart it. */
    private String owner;

    /** A generic-dialect server on the system clock; for {@code @ExtendWith}. */
    public FakeAuthorizationServerExtension() {
        this(FakeAuthorizationServer.builder());
    }

    private FakeAuthorizationServerExtension(FakeAuthorizationServer.Builder builder) {
        this.builder = Objects.requireNonNull(builder, "builder");
    }

    /** Servers configured by {@code builder}; keep using the builder's clock in the test to move time. */
    public static FakeAuthorizationServerExtension of(FakeAuthorizationServer.Builder builder) {
        return new FakeAuthorizationServerExtension(builder);
    }

    /** The running server. @throws IllegalStateException outside a test's lifetime */
    public synchronized FakeAuthorizationServer server() {
        if (server == null) {
            throw new IllegalStateException("the fake authorization server is not running");
        }
        return server;
    }

    @Override
    public synchronized void beforeAll(ExtensionContext context) throws Exception {
        if (server != null) {
            return; // a @Nested class inside the class that started it
        }
        perClass = true;
        owner = context.getUniqueId();
        server = builder.start();
    }

    @Override
    public synchronized void beforeEach(ExtensionContext context) throws Exception {
        if (!perClass) {
            server = builder.start();
        }
    }

    @Override
    public synchronized void afterEach(ExtensionContext context) {
        if (server == null) {
            return;
        }
        if (perClass) {
            server.verifyNoInternalFailures();
            return;
        }
        stop();
    }

    @Override
    public synchronized void afterAll(ExtensionContext context) {
        if (perClass && server != null && context.getUniqueId().equals(owner)) {
            stop();
        }
    }

    private void stop() {
        FakeAuthorizationServer running = server;
        server = null;
        try {
            running.verifyNoInternalFailures();
        } finally {
            running.close();
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == FakeAuthorizationServer.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return server();
    }
}
