package org.oauthidentity.authorize;

import java.net.URI;
import java.net.URISyntaxException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import okhttp3.HttpUrl;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityNotFoundException;
import org.oauthidentity.IdentityNotValid;
import org.oauthidentity.IdentityStore;
import org.oauthidentity.IdentityStoreException;
import org.oauthidentity.Provider;
import org.oauthidentity.ProviderConfigurationException;
import org.oauthidentity.RefreshException;
import org.oauthidentity.RefreshException.Details;
import org.oauthidentity.TransientRefreshException;
import org.oauthidentity.VerificationStatus;
import org.oauthidentity.VersionConflictException;
import org.oauthidentity.authorize.AuthorizationException.GrantRevocation;
import org.oauthidentity.authorize.AuthorizationException.Reason;
import org.oauthidentity.oauth2.Endpoints;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Links an account: the client side of the authorization-code grant (RFC 6749 §4.1) with PKCE (RFC 7636),
 * ending in an {@link Identity} in the {@link IdentityStore}: a new one, or the one this owner already linked
 * for the same vendor account, updated.
 *
 * <ol>
 *   <li>{@link #start} makes a {@code state} of 256 random bits and, when the provider supports it, a PKCE
 *       verifier with its S256 challenge; records a {@link PendingAuthorization} (provider, redirect URI,
 *       verifier, digest of the owner, created time) under a key derived from the state's SHA-256, for the
 *       TTL (default 10 minutes); and returns the vendor's authorize URL.</li>
 *   <li>{@link #complete} takes the callback's parameters and the owner (user or session) presenting it;
 *       consumes the pending authorization by its state (single use, atomically in the store: of two
 *       concurrent callbacks with one state, one gets it); checks its age by the injected clock and its
 *       owner in constant time; reports a vendor error from the callback; redeems the code (the provider names
 *       the vendor account, {@link Identity#externalUserId()}); and stores the identity with the owner as its
 *       {@link Identity#ownerId()}.</li>
 * </ol>
 *
 * <p>Linking the same account again: when the store already holds an identity of this provider with the same
 * external user id for the same owner ({@link IdentityStore#findByExternalUser}), that identity is updated
 * with the new tokens, scopes and extras ({@link IdentityStore#save}: same id and incarnation, next version;
 * the previous refresh token kept only if the vendor issued none) and its verification recorded as
 * {@link VerificationStatus#VALID}; otherwise a new identity is created. Two completions for the same account
 * at once end with one identity: the store refuses a second identity of the same account and owner, and the
 * completion that lost the race updates the winner's identity instead. The same account linked by another
 * owner is another identity. A provider that names no account (a plain {@code OAuth2Provider}) creates a new
 * identity every time.
 *
 * <p>Guarantees: a state is accepted at most once, only before its TTL ran out, only from its owner; every
 * failure is an {@link AuthorizationException} with a {@link Reason} (a failing {@link PendingAuthorizationStore}
 * too: {@link Reason#UNAVAILABLE}, the store's exception as the cause) and leaves no identity created or changed
 * (the store writes atomically, after the exchange succeeded). A failed completion still consumes the pending
 * authorization, so a callback can never be replayed; the user starts again. When the code was redeemed and the
 * account lookup ({@link Reason#ACCOUNT_UNKNOWN}) or the store ({@link Reason#NOT_STORED}) then failed, the new
 * grant is revoked at the vendor where the provider can ({@link Provider#revoke}) and
 * {@link AuthorizationException#grantRevocation()} says whether that worked: no grant is left behind
 * unmentioned. (At a vendor where revoking one token ends the whole grant of the application, Google, that also
 * ends an identity of the same account linked before; if a failed store write did land after all, the stored
 * identity's tokens are revoked: either way the next refresh reports it as not valid.)
 *
 * <p>The owner binding is stored in clear as {@link Identity#ownerId()}: pass the host application's user id,
 * not a session id. The pending authorization keeps only its digest.
 *
 * <p>Thread-safe; one instance serves every user. All state lives in the two stores, so with a shared
 * {@link PendingAuthorizationStore} the callback may land on another instance than the one that started the
 * flow. Logs and messages never contain a state, code, verifier, token or owner binding.
 */
public final class AuthorizationFlow {
    private static final Logger log = LoggerFactory.getLogger(AuthorizationFlow.class);
    /** Callback parameters that must appear at most once: a repeated one is parameter injection. */
    private static final Set<String> SINGLE_PARAMETERS = Set.of("state", "code", "error", "error_description");
    /** Lost races a completion resolves by looking again before it gives up (each needs another writer). */
    private static final int MAX_LINK_ATTEMPTS = 10;
    private static final Set<String> CONFIGURATION_ERRORS = Set.of(
            "unauthorized_client", "invalid_client", "unsupported_response_type");

    private final AuthorizationCodeProvider provider;
    private final IdentityStore identities;
    private final PendingAuthorizationStore pending;
    private final Clock clock;
    private final Duration ttl;
    private final Supplier<String> idGenerator;
    private final SecureRandom random;
    private final AtomicReference<Instant> nextPurge = new AtomicReference<>(Instant.MIN);

    private AuthorizationFlow(Builder b) {
        this.provider = Objects.requireNonNull(b.provider, "provider");
        this.identities = Objects.requireNonNull(b.identities, "identityStore");
        this.pending = Objects.requireNonNull(b.pending, "pendingAuthorizations");
        this.clock = b.clock;
        this.ttl = b.ttl;
        this.idGenerator = b.idGenerator;
        this.random = b.random;
    }

    public static Builder builder(AuthorizationCodeProvider provider) {
        return new Builder(provider);
    }

    /**
     * Starts linking an account at this flow's provider.
     *
     * @param redirectUri where the vendor sends the browser back; absolute, no fragment, https unless loopback
     *     (custom schemes of native apps are allowed); must be registered at the vendor
     * @param ownerBinding the host application's user this authorization belongs to (its user id, not a session
     *     secret: it becomes the identity's {@link Identity#ownerId()}); {@link #complete} must name it
     * @param scopes the scopes to ask for; empty for the provider's defaults
     * @return the URL to redirect the browser to, the state it carries, and its expiry
     * @throws AuthorizationException reason {@link Reason#CONFIGURATION} when the provider cannot build an
     *     authorize URL, {@link Reason#UNAVAILABLE} when the pending store failed; nothing was recorded then
     * @throws IllegalArgumentException for a malformed redirect URI or a blank owner
     */
    public AuthorizationRedirect start(String redirectUri, String ownerBinding, List<String> scopes)
            throws AuthorizationException {
        requireRedirectUri(redirectUri);
        AuthorizationRequest.requireText(ownerBinding, "ownerBinding");
        List<String> requested = List.copyOf(scopes);
        Instant now = clock.instant();
        purgeIfDue(now);

        String state = FlowSecrets.randomToken(random);
        String verifier = provider.supportsPkce() ? FlowSecrets.randomToken(random) : null;
        HttpUrl url;
        try {
            url = provider.authorizeUrl(AuthorizationRequest.builder()
                    .redirectUri(redirectUri)
                    .state(state)
                    .scopes(requested)
                    .codeChallenge(verifier == null ? null : FlowSecrets.sha256(verifier))
                    .build());
        } catch (ProviderConfigurationException e) {
            throw new AuthorizationException(Reason.CONFIGURATION, e.getMessage(), null, null, e);
        }
        String stateDigest = FlowSecrets.sha256(state);
        Instant expiresAt = now.plus(ttl);
        PendingAuthorization authorization = PendingAuthorization.builder()
                .stateDigest(stateDigest)
                .providerKey(provider.key())
                .redirectUri(redirectUri)
                .codeVerifier(verifier)
                .ownerDigest(FlowSecrets.sha256(ownerBinding))
                .scopes(requested)
                .createdAt(now)
                .build();
        try {
            pending.put(keyOf(stateDigest), authorization, expiresAt);
        } catch (RuntimeException e) {
            throw pendingStoreFailed("could not record the authorization", e);
        }
        log.debug("started an authorization at {} (expires {}, pkce {})", provider.key(), expiresAt, verifier != null);
        return new AuthorizationRedirect(url, state, expiresAt);
    }

    /**
     * Completes an authorization from the callback URL the vendor redirected the browser to.
     *
     * @see #complete(Map, String)
     */
    public Identity complete(HttpUrl callbackUrl, String ownerBinding) throws AuthorizationException {
        Map<String, String> parameters = new HashMap<>();
        for (String name : callbackUrl.queryParameterNames()) {
            List<String> values = callbackUrl.queryParameterValues(name);
            if (values.size() > 1 && SINGLE_PARAMETERS.contains(name)) {
                throw new AuthorizationException(Reason.MALFORMED_CALLBACK,
                        "the callback repeats the parameter '" + name + "'", null, null, null);
            }
            parameters.put(name, values.get(0));
        }
        return complete(parameters, ownerBinding);
    }

    /**
     * Completes an authorization: checks the callback, redeems its code and stores the identity, new or (for an
     * account this owner linked before) updated.
     *
     * @param callback the callback's query parameters ({@code state}, and {@code code} or {@code error} with
     *     {@code error_description})
     * @param ownerBinding the user presenting the callback; must be the one that started it
     * @return the stored identity, with the vendor's expiry, refresh token and extras, its external user id and
     *     the owner: version 1 when new, the next version of the existing identity when the account was linked
     * @throws AuthorizationException for every refusal, including a store failure after the exchange
     *     ({@link Reason#NOT_STORED}); no identity was created or changed and the state is spent
     */
    public Identity complete(Map<String, String> callback, String ownerBinding) throws AuthorizationException {
        AuthorizationRequest.requireText(ownerBinding, "ownerBinding");
        Instant now = clock.instant();
        String state = callback.get("state");
        if (state == null || state.isEmpty()) {
            throw failure(Reason.INVALID_STATE, "the callback carries no state");
        }
        PendingAuthorization authorization = consume(state, now);
        if (!FlowSecrets.sameDigest(authorization.ownerDigest(), FlowSecrets.sha256(ownerBinding))) {
            throw failure(Reason.OWNER_MISMATCH, "the authorization was started by another user or session");
        }
        String error = callback.get("error");
        if (error != null && !error.isEmpty()) {
            throw callbackError(error, callback.get("error_description"), state, callback.get("code"));
        }
        String code = callback.get("code");
        if (code == null || code.isEmpty()) {
            throw failure(Reason.MALFORMED_CALLBACK, "the callback carries neither a code nor an error");
        }

        CodeExchange exchange = CodeExchange.builder()
                .code(code)
                .redirectUri(authorization.redirectUri())
                .codeVerifier(authorization.codeVerifier().orElse(null))
                .scopes(authorization.scopes())
                .identityId(idGenerator.get())
                .build();
        Identity exchanged;
        try {
            exchanged = provider.exchangeCode(exchange);
        } catch (AccountLookupException e) {
            throw accountUnknown(e);
        } catch (RefreshException e) {
            throw fromTokenEndpoint(e);
        }
        if (!exchanged.id().equals(exchange.identityId()) || exchanged.version() != 0
                || !exchanged.providerKey().equals(provider.key())) {
            throw new IllegalStateException("provider " + provider.key()
                    + " returned an identity with another id, version or provider key than it was asked for");
        }
        Identity linked = exchanged.toBuilder().ownerId(ownerBinding).build();
        Identity stored;
        try {
            stored = link(linked);
        } catch (RuntimeException e) {
            throw notStored(linked, e);
        }
        if (stored.version() > 1) {
            recordValid(stored);
        }
        log.info("linked identity {} at {} (version {})", stored.id(), provider.key(), stored.version());
        return stored;
    }

    /**
     * Creates the identity, or updates the one this owner already has for the same account. A lost race (another
     * completion created the account's identity, or a refresh or another completion saved it, or it was deleted)
     * is resolved by looking again, a bounded number of times.
     */
    private Identity link(Identity linked) {
        for (int attempt = 1; ; attempt++) {
            Optional<Identity> existing = findLinked(linked);
            try {
                return existing.isEmpty() ? identities.create(linked) : identities.save(relinked(existing.get(), linked));
            } catch (IdentityStoreException e) {
                boolean raced = existing.isEmpty()
                        ? findLinked(linked).isPresent()
                        : e instanceof VersionConflictException || e instanceof IdentityNotFoundException;
                if (!raced || attempt >= MAX_LINK_ATTEMPTS) {
                    throw e;
                }
                log.debug("linking {} at {} raced another write (attempt {}); looking again", linked.id(),
                        provider.key(), attempt);
            }
        }
    }

    private Optional<Identity> findLinked(Identity linked) {
        return linked.externalUserId().flatMap(account -> identities.findByExternalUser(
                linked.providerKey(), account, linked.ownerId().orElseThrow()));
    }

    /** The existing identity with the new grant: its id, incarnation and version; everything else new. */
    private static Identity relinked(Identity existing, Identity linked) {
        return linked.toBuilder()
                .id(existing.id())
                .incarnation(existing.incarnation())
                .version(existing.version())
                // A vendor may issue no refresh token to a second consent; the earlier one then still works.
                .refreshToken(linked.refreshToken().or(existing::refreshToken).orElse(null))
                .lastVerifiedAt(existing.lastVerifiedAt().orElse(null))
                .status(existing.status())
                .build();
    }

    /** The exchange just proved the account usable; a failure here costs nothing but the bookkeeping. */
    private void recordValid(Identity stored) {
        try {
            identities.recordVerification(stored.id(), VerificationStatus.VALID, clock.instant());
        } catch (RuntimeException e) {
            log.warn("identity {} was linked again, but its verification could not be recorded", stored.id(), e);
        }
    }

    private AuthorizationException accountUnknown(AccountLookupException e) {
        GrantRevocation revocation = e.issued().map(this::revokeNewGrant).orElse(GrantRevocation.REVOCATION_FAILED);
        return new AuthorizationException(Reason.ACCOUNT_UNKNOWN, "the code was redeemed, but " + provider.key()
                + " could not tell which account it belongs to: " + e.getMessage() + "; " + describe(revocation),
                null, null, e, revocation);
    }

    private AuthorizationException notStored(Identity issued, RuntimeException e) {
        GrantRevocation revocation = revokeNewGrant(issued);
        return new AuthorizationException(Reason.NOT_STORED, "the code was redeemed, but the identity store failed ("
                + e.getClass().getSimpleName() + "); " + describe(revocation), null, null, e, revocation);
    }

    /** Revokes a grant that will not be stored, so that it does not stay active at the vendor unknown to anyone. */
    private GrantRevocation revokeNewGrant(Identity issued) {
        try {
            provider.revoke(issued);
            return GrantRevocation.REVOKED;
        } catch (UnsupportedOperationException e) {
            return GrantRevocation.NOT_REVOCABLE;
        } catch (RefreshException | RuntimeException e) {
            log.warn("could not revoke the new grant of {} at {}: {}", issued.id(), provider.key(), e.getMessage());
            return GrantRevocation.REVOCATION_FAILED;
        }
    }

    private String describe(GrantRevocation revocation) {
        switch (revocation) {
            case REVOKED:
                return "the new grant was revoked at the vendor";
            case NOT_REVOCABLE:
                return provider.key() + " cannot revoke grants: the new grant stays active at the vendor until it"
                        + " expires or the user removes the application's access";
            default:
                return "revoking the new grant at the vendor failed too: it stays active until it expires or the user"
                        + " removes the application's access";
        }
    }

    /** Finds, checks and spends the pending authorization of {@code state}. */
    private PendingAuthorization consume(String state, Instant now) throws AuthorizationException {
        String stateDigest = FlowSecrets.sha256(state);
        Optional<PendingAuthorization> found;
        try {
            found = pending.consume(keyOf(stateDigest), now);
        } catch (RuntimeException e) {
            throw pendingStoreFailed("could not look the state up", e);
        }
        if (found.isEmpty()) {
            throw failure(Reason.INVALID_STATE, "unknown, expired or already used state");
        }
        PendingAuthorization authorization = found.get();
        // A store that matches keys loosely (a case-insensitive collation) must not hand over another record.
        if (!FlowSecrets.sameDigest(authorization.stateDigest(), stateDigest)
                || !authorization.providerKey().equals(provider.key())) {
            throw failure(Reason.INVALID_STATE, "unknown, expired or already used state");
        }
        // The store enforces the expiry it was given; this enforces the flow's TTL whatever the store did.
        if (!now.isBefore(authorization.createdAt().plus(ttl))) {
            throw failure(Reason.INVALID_STATE, "unknown, expired or already used state");
        }
        return authorization;
    }

    /** Scoped by provider, so a callback for another provider's flow never spends that flow's record. */
    private String keyOf(String stateDigest) {
        return provider.key() + ':' + stateDigest;
    }

    private AuthorizationException callbackError(String error, String description, String state, String code) {
        // The callback is untrusted text: sanitise it as vendor text, and keep the state and code out.
        List<String> secrets = Arrays.asList(state, code); // code may be null
        Details details = Details.http(0, Details.withoutSecrets(error, secrets),
                Details.withoutSecrets(description, secrets));
        String vendorError = details.error().orElse("?");
        String vendorDescription = details.errorDescription().orElse(null);
        Reason reason = "access_denied".equals(error) ? Reason.ACCESS_DENIED
                : CONFIGURATION_ERRORS.contains(error) ? Reason.CONFIGURATION : Reason.VENDOR_ERROR;
        log.debug("authorization at {} ended with {} in the callback", provider.key(), vendorError);
        return new AuthorizationException(reason, "the vendor answered " + vendorError
                + (vendorDescription == null ? "" : ": " + vendorDescription), vendorError, vendorDescription, null);
    }

    private AuthorizationException fromTokenEndpoint(RefreshException e) {
        Reason reason;
        String meaning;
        if (e instanceof ProviderConfigurationException) {
            reason = Reason.CONFIGURATION;
            meaning = "the token endpoint rejected this application's client credentials";
        } else if (e instanceof TransientRefreshException) {
            reason = Reason.UNAVAILABLE;
            meaning = "the token endpoint is unavailable; the user has to start again";
        } else if (e instanceof IdentityNotValid && e.error().isEmpty() && e.httpStatus() == 401) {
            // No identity is involved yet: a bare 401 from the token endpoint can only be about the client.
            reason = Reason.CONFIGURATION;
            meaning = "the token endpoint rejected this application's client credentials";
        } else if (e instanceof IdentityNotValid || e.error().filter("invalid_grant"::equals).isPresent()) {
            reason = Reason.CODE_REJECTED;
            meaning = "the vendor refused the authorization code (expired, already used, or issued for another "
                    + "redirect URI or verifier)";
        } else {
            reason = Reason.EXCHANGE_REJECTED;
            meaning = "the token endpoint refused the code exchange";
        }
        log.debug("code exchange at {} failed: {}", provider.key(), reason);
        return new AuthorizationException(reason, meaning + ": " + e.getMessage(), e.error().orElse(null),
                e.errorDescription().orElse(null), e);
    }

    /** The pending store's messages name providers at most; its class is all the message needs. */
    private AuthorizationException pendingStoreFailed(String what, RuntimeException e) {
        log.debug("the pending-authorization store failed for {}: {}", provider.key(), e.getClass().getSimpleName());
        return new AuthorizationException(Reason.UNAVAILABLE, "the pending-authorization store failed ("
                + e.getClass().getSimpleName() + ") and " + what + "; the user has to start again", null, null, e);
    }

    private AuthorizationException failure(Reason reason, String message) {
        log.debug("authorization at {} refused: {}", provider.key(), reason);
        return new AuthorizationException(reason, message, null, null, null);
    }

    private void purgeIfDue(Instant now) {
        Instant due = nextPurge.get();
        // One caller per TTL does it, so the cost stays off nearly every request.
        if (!now.isBefore(due) && nextPurge.compareAndSet(due, now.plus(ttl))) {
            try {
                int purged = pending.purgeExpired(now);
                if (purged > 0) {
                    log.debug("purged {} expired pending authorizations", purged);
                }
            } catch (RuntimeException e) {
                log.warn("purging expired pending authorizations failed; retrying after the next TTL", e);
            }
        }
    }

    private static void requireRedirectUri(String redirectUri) {
        URI uri;
        try {
            uri = new URI(AuthorizationRequest.requireText(redirectUri, "redirectUri"));
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("redirect URI is not a URI: " + e.getReason());
        }
        if (!uri.isAbsolute() || uri.getRawFragment() != null) {
            throw new IllegalArgumentException(
                    "redirect URI must be absolute and without a fragment (RFC 6749 §3.1.2)");
        }
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        if (scheme.equals("http") || scheme.equals("https")) {
            // The code travels to it: the same rule as for every endpoint that receives a secret.
            Endpoints.requireSecure(redirectUri, "redirect URI");
        }
    }

    @Override
    public String toString() {
        return "AuthorizationFlow{provider=" + provider.key() + ", ttl=" + ttl + '}';
    }

    /** Not thread-safe; build on one thread. */
    public static final class Builder {
        private final AuthorizationCodeProvider provider;
        private IdentityStore identities;
        private PendingAuthorizationStore pending;
        private Clock clock = Clock.systemUTC();
        private Duration ttl = Duration.ofMinutes(10);
        private Supplier<String> idGenerator = () -> UUID.randomUUID().toString();
        private SecureRandom random = new SecureRandom();

        private Builder(AuthorizationCodeProvider provider) {
            this.provider = Objects.requireNonNull(provider, "provider");
        }

        /** Where completed authorizations are stored. Required. */
        public Builder identityStore(IdentityStore identities) {
            this.identities = Objects.requireNonNull(identities, "identityStore");
            return this;
        }

        /**
         * Where started authorizations wait for their callback. Required: an
         * {@link InMemoryPendingAuthorizationStore} for one instance, a shared store for more.
         */
        public Builder pendingAuthorizations(PendingAuthorizationStore pending) {
            this.pending = Objects.requireNonNull(pending, "pendingAuthorizations");
            return this;
        }

        /** The clock for creation times and the TTL. Default the system clock (UTC). */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** How long a started authorization waits for its callback. Default 10 minutes. */
        public Builder ttl(Duration ttl) {
            if (ttl.isNegative() || ttl.isZero()) {
                throw new IllegalArgumentException("ttl must be positive");
            }
            this.ttl = ttl;
            return this;
        }

        /** Makes the id of each new identity. Default a random UUID. */
        public Builder idGenerator(Supplier<String> idGenerator) {
            this.idGenerator = Objects.requireNonNull(idGenerator, "idGenerator");
            return this;
        }

        /** The source of states and PKCE verifiers. Default a new {@link SecureRandom}. */
        public Builder random(SecureRandom random) {
            this.random = Objects.requireNonNull(random, "random");
            return this;
        }

        /** @throws NullPointerException naming the missing store */
        public AuthorizationFlow build() {
            return new AuthorizationFlow(this);
        }
    }
}
