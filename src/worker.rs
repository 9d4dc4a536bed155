//! The background loop of a queue's worker (the mail outbox, webhook
//! deliveries): run, then wait for the interval or a wake-up (a change
//! that queued something), until stopped. [`Worker::stop`] lets a run in
//! progress finish, for a while.
//!
//! Imports tokio only.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

/// After a wake-up, how long to let the change that woke the worker be
/// written (the hook that wakes it returns before its batch is applied).
const SETTLE: Duration = Duration::from_millis(200);

/// How long [`Worker::stop`] waits for a run in progress.
const STOP_WAIT: Duration = Duration::from_secs(10);

/// A running worker loop.
pub struct Worker {
    stop: tokio::sync::watch::Sender<bool>,
    handle: tokio::task::JoinHandle<()>,
}

impl Worker {
    /// Spawns the loop: `run`, then wait `interval` or until `wake` is
    /// notified, again and again.
    pub fn spawn<R, F>(interval: Duration, wake: Arc<Notify>, mut run: R) -> Worker
    where
        R: FnMut() -> F + Send + 'static,
        F: Future<Output = ()> + Send,
    {
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let handle = tokio::spawn(async move {
            loop {
                run().await;
                tokio::select! {
                    _ = tokio::time::sleep(interval) => {}
                    _ = wake.notified() => tokio::time::sleep(SETTLE).await,
                    _ = stopped.changed() => break,
                }
            }
        });
        Worker { stop, handle }
    }

    /// Stops the loop once its run in progress is done (aborted after
    /// [`STOP_WAIT`]).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let mut handle = self.handle;
        if tokio::time::timeout(STOP_WAIT, &mut handle).await.is_err() {
            handle.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn a_wake_up_runs_it_again_before_the_interval_and_stop_ends_it() {
        let runs = Arc::new(AtomicUsize::new(0));
        let wake = Arc::new(Notify::new());
        let counted = runs.clone();
        let worker = Worker::spawn(Duration::from_secs(3600), wake.clone(), move || {
            let counted = counted.clone();
            async move {
                counted.fetch_add(1, Ordering::SeqCst);
            }
        });
        while runs.load(Ordering::SeqCst) < 1 {
            tokio::task::yield_now().await;
        }
        wake.notify_one();
        tokio::time::timeout(Duration::from_secs(10), async {
            while runs.load(Ordering::SeqCst) < 2 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .expect("woken long before the hour");
        worker.stop().await;
        let after = runs.load(Ordering::SeqCst);
        wake.notify_one();
        tokio::time::sleep(SETTLE * 2).await;
        assert_eq!(runs.load(Ordering::SeqCst), after, "no run after stop");
    }
}
