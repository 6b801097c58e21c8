/**
 * {@link org.oauthidentity.http.RefreshingHttpClient}: an OkHttp {@code Call.Factory} that sends one
 * identity's bearer token to the API origins it was built for, refreshes the token before it expires and
 * after a 401, and retries that call once. Everything else in this package is package-private.
 */
package org.oauthidentity.http;
