package org.oauthidentity.testkit;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The OAuth clients (applications) registered at the fake server and the redirect URIs they may use.
 * Immutable after construction apart from a comparison counter, so it is safe to share between threads.
 *
 * <p>Every check against a client id or secret goes through {@link #equal}, which compares in constant
 * time and counts, so a test can prove the server never short-circuits on a secret.
 */
final class ClientRegistry {
    /** A registered application. {@link #toString()} never prints the secret. */
    record Client(String id, String secret) {
        Client {
            Objects.requireNonNull(id, "clientId");
            Objects.requireNonNull(secret, "clientSecret");
        }

        @Override
        public String toString() {
            return "Client{id=" + id + ", secret=<redacted>}";
        }
    }

    /** Compared against when the presented id matches no client, so unknown and known ids cost the same. */
    private static final String NO_SECRET = "\u0000no-such-client-secret\u0000";

    private final List<Client> clients;
    private final List<String> redirectUris;
    private final AtomicLong comparisons = new AtomicLong();

    ClientRegistry(List<Client> clients, List<String> redirectUris) {
        if (clients.isEmpty()) {
            throw new IllegalArgumentException("at least one client is required");
        }
        this.clients = List.copyOf(clients);
        this.redirectUris = List.copyOf(redirectUris);
    }

    Client defaultClient() {
        return clients.get(0);
    }

    List<String> redirectUris() {
        return redirectUris;
    }

    /**
     * Client authentication by id and secret (RFC 6749 §2.3.1). Looks at every client and compares the
     * secret even when no id matched, so timing tells nothing about which part was wrong.
     *
     * @throws Refusal {@code UNKNOWN_CLIENT} or {@code INVALID_CLIENT}
     */
    Client authenticate(String clientId, String clientSecret) throws Refusal {
        Client match = byIdOrNull(clientId);
        boolean secretMatches = equal(match == null ? NO_SECRET : match.secret(), clientSecret);
        if (match == null) {
            throw new Refusal(Refusal.Kind.UNKNOWN_CLIENT, Refusal.Grant.NONE, clientId);
        }
        if (!secretMatches) {
            throw new Refusal(Refusal.Kind.INVALID_CLIENT, Refusal.Grant.NONE, match.id());
        }
        return match;
    }

    /**
     * Azure DevOps' legacy client authentication: the client assertion is the application's secret and
     * no client id is sent. Compares against every client's secret.
     *
     * @throws Refusal {@code INVALID_CLIENT}
     */
    Client authenticateByAssertion(String assertion) throws Refusal {
        Client match = null;
        for (Client client : clients) {
            if (equal(client.secret(), assertion) && match == null) {
                match = client;
            }
        }
        if (match == null) {
            throw Refusal.of(Refusal.Kind.INVALID_CLIENT);
        }
        return match;
    }

    /** The client with this id, or null; compares every id in constant time. */
    Client byIdOrNull(String clientId) {
        Client match = null;
        for (Client client : clients) {
            // No early exit: the loop costs the same wherever (or whether) the id matches.
            if (equal(client.id(), clientId) && match == null) {
                match = client;
            }
        }
        return match;
    }

    boolean isRegisteredRedirect(String redirectUri) {
        return redirectUri != null && redirectUris.contains(redirectUri);
    }

    /** The one comparison used for client ids, secrets and code bindings; counted for tests. */
    boolean equal(String expected, String presented) {
        comparisons.incrementAndGet();
        return Secrets.constantTimeEquals(expected, presented);
    }

    /** How many constant-time comparisons this registry has made. */
    long comparisons() {
        return comparisons.get();
    }
}
