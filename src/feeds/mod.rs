//! Calendars as ICS over HTTP, both ways:
//!
//! - **out**: secret feed URLs (`/feeds/{token}.ics`) that publish one of a
//!   user's calendars to subscribers that speak no CalDAV (Outlook's
//!   internet calendars, phones' webcal subscriptions). Tokens are random
//!   (192 bits), stored by their SHA-256, revocable.
//! - **in** ([`import`]): external calendars (Google, Outlook …) fetched in
//!   the background and mirrored into a read-only calendar of the coach, so
//!   their events block slots like any busy event.

pub mod import;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ical::export::{merge_feed, FeedHeader};
use crate::model::TimeRange;
use crate::storage::table::{Table, TableValue};
use crate::storage::{RecordBatch, Storage, StorageError, StorePath};

/// The `feed` table: the hex SHA-256 of a token → its [`FeedRecord`], so
/// the store never holds a usable token.
const FEEDS: Table<FeedRecord> = Table::new("feed");

/// The `[feeds]` settings (validated by `config`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedsConfig {
    /// REFRESH-INTERVAL and X-PUBLISHED-TTL of published feeds.
    pub refresh: chrono::Duration,
    /// Only events ending after now − this are published; `None`: all.
    pub window_past: Option<chrono::Duration>,
    pub fetch_timeout: chrono::Duration,
    pub fetch_max_bytes: u64,
}

/// A published calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedRecord {
    pub token: String,
    pub user: String,
    pub calendar: String,
    pub created: DateTime<Utc>,
}

/// Why a feed command failed.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("no user `{0}`")]
    NoUser(String),
    #[error("`{user}` has no calendar `{calendar}` (a new user's home and default calendar appear at their first sign-in)")]
    NoCalendar { user: String, calendar: String },
    #[error("no such feed")]
    NoFeed,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl TableValue for FeedRecord {
    const KIND: &'static str = "feed";
}

/// The key a token's record is filed under.
fn key_of(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    crate::hex::encode(&digest)
}

/// Publishes `calendar` of `user` under a new secret token.
pub fn create(storage: &dyn Storage, user: &str, calendar: &str, now: DateTime<Utc>) -> Result<FeedRecord, FeedError> {
    create_with(storage, user, calendar, now, |_| Vec::new())
}

/// [`create`], writing `also(&record)` in the same batch (the admin's
/// audit entry).
pub fn create_with(
    storage: &dyn Storage,
    user: &str,
    calendar: &str,
    now: DateTime<Utc>,
    also: impl FnOnce(&FeedRecord) -> crate::storage::RecordWrites,
) -> Result<FeedRecord, FeedError> {
    if storage.user(user)?.is_none() {
        return Err(FeedError::NoUser(user.into()));
    }
    let path = StorePath::home(user).child(calendar);
    if !storage.node(&path)?.is_some_and(|n| n.is_collection()) {
        return Err(FeedError::NoCalendar { user: user.into(), calendar: calendar.into() });
    }
    let token = {
        use base64::Engine;
        let bytes: [u8; 24] = rand::random();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    };
    let rec = FeedRecord { token: token.clone(), user: user.into(), calendar: calendar.into(), created: now };
    let mut records = vec![FEEDS.put(key_of(&token), &rec)];
    records.extend(also(&rec));
    storage.apply(RecordBatch { records, object: None }, now)?;
    storage.flush()?;
    Ok(rec)
}

/// Feeds of one user, or of everyone.
pub fn list(storage: &dyn Storage, user: Option<&str>) -> Result<Vec<FeedRecord>, FeedError> {
    let mut out = Vec::new();
    for (_, rec) in FEEDS.scan(storage, "")? {
        if user.is_none_or(|u| u == rec.user) {
            out.push(rec);
        }
    }
    out.sort_by(|a, b| (&a.user, &a.calendar, a.created).cmp(&(&b.user, &b.calendar, b.created)));
    Ok(out)
}

/// Revokes a feed: its URL answers 404 from now on.
pub fn revoke(storage: &dyn Storage, token: &str, now: DateTime<Utc>) -> Result<FeedRecord, FeedError> {
    revoke_with(storage, token, now, |_| Vec::new())
}

/// [`revoke`], writing `also(&record)` in the same batch.
pub fn revoke_with(
    storage: &dyn Storage,
    token: &str,
    now: DateTime<Utc>,
    also: impl FnOnce(&FeedRecord) -> crate::storage::RecordWrites,
) -> Result<FeedRecord, FeedError> {
    let key = key_of(token);
    let rec = FEEDS.get(storage, &key)?.ok_or(FeedError::NoFeed)?;
    let mut records = vec![FEEDS.remove(key)];
    records.extend(also(&rec));
    storage.apply(RecordBatch { records, object: None }, now)?;
    storage.flush()?;
    Ok(rec)
}

/// The feed a token stands for. The lookup goes by the token's hash, so it
/// costs the same for every token, known or not.
pub fn lookup(storage: &dyn Storage, token: &str) -> Result<Option<FeedRecord>, FeedError> {
    Ok(FEEDS.get(storage, &key_of(token))?)
}

/// A rendered feed with its validators.
#[derive(Debug, Clone)]
pub struct FeedBody {
    pub text: String,
    /// Strong ETag (without quotes): changes with every change of the
    /// calendar and of the publishing settings.
    pub etag: String,
    pub last_modified: DateTime<Utc>,
}

/// The validators of a feed without rendering it (for conditional GETs).
pub fn validators(storage: &dyn Storage, rec: &FeedRecord, cfg: &FeedsConfig, now: DateTime<Utc>) -> Result<Option<(String, DateTime<Utc>)>, FeedError> {
    let path = StorePath::home(&rec.user).child(&rec.calendar);
    let Some(node) = storage.node(&path)? else { return Ok(None) };
    let Some(coll) = node.collection() else { return Ok(None) };
    // With a window, what is published also moves with the days.
    let day = cfg.window_past.map(|_| now.date_naive().to_string()).unwrap_or_default();
    let seed = format!("{}-{}-{}-{:?}-{day}", coll.sync_id, coll.revision, cfg.refresh.num_seconds(), cfg.window_past);
    let digest = Sha256::digest(seed.as_bytes());
    let etag = crate::hex::encode(&digest[..12]);
    Ok(Some((etag, node.modified)))
}

/// Renders the whole calendar of a feed as one VCALENDAR.
pub fn render(storage: &dyn Storage, rec: &FeedRecord, cfg: &FeedsConfig, now: DateTime<Utc>) -> Result<Option<FeedBody>, FeedError> {
    let Some((etag, last_modified)) = validators(storage, rec, cfg, now)? else { return Ok(None) };
    let path = StorePath::home(&rec.user).child(&rec.calendar);
    let names: Vec<String> = match cfg.window_past {
        Some(window) => storage
            .time_range_candidates(&path, &TimeRange::new(now - window, DateTime::<Utc>::MAX_UTC - Duration::days(2)))?
            .into_iter()
            .map(|c| c.name)
            .collect(),
        None => storage.children(&path)?.into_iter().filter(|(_, n)| n.resource().is_some()).map(|(n, _)| n).collect(),
    };
    let mut texts = Vec::with_capacity(names.len());
    for name in names {
        if let Some(bytes) = storage.content(&path.child(&name))? {
            texts.push(String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    let display = storage
        .prop(&path, "{DAV:}displayname")?
        .and_then(|frag| crate::provision::fragment_text(&frag))
        .unwrap_or_else(|| rec.calendar.clone());
    let text = merge_feed(texts.iter().map(String::as_str), &FeedHeader { name: &display, refresh_secs: cfg.refresh.num_seconds() });
    Ok(Some(FeedBody { text, etag, last_modified }))
}
