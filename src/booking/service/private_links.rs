//! (D) Private event types' secret links (issue 11 §7): an event type with
//! `private = true` is not listed and is reachable only with a token made by
//! `slotdav link add COACH TYPE` (in the URL as `?key=TOKEN`) and revoked by
//! `slotdav link revoke`.
//!
//! Owns the `private-link` table: the hex SHA-256 of a token → its
//! [`PrivateLink`] (coach user, event type, when it was made), so the store
//! never holds a usable token, and a link's short id (the first
//! [`ID_LEN`] hex digits of that hash) for listing and revoking. A lookup
//! goes by the token's hash, so a wrong token costs one key read, whatever
//! it is. Imports `storage` and `hex` only.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::storage::table::{Table, TableValue};
use crate::storage::{RecordBatch, RecordWrites, Storage, StorageError};

/// The `private-link` table, keyed by the hex SHA-256 of the token.
const LINKS: Table<PrivateLink> = Table::new("private-link");

/// Hex digits of a link's id (`slotdav link list`).
pub const ID_LEN: usize = 12;

/// Longest token looked up; anything longer is no token of ours.
const MAX_TOKEN_LEN: usize = 128;

/// One secret link to one private event type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivateLink {
    /// The coach's user name.
    pub coach: String,
    /// The event type's slug.
    pub event_type: String,
    pub created: DateTime<Utc>,
}

impl TableValue for PrivateLink {
    const KIND: &'static str = "private-link";
}

/// Why a link command failed.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("no such link")]
    NoLink,
    #[error("`{0}` names more than one link; give more of its id or the token")]
    Ambiguous(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

fn key_of(token: &str) -> String {
    crate::hex::encode(&Sha256::digest(token.as_bytes()))
}

/// A new secret link to `event_type` of `coach`; returns the token (shown
/// once) and the record. `also(&record)` is written in the same batch (the
/// admin's audit entry).
pub fn create_with(
    storage: &dyn Storage,
    coach: &str,
    event_type: &str,
    now: DateTime<Utc>,
    also: impl FnOnce(&PrivateLink) -> RecordWrites,
) -> Result<(String, PrivateLink), LinkError> {
    let token = {
        use base64::Engine;
        let bytes: [u8; 24] = rand::random();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    };
    let rec = PrivateLink { coach: coach.into(), event_type: event_type.into(), created: now };
    let mut records = vec![LINKS.put(key_of(&token), &rec)];
    records.extend(also(&rec));
    storage.apply(RecordBatch { records, object: None }, now)?;
    storage.flush()?;
    Ok((token, rec))
}

/// Links (of one coach, or all) with their ids, by coach, type and age.
pub fn list(storage: &dyn Storage, coach: Option<&str>) -> Result<Vec<(String, PrivateLink)>, LinkError> {
    let mut out: Vec<(String, PrivateLink)> = LINKS
        .scan(storage, "")?
        .into_iter()
        .filter(|(_, rec)| coach.is_none_or(|c| c == rec.coach))
        .map(|(key, rec)| (key.chars().take(ID_LEN).collect(), rec))
        .collect();
    out.sort_by(|a, b| (&a.1.coach, &a.1.event_type, a.1.created).cmp(&(&b.1.coach, &b.1.event_type, b.1.created)));
    Ok(out)
}

/// Revokes the link a token (or a listed id, at least 8 hex digits) names;
/// `also(&record)` is written in the same batch.
pub fn revoke_with(
    storage: &dyn Storage,
    token_or_id: &str,
    now: DateTime<Utc>,
    also: impl FnOnce(&PrivateLink) -> RecordWrites,
) -> Result<PrivateLink, LinkError> {
    let key = find(storage, token_or_id)?;
    let rec = LINKS.get(storage, &key)?.ok_or(LinkError::NoLink)?;
    let mut records = vec![LINKS.remove(key)];
    records.extend(also(&rec));
    storage.apply(RecordBatch { records, object: None }, now)?;
    storage.flush()?;
    Ok(rec)
}

/// The key of the link a token or an id prefix names.
fn find(storage: &dyn Storage, token_or_id: &str) -> Result<String, LinkError> {
    if token_or_id.len() <= MAX_TOKEN_LEN {
        let key = key_of(token_or_id);
        if LINKS.get(storage, &key)?.is_some() {
            return Ok(key);
        }
    }
    let id = token_or_id.to_ascii_lowercase();
    if id.len() < 8 || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(LinkError::NoLink);
    }
    let mut keys = LINKS.scan(storage, &id)?.into_iter().map(|(k, _)| k);
    match (keys.next(), keys.next()) {
        (Some(key), None) => Ok(key),
        (Some(_), Some(_)) => Err(LinkError::Ambiguous(token_or_id.into())),
        (None, _) => Err(LinkError::NoLink),
    }
}

/// True when `token` is a live link to `event_type` of `coach`.
pub fn grants(storage: &dyn Storage, coach: &str, event_type: &str, token: &str) -> Result<bool, StorageError> {
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Ok(false);
    }
    Ok(LINKS.get(storage, &key_of(token))?.is_some_and(|rec| rec.coach == coach && rec.event_type == event_type))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::SledStorage;

    fn store() -> (tempfile::TempDir, SledStorage) {
        let dir = tempfile::tempdir().unwrap();
        let s = SledStorage::open(dir.path(), false, None).unwrap();
        (dir, s)
    }

    #[test]
    fn a_link_grants_its_type_until_revoked_by_token_or_id() {
        let (_dir, s) = store();
        let now = chrono::Utc::now();
        let (token, _) = create_with(&s, "alice", "paid", now, |_| Vec::new()).unwrap();
        assert!(grants(&s, "alice", "paid", &token).unwrap());
        assert!(!grants(&s, "alice", "other", &token).unwrap());
        assert!(!grants(&s, "bob", "paid", &token).unwrap());
        assert!(!grants(&s, "alice", "paid", "wrong").unwrap());
        assert!(!grants(&s, "alice", "paid", &"x".repeat(10_000)).unwrap());
        let listed = list(&s, Some("alice")).unwrap();
        assert_eq!(listed.len(), 1);
        assert!(list(&s, Some("bob")).unwrap().is_empty());
        let id = listed[0].0.clone();
        assert_eq!(id.len(), ID_LEN);
        assert!(matches!(revoke_with(&s, "abc", now, |_| Vec::new()), Err(LinkError::NoLink)));
        revoke_with(&s, &id, now, |_| Vec::new()).unwrap();
        assert!(!grants(&s, "alice", "paid", &token).unwrap());
        assert!(matches!(revoke_with(&s, &token, now, |_| Vec::new()), Err(LinkError::NoLink)));
        let (second, _) = create_with(&s, "alice", "paid", now, |_| Vec::new()).unwrap();
        revoke_with(&s, &second, now, |_| Vec::new()).unwrap();
        assert!(list(&s, None).unwrap().is_empty());
    }
}
