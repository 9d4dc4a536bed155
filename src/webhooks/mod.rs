//! Webhooks (in progress).
pub mod config;
pub use config::{RawWebhook, WebhookConfig, DEFAULT_MAX_ATTEMPTS, EVENT_NAMES};
pub fn listing(_storage: &dyn crate::storage::Storage) -> Result<String, crate::storage::StorageError> {
    Ok(String::new())
}
