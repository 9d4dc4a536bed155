//! The PostgreSQL backend's own small tokio runtime. The [`Storage`]
//! trait is synchronous and is called from blocking threads and from the
//! server's runtime alike; the driver is asynchronous. So each call spawns
//! its future on this runtime and waits for it on a std channel: no
//! `block_on` inside anybody's runtime, and the connections' background
//! tasks keep running whoever calls.
//!
//! [`Storage`]: crate::storage::Storage

use std::future::Future;

use crate::storage::{Result, StorageError};

/// The runtime, shut down in the background when the store is dropped
/// (a store may be dropped inside another runtime).
pub struct PgRuntime {
    runtime: Option<tokio::runtime::Runtime>,
    handle: tokio::runtime::Handle,
}

impl PgRuntime {
    pub fn new() -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("slotdav-postgres")
            .enable_all()
            .build()
            .map_err(|e| StorageError::Backend(format!("cannot start the PostgreSQL runtime: {e}")))?;
        let handle = runtime.handle().clone();
        Ok(PgRuntime { runtime: Some(runtime), handle })
    }

    /// The runtime's handle, for modules that spawn tasks of their own.
    pub fn handle(&self) -> &tokio::runtime::Handle {
        &self.handle
    }

    /// Runs `fut` on the runtime and waits for its output.
    pub fn run<T: Send + 'static>(&self, fut: impl Future<Output = T> + Send + 'static) -> Result<T> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.handle.spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv().map_err(|_| StorageError::Unavailable("the PostgreSQL runtime has stopped".into()))
    }
}

impl Drop for PgRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}
