package org.oauthidentity.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.oauthidentity.Identity;
import org.oauthidentity.IdentityStoreException;

/** Accounts in the in-memory store: one identity per provider key, external user id and owner. */
class InMemoryAccountIndexTest {
    private final InMemoryIdentityStore store = new InMemoryIdentityStore();

    @Test
    void findsAnIdentityByAccountAndOwnerAndListsAnOwnersIdentities() {
        Identity a = store.create(identity("id-a", "acct-1", "alice"));
        Identity b = store.create(identity("id-b", "acct-2", "alice"));
        Identity c = store.create(identity("id-c", "acct-1", "bob"));
        store.create(identity("id-d", "acct-1", null));

        assertThat(store.findByExternalUser("gitlab", "acct-1", "alice")).contains(a);
        assertThat(store.findByExternalUser("gitlab", "acct-1", "bob")).contains(c);
        assertThat(store.findByExternalUser("google", "acct-1", "alice")).isEmpty();
        assertThat(store.listByOwner("alice")).containsExactly(a, b);
        assertThat(store.listByOwner("carol")).isEmpty();
    }

    @Test
    void aSecondIdentityOfTheSameAccountAndOwnerIsRefusedOthersAreNot() {
        store.create(identity("id-a", "acct-1", "alice"));

        assertThatThrownBy(() -> store.create(identity("id-b", "acct-1", "alice")))
                .isInstanceOf(IdentityStoreException.class).hasMessageContaining("id-a");
        store.create(identity("id-c", null, "alice"));
        store.create(identity("id-d", null, "alice"));
        store.create(identity("id-e", "acct-1", null));
        store.create(identity("id-f", "acct-1", null));
        assertThat(store.find("id-b")).isEmpty();
    }

    @Test
    void saveMovesTheIndexAndDeleteFreesTheAccount() {
        Identity a = store.create(identity("id-a", "acct-1", "alice"));
        Identity b = store.create(identity("id-b", "acct-2", "alice"));

        assertThatThrownBy(() -> store.save(b.toBuilder().externalUserId("acct-1").build()))
                .isInstanceOf(IdentityStoreException.class);
        Identity moved = store.save(a.toBuilder().externalUserId("acct-3").build());
        assertThat(store.findByExternalUser("gitlab", "acct-1", "alice")).isEmpty();
        assertThat(store.findByExternalUser("gitlab", "acct-3", "alice")).contains(moved);

        store.delete("id-a");
        assertThat(store.findByExternalUser("gitlab", "acct-3", "alice")).isEmpty();
        store.create(identity("id-z", "acct-3", "alice"));
    }

    @Test
    void concurrentCreatesOfOneAccountLeaveExactlyOne() throws Exception {
        int threads = 16;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        try {
            for (int round = 0; round < 50; round++) {
                String account = "acct-" + round;
                List<Future<Boolean>> results = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    String id = account + "-id-" + t;
                    results.add(pool.submit(() -> {
                        go.await();
                        try {
                            store.create(identity(id, account, "alice"));
                            return true;
                        } catch (IdentityStoreException e) {
                            return false;
                        }
                    }));
                }
                go.countDown();
                int created = 0;
                for (Future<Boolean> f : results) {
                    created += f.get(10, TimeUnit.SECONDS) ? 1 : 0;
                }
                assertThat(created).as("round %d", round).isEqualTo(1);
                assertThat(store.findByExternalUser("gitlab", account, "alice")).isPresent();
            }
            assertThat(store.listByOwner("alice")).hasSize(50);
        } finally {
            pool.shutdownNow();
        }
    }

    private static Identity identity(String id, String account, String owner) {
        return Identity.builder().id(id).providerKey("gitlab").externalUserId(account).ownerId(owner)
                .accessToken("at-" + id).refreshToken("rt-" + id).build();
    }
}
