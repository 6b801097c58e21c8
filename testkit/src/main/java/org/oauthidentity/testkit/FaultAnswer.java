package org.oauthidentity.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import mockwebserver3.MockResponse;
import mockwebserver3.MockResponseBody;
import mockwebserver3.SocketEffect;
import okhttp3.Headers;
import okio.Buffer;
import org.oauthidentity.testkit.FakeAuthorizationServer.Gate;

/**
 * How one injected fault answers a token request on the wire, behind {@link FakeAuthorizationServer.Fault}.
 * {@code realAnswer} processes the request (checks it, issues and rotates tokens) and returns the normal
 * answer; a fault calls it at most once, and not at all when the vendor "never got" the request. Stateless:
 * one answer serves any number of requests on any threads.
 */
@FunctionalInterface
interface FaultAnswer {

    MockResponse answer(Supplier<MockResponse> realAnswer, HeldRequests held);

    /** A fixed answer; the request is not processed. */
    static FaultAnswer status(int status, String contentType, String body, Headers extraHeaders) {
        return (realAnswer, held) -> {
            MockResponse.Builder b = new MockResponse.Builder().code(status).headers(extraHeaders).body(body);
            if (contentType != null) {
                b.setHeader("Content-Type", contentType);
            }
            return b.build();
        };
    }

    /** The socket closes before a byte of the answer; with {@code processFirst} the request was processed. */
    static FaultAnswer closeUnanswered(boolean processFirst) {
        return (realAnswer, held) -> {
            if (processFirst) {
                realAnswer.get();
            }
            return unanswered();
        };
    }

    static FaultAnswer bodyDelay(Duration delay) {
        return (realAnswer, held) -> realAnswer.get().newBuilder()
                .bodyDelay(delay.toNanos(), TimeUnit.NANOSECONDS).build();
    }

    static FaultAnswer throttled(long bytesPerPeriod, Duration period) {
        return (realAnswer, held) -> realAnswer.get().newBuilder()
                .throttleBody(bytesPerPeriod, period.toNanos(), TimeUnit.NANOSECONDS).build();
    }

    /**
     * The real answer's status line and headers (its full {@code Content-Length} included), the first half of
     * its body, then the socket closes: MockWebServer runs an {@code onResponseBody} effect once half of a
     * known-length body is written and flushed.
     */
    static FaultAnswer truncated() {
        return (realAnswer, held) -> realAnswer.get().newBuilder()
                .onResponseBody(new SocketEffect.CloseSocket()).build();
    }

    /**
     * The real answer with one top-level field of its JSON object set to {@code rawJson}, written verbatim
     * (a {@link RawValue}: never parsed into a number or string and written back), or removed when
     * {@code rawJson} is null. A field the answer lacks is added at the end. An answer that is not a JSON
     * object (a refusal is one, and is rewritten too) passes unchanged.
     */
    static FaultAnswer rewriteField(String name, String rawJson) {
        return (realAnswer, held) -> {
            MockResponse real = realAnswer.get();
            JsonNode json = readJson(real.getBody());
            if (!(json instanceof ObjectNode)) {
                return real;
            }
            ObjectNode object = (ObjectNode) json;
            if (rawJson == null) {
                object.remove(name);
            } else {
                object.putRawValue(name, new RawValue(rawJson));
            }
            return real.newBuilder().body(object.toString()).build();
        };
    }

    /**
     * Holds the request at {@code gate} until the test opens or drops it (or the server closes, which drops
     * it). With {@code processFirst} the request is processed before it is held, so the tokens are issued
     * whatever happens next; otherwise only an open gate lets it be processed.
     */
    static FaultAnswer held(Gate gate, boolean processFirst) {
        return (realAnswer, held) -> {
            MockResponse processed = processFirst ? realAnswer.get() : null;
            boolean open;
            try {
                open = held.await(gate);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // the server is shutting down: nobody is listening
                open = false;
            }
            if (!open) {
                return unanswered();
            }
            return processed != null ? processed : realAnswer.get();
        };
    }

    private static MockResponse unanswered() {
        return new MockResponse.Builder().onResponseStart(new SocketEffect.CloseSocket()).build();
    }

    private static JsonNode readJson(MockResponseBody body) {
        if (body == null) {
            return null;
        }
        try {
            Buffer buffer = new Buffer();
            body.writeTo(buffer);
            return DialectRules.JSON.readTree(buffer.readUtf8());
        } catch (IOException e) {
            throw new UncheckedIOException("the fake's own answer is not JSON", e);
        }
    }
}
