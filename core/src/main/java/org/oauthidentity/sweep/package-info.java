/**
 * The validation sweep: the periodic re-check of every stored identity, so
 * a service learns of revoked, suspended or deleted accounts without waiting for a user to hit an error.
 * Entry point: {@link org.oauthidentity.sweep.ValidationSweep}; the host implements
 * {@link org.oauthidentity.sweep.SweepListener}.
 */
package org.oauthidentity.sweep;
