package org.oauthidentity.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Schema migrations on a real PostgreSQL (embedded), and from separate processes at once. */
class PostgresSchemaMigrationTest extends SchemaMigrationContractTest {
    @Override
    TestDatabase newDatabase() {
        return TestDatabase.postgres();
    }

    @Test
    void processesStartingTogetherOnAVersionOneDatabaseMigrateItOnceAndLoseNoRow() throws Exception {
        startAt(1);
        var rows = insertAsVersionOne(20);
        List<WorkerProcess> workers = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                workers.add(WorkerProcess.start("migrate-" + i, "migrate", db, "process-" + i));
            }
            for (WorkerProcess worker : workers) {
                worker.expect("READY");
            }
            workers.forEach(w -> w.send("GO"));
            for (WorkerProcess worker : workers) {
                worker.expect("MIGRATED");
            }
        } finally {
            workers.forEach(WorkerProcess::close);
        }

        assertThat(history()).containsExactly("1 V1__oauth_identity.sql found",
                "2 V2__pending_authorizations.sql applied", "3 V3__incarnation.sql applied", "4 V4__owner.sql applied");
        assertEveryRowReadsBack(JdbcIdentityStore.builder(db.pool).build(), rows);
        assertThat(db.queryValue("SELECT COUNT(*) FROM oauth_identity WHERE id LIKE 'process-%'")).isEqualTo(3L);
    }
}
