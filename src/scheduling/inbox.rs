//! The schedule inbox (RFC 6638 §2.2): the iTIP messages (REQUEST,
//! CANCEL, REPLY) delivered to a user, kept as a domain table so that the
//! inbox stays out of the calendar home. At most [`MAX_MESSAGES`] per user:
//! delivering one more drops the oldest.
//!
//! Table `schedule-inbox`: key `{user}/{name}`, value postcard
//! [`InboxMessage`]; names start with a time key, so key order is
//! delivery order.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::storage::table::{RecordWrite, Table, TableValue};
use crate::storage::{Storage, StorageError};

/// Messages kept per user.
pub const MAX_MESSAGES: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxMessage {
    /// iCalendar text with METHOD.
    pub ics: String,
    pub delivered: DateTime<Utc>,
}

impl TableValue for InboxMessage {
    const KIND: &'static str = "schedule inbox message";
}

impl InboxMessage {
    /// A strong entity tag of the message.
    pub fn etag(&self) -> String {
        crate::hex::encode(&Sha256::digest(self.ics.as_bytes())[..16])
    }
}

pub const INBOX: Table<InboxMessage> = Table::new("schedule-inbox");

fn key(user: &str, name: &str) -> String {
    format!("{user}/{name}")
}

/// The messages in `user`'s inbox, oldest first, by name.
pub fn list(storage: &dyn Storage, user: &str) -> Result<Vec<(String, InboxMessage)>, StorageError> {
    let prefix = format!("{user}/");
    Ok(INBOX.scan(storage, &prefix)?.into_iter().map(|(k, m)| (k[prefix.len()..].to_string(), m)).collect())
}

pub fn get(storage: &dyn Storage, user: &str, name: &str) -> Result<Option<InboxMessage>, StorageError> {
    INBOX.get(storage, &key(user, name))
}

/// Removes a message (the client processed it); false if there was none.
pub fn remove(storage: &dyn Storage, user: &str, name: &str) -> Result<bool, StorageError> {
    Ok(INBOX.take(storage, &key(user, name))?.is_some())
}

/// The writes that deliver `message` as `name`, and drop the oldest
/// messages beyond [`MAX_MESSAGES`].
pub fn deliver(storage: &dyn Storage, user: &str, name: &str, message: &InboxMessage) -> Result<Vec<RecordWrite>, StorageError> {
    let existing = list(storage, user)?;
    let mut writes = vec![INBOX.put(key(user, name), message)];
    let keep = MAX_MESSAGES.saturating_sub(1);
    if existing.len() > keep {
        for (old, _) in existing.iter().filter(|(n, _)| n != name).take(existing.len() - keep) {
            writes.push(INBOX.remove(key(user, old)));
        }
    }
    Ok(writes)
}
