package org.oauthidentity.sweep;

import java.util.ArrayList;
import java.util.List;
import org.oauthidentity.IdentityStore;
import org.oauthidentity.VerificationStatus;

/** Reads back the recorded statuses of identities numbered {@code prefix + 0 .. prefix + (n - 1)}. */
final class StoredStatuses {
    private StoredStatuses() {
    }

    static List<VerificationStatus> of(IdentityStore store, String prefix, int n) {
        List<VerificationStatus> statuses = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            statuses.add(store.find(prefix + i).orElseThrow().status());
        }
        return statuses;
    }
}
