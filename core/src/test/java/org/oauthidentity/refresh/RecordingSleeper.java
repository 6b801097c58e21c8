package org.oauthidentity.refresh;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A {@link RetryPolicy.Sleeper} that only writes down how long it was asked to sleep. */
final class RecordingSleeper implements RetryPolicy.Sleeper {
    final List<Duration> delays = new CopyOnWriteArrayList<>();

    @Override
    public void sleep(Duration duration) {
        delays.add(duration);
    }
}
