package org.oauthidentity.testkit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.oauthidentity.testkit.ClientRegistry.Client;
import org.oauthidentity.testkit.Refusal.Kind;

/**
 * Everything the fake server remembers: users, grants, access tokens, refresh tokens and authorization
 * codes, and the rules that decide whether one may be used.
 *
 * <p>Thread-safety: every method is {@code synchronized} on this object, and each one reads the clock,
 * checks and changes state inside that one critical section. So two clients racing with the same refresh
 * token under rotation see exactly what a real server's database transaction would give them: one gets
 * new tokens, the other {@code invalid_grant} (counted as a reused refresh token). Nothing here does I/O,
 * so holding the lock is cheap.
 *
 * <p>Tokens are looked up by value in hash maps (a real server would look up a hash of the token); secrets
 * a client presents for comparison (client secrets, PKCE verifiers, code bindings) go through the
 * registry's constant-time comparison.
 */
final class AuthorizationState {
    /** RFC 6749 §4.1.2 recommends at most ten minutes. */
    static final Duration CODE_LIFETIME = Duration.ofMinutes(10);

    private final Clock clock;
    private final ClientRegistry clients;
    private final Counters counters;

    private final Map<String, User> users = new HashMap<>();
    private final Map<String, AccessToken> accessTokens = new HashMap<>();
    private final Map<String, RefreshToken> refreshTokens = new HashMap<>();
    private final Map<String, Code> codes = new HashMap<>();
    private boolean rotateRefreshTokens;
    private Duration accessTokenLifetime;
    private Duration refreshTokenLifetime;
    private String signedInUser;

    AuthorizationState(Clock clock, ClientRegistry clients, Counters counters, boolean rotateRefreshTokens,
                       Duration accessTokenLifetime, Duration refreshTokenLifetime) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.clients = clients;
        this.counters = counters;
        this.rotateRefreshTokens = rotateRefreshTokens;
        this.accessTokenLifetime = accessTokenLifetime;
        this.refreshTokenLifetime = refreshTokenLifetime;
    }

    // ---- settings ------------------------------------------------------------------------------------------

    synchronized void rotateRefreshTokens(boolean rotate) {
        this.rotateRefreshTokens = rotate;
    }

    synchronized boolean rotatesRefreshTokens() {
        return rotateRefreshTokens;
    }

    synchronized void accessTokenLifetime(Duration lifetime) {
        this.accessTokenLifetime = lifetime;
    }

    synchronized Duration accessTokenLifetime() {
        return accessTokenLifetime;
    }

    // ---- users ---------------------------------------------------------------------------------------------

    synchronized void signIn(String userId) {
        user(userId);
        signedInUser = userId;
    }

    synchronized String signedInUser() {
        return signedInUser;
    }

    synchronized void denyConsent(String userId, boolean denies) {
        user(userId).deniesConsent = denies;
    }


    /** The user withdrew this application's access: every grant, and every token in it, is dead. */
    synchronized void revokeUser(String userId) {
        for (Grant grant : user(userId).grants) {
            grant.revoked = true;
        }
    }

    /** The vendor suspended the account: nothing of it works until {@link #reinstateUser}. */
    synchronized void suspendUser(String userId) {
        user(userId).suspended = true;
    }

    synchronized void reinstateUser(String userId) {
        user(userId).suspended = false;
    }

    /** The user's access tokens stop working now, as if their lifetime had run out. */
    synchronized void expireAccessTokens(String userId) {
        Instant now = clock.instant();
        for (Grant grant : user(userId).grants) {
            for (AccessToken token : grant.accessTokens) {
                if (token.expiresAt.isAfter(now)) {
                    token.expiresAt = now;
                }
            }
        }
    }

    /** The user's refresh tokens stop working now, as after the vendor's inactivity limit. */
    synchronized void expireRefreshTokens(String userId) {
        Instant now = clock.instant();
        for (Grant grant : user(userId).grants) {
            for (RefreshToken token : grant.refreshTokens) {
                if (token.expiresAt == null || token.expiresAt.isAfter(now)) {
                    token.expiresAt = now;
                }
            }
        }
    }

    // ---- grants --------------------------------------------------------------------------------------------

    /** Issues tokens as if the user had just completed the authorization flow with {@code client}. */
    synchronized Issued issue(Client client, String userId, Set<String> scopes) {
        User user = user(userId);
        if (user.suspended) {
            throw new IllegalStateException("user " + userId + " is suspended");
        }
        Grant grant = newGrant(user, client, scopes);
        return issueTokens(grant, scopes, clock.instant(), true);
    }

    /**
     * The user approves {@code client}'s request: a single-use code bound to the client, the redirect URI
     * and the PKCE challenge (S256; null for none), valid for ten minutes.
     */
    synchronized String approve(Client client, String userId, String redirectUri, String codeChallenge,
                                Set<String> scopes) {
        User user = user(userId);
        if (user.suspended) {
            throw new IllegalStateException("user " + userId + " is suspended");
        }
        if (!clients.isRegisteredRedirect(redirectUri)) {
            throw new IllegalArgumentException("redirect URI is not registered: " + redirectUri);
        }
        String value = Secrets.newToken("code-");
        codes.put(value, new Code(value, userId, client.id(), redirectUri, codeChallenge,
                Collections.unmodifiableSet(new LinkedHashSet<>(scopes)), clock.instant().plus(CODE_LIFETIME)));
        return value;
    }

    /**
     * The authorization page's decision, in one step: a code as {@link #approve} issues it, or null when the
     * user denies consent or is suspended.
     */
    synchronized String approveIfConsenting(Client client, String userId, String redirectUri, String codeChallenge,
                                            Set<String> scopes) {
        User user = user(userId);
        if (user.deniesConsent || user.suspended) {
            return null;
        }
        return approve(client, userId, redirectUri, codeChallenge, scopes);
    }

    /**
     * The authorization-code grant (RFC 6749 §4.1.3, RFC 7636 §4.6). A code that is presented a second time
     * is refused and the tokens issued from it are revoked (RFC 6749 §4.1.2).
     */
    synchronized Issued exchangeCode(Client client, String codeValue, String redirectUri, String codeVerifier)
            throws Refusal {
        Instant now = clock.instant();
        Code code = codes.get(codeValue);
        if (code == null) {
            throw Refusal.code(Kind.GRANT_UNKNOWN);
        }
        if (code.usedAt != null) {
            counters.codeReused();
            if (code.grant != null) {
                code.grant.revoked = true;
            }
            throw Refusal.code(Kind.GRANT_REUSED);
        }
        if (!clients.equal(code.clientId, client.id())) {
            throw Refusal.code(Kind.CLIENT_MISMATCH);
        }
        if (!clients.equal(code.redirectUri, redirectUri)) {
            throw Refusal.code(Kind.REDIRECT_MISMATCH);
        }
        if (!now.isBefore(code.expiresAt)) {
            throw Refusal.code(Kind.GRANT_EXPIRED);
        }
        if (code.challenge != null) {
            if (codeVerifier == null || codeVerifier.isEmpty()) {
                throw Refusal.code(Kind.PKCE_MISSING);
            }
            if (!clients.equal(code.challenge, Secrets.s256(codeVerifier))) {
                throw Refusal.code(Kind.PKCE_MISMATCH);
            }
        } else if (codeVerifier != null) {
            throw Refusal.code(Kind.PKCE_UNEXPECTED);
        }
        User user = user(code.userId);
        if (user.suspended) {
            throw Refusal.code(Kind.USER_SUSPENDED);
        }
        code.usedAt = now;
        code.grant = newGrant(user, client, code.scopes);
        return issueTokens(code.grant, code.scopes, now, true);
    }

    /**
     * The refresh-token grant (RFC 6749 §6). With rotation on, the presented refresh token dies and a new
     * one is issued; presenting it again is refused and counted as a reuse.
     *
     * @param requestedScopes empty for "as granted"; otherwise must be within the grant
     * @param revokeOldAccessTokens GitLab: rotation also revokes the access tokens issued before
     */
    synchronized Issued refresh(Client client, String refreshTokenValue, Set<String> requestedScopes,
                                boolean revokeOldAccessTokens) throws Refusal {
        Instant now = clock.instant();
        RefreshToken token = refreshTokens.get(refreshTokenValue);
        if (token == null) {
            throw Refusal.refresh(Kind.GRANT_UNKNOWN);
        }
        Grant grant = token.grant;
        if (!clients.equal(grant.clientId, client.id())) {
            throw Refusal.refresh(Kind.CLIENT_MISMATCH);
        }
        if (token.rotatedAt != null) {
            counters.refreshTokenReused();
            throw Refusal.refresh(Kind.GRANT_REUSED);
        }
        if (grant.revoked) {
            throw Refusal.refresh(Kind.GRANT_REVOKED);
        }
        if (grant.user.suspended) {
            throw Refusal.refresh(Kind.USER_SUSPENDED);
        }
        if (token.expiresAt != null && !now.isBefore(token.expiresAt)) {
            throw Refusal.refresh(Kind.GRANT_EXPIRED);
        }
        if (!grant.scopes.containsAll(requestedScopes)) {
            throw Refusal.refresh(Kind.INVALID_SCOPE);
        }
        Set<String> scopes = requestedScopes.isEmpty() ? grant.scopes : requestedScopes;
        boolean rotate = rotateRefreshTokens;
        if (rotate) {
            token.rotatedAt = now;
            if (revokeOldAccessTokens) {
                grant.accessTokens.forEach(old -> old.revoked = true);
            }
        }
        return issueTokens(grant, scopes, now, rotate);
    }

    /** Whether a refresh with {@code refreshTokenValue} would be granted now; changes and counts nothing. */
    synchronized boolean refreshTokenUsable(String refreshTokenValue) {
        RefreshToken token = refreshTokenValue == null ? null : refreshTokens.get(refreshTokenValue);
        return token != null && token.rotatedAt == null && !token.grant.revoked && !token.grant.user.suspended
                && (token.expiresAt == null || clock.instant().isBefore(token.expiresAt));
    }

    /** What the protected API decides for a bearer token. */
    synchronized Access checkAccess(String accessTokenValue) {
        AccessToken token = accessTokenValue == null ? null : accessTokens.get(accessTokenValue);
        if (token == null) {
            return new Access(Access.Verdict.UNKNOWN, null, null, Set.of());
        }
        Access.Verdict verdict;
        if (token.revoked || token.grant.revoked) {
            verdict = Access.Verdict.REVOKED;
        } else if (token.grant.user.suspended) {
            verdict = Access.Verdict.SUSPENDED;
        } else if (!clock.instant().isBefore(token.expiresAt)) {
            verdict = Access.Verdict.EXPIRED;
        } else {
            verdict = Access.Verdict.OK;
        }
        return new Access(verdict, token.grant.user.id, token.grant.clientId, token.scopes);
    }

    /**
     * Token revocation (RFC 7009). A refresh token takes its whole grant with it; an access token takes the
     * grant too when {@code accessTokenRevokesGrant} (Google, GitLab), else only itself.
     *
     * @param client the authenticated client, or null when the vendor does not authenticate revocation
     * @return false when the token is unknown, or belongs to another client
     */
    synchronized boolean revoke(String tokenValue, Client client, boolean accessTokenRevokesGrant) {
        RefreshToken refresh = refreshTokens.get(tokenValue);
        AccessToken access = refresh == null ? accessTokens.get(tokenValue) : null;
        Grant grant = refresh != null ? refresh.grant : access != null ? access.grant : null;
        if (grant == null || (client != null && !clients.equal(grant.clientId, client.id()))) {
            return false;
        }
        if (refresh != null || accessTokenRevokesGrant) {
            grant.revoked = true;
        } else {
            access.revoked = true;
        }
        return true;
    }

    // ---- internals -----------------------------------------------------------------------------------------

    private User user(String userId) {
        if (userId == null || userId.isBlank()) {
            throw new IllegalArgumentException("userId is required");
        }
        return users.computeIfAbsent(userId, User::new);
    }

    private Grant newGrant(User user, Client client, Set<String> scopes) {
        Grant grant = new Grant(user, client.id(), scopes);
        user.grants.add(grant);
        return grant;
    }

    private Issued issueTokens(Grant grant, Set<String> scopes, Instant now, boolean newRefreshToken) {
        AccessToken access = new AccessToken(Secrets.newToken("at-"), grant, now.plus(accessTokenLifetime), scopes);
        accessTokens.put(access.value, access);
        grant.accessTokens.add(access);
        String refreshValue = null;
        if (newRefreshToken) {
            RefreshToken refresh = new RefreshToken(Secrets.newToken("rt-"), grant,
                    refreshTokenLifetime == null ? null : now.plus(refreshTokenLifetime));
            refreshTokens.put(refresh.value, refresh);
            grant.refreshTokens.add(refresh);
            refreshValue = refresh.value;
        }
        return new Issued(grant.user.id, grant.clientId, access.value, now, access.expiresAt, refreshValue,
                scopes, grant.scopes);
    }

    // ---- state records (mutable, guarded by the enclosing state's monitor) ----------------------------------

    private static final class User {
        final String id;
        final List<Grant> grants = new ArrayList<>();
        boolean suspended;
        boolean deniesConsent;

        User(String id) {
            this.id = id;
        }
    }

    /** One authorization of one client by one user; rotation issues new tokens in the same grant. */
    private static final class Grant {
        final User user;
        final String clientId;
        final Set<String> scopes;
        final List<AccessToken> accessTokens = new ArrayList<>();
        final List<RefreshToken> refreshTokens = new ArrayList<>();
        boolean revoked;

        Grant(User user, String clientId, Set<String> scopes) {
            this.user = user;
            this.clientId = clientId;
            this.scopes = Collections.unmodifiableSet(new LinkedHashSet<>(scopes));
        }
    }

    private static final class AccessToken {
        final String value;
        final Grant grant;
        final Set<String> scopes;
        Instant expiresAt;
        boolean revoked;

        AccessToken(String value, Grant grant, Instant expiresAt, Set<String> scopes) {
            this.value = value;
            this.grant = grant;
            this.expiresAt = expiresAt;
            this.scopes = Collections.unmodifiableSet(new LinkedHashSet<>(scopes));
        }
    }

    private static final class RefreshToken {
        final String value;
        final Grant grant;
        Instant expiresAt;
        Instant rotatedAt;

        RefreshToken(String value, Grant grant, Instant expiresAt) {
            this.value = value;
            this.grant = grant;
            this.expiresAt = expiresAt;
        }
    }

    private static final class Code {
        final String value;
        final String userId;
        final String clientId;
        final String redirectUri;
        final String challenge;
        final Set<String> scopes;
        final Instant expiresAt;
        Instant usedAt;
        Grant grant;

        Code(String value, String userId, String clientId, String redirectUri, String challenge,
             Set<String> scopes, Instant expiresAt) {
            this.value = value;
            this.userId = userId;
            this.clientId = clientId;
            this.redirectUri = redirectUri;
            this.challenge = challenge;
            this.scopes = scopes;
            this.expiresAt = expiresAt;
        }
    }

    // ---- results (immutable) --------------------------------------------------------------------------------

    /** Tokens just issued. {@link #toString()} prints no token. */
    static final class Issued {
        final String userId;
        final String clientId;
        final String accessToken;
        final Instant issuedAt;
        final Instant expiresAt;
        /** Null when no new refresh token was issued (no rotation). */
        final String refreshToken;
        final Set<String> scopes;
        final Set<String> grantedScopes;

        Issued(String userId, String clientId, String accessToken, Instant issuedAt, Instant expiresAt,
               String refreshToken, Set<String> scopes, Set<String> grantedScopes) {
            this.userId = userId;
            this.clientId = clientId;
            this.accessToken = accessToken;
            this.issuedAt = issuedAt;
            this.expiresAt = expiresAt;
            this.refreshToken = refreshToken;
            this.scopes = Collections.unmodifiableSet(new LinkedHashSet<>(scopes));
            this.grantedScopes = grantedScopes;
        }

        Duration lifetime() {
            return Duration.between(issuedAt, expiresAt);
        }

        @Override
        public String toString() {
            return "Issued{user=" + userId + ", client=" + clientId + ", expiresAt=" + expiresAt
                    + ", refreshToken=" + (refreshToken == null ? "<none>" : "<redacted>") + '}';
        }
    }

    /** The protected API's view of a bearer token. */
    record Access(Verdict verdict, String userId, String clientId, Set<String> scopes) {
        enum Verdict { OK, UNKNOWN, EXPIRED, REVOKED, SUSPENDED }
    }
}
