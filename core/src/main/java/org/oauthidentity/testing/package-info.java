/**
 * Helpers for the unit tests of code that uses this library: {@link org.oauthidentity.testing.DummyProvider}, a
 * scripted {@link org.oauthidentity.Provider} without network, and {@link org.oauthidentity.testing.ManualClock},
 * a clock that moves only when told, so that tests never sleep to wait for an expiry.
 *
 * <p>The package's contract:
 * <ul>
 *   <li>For tests only. The library's main code never uses it (a test of core checks that no class outside this
 *       package names it), so a production service that never touches it runs none of it.</li>
 *   <li>No test-framework dependency: plain Java over core's own types, usable with JUnit, TestNG or none.</li>
 *   <li>Stable like the rest of the public API: it ships in the core jar, so a user's tests need no extra artifact
 *       and always match the core they run against.</li>
 *   <li>Each class states its thread safety; both are safe to use from a test thread and the threads it
 *       exercises.</li>
 * </ul>
 * A fake authorization server speaking HTTP (rotation, revocation, failures on demand) is in the separate
 * {@code oauth-identity-testkit} artifact, which brings a mock web server and belongs in test scope.
 */
package org.oauthidentity.testing;
