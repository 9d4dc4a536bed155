//! External busy calendars: a coach's Google or Outlook calendar, fetched
//! as ICS in the background and mirrored into a read-only calendar in the
//! coach's home (one object per UID). Their events then block slots like
//! any other busy event, and the coach's app shows why a slot is gone.
//!
//! A fetch has a timeout and a size limit and honours ETag/Last-Modified.
//! A failed fetch (timeout, HTTP error, invalid data, too large) keeps the
//! last good copy and is logged; it never blocks booking.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http_body_util::{BodyExt, Empty, Limited};
use hyper::header::{HeaderValue, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, USER_AGENT};
use hyper::{Request, StatusCode};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::clock::Clock;
use crate::booking::coach::{CoachConfig, ExternalBusy};
use super::FeedsConfig;
use crate::ical::export::{opens_as_vcalendar, split_feed};
use crate::provision;
use crate::ical::{CalendarObject, ComponentKind};
use crate::storage::table::{self, Table, TableValue};
use crate::storage::{CalendarWrite, RecordBatch, ResourceWrite, Storage, StorageError, StorePath, WriteCondition};

/// The `import` table: `{coach user}/{source name}` → [`ImportState`].
const IMPORTS: Table<ImportState> = Table::new("import");

/// Why a fetch did not update the mirror. The last good copy stays.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("fetch timed out")]
    Timeout,
    #[error("fetch failed: {0}")]
    Http(String),
    #[error("server answered {0}")]
    Status(u16),
    #[error("larger than {0} bytes")]
    TooLarge(u64),
    #[error("not iCalendar data: {0}")]
    Invalid(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// What a successful fetch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportReport {
    pub not_modified: bool,
    pub written: usize,
    pub removed: usize,
    pub skipped: usize,
}

/// Validators and outcome of the last fetch of one source.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct ImportState {
    etag: Option<String>,
    last_modified: Option<String>,
    last_success: Option<DateTime<Utc>>,
}

impl TableValue for ImportState {
    const KIND: &'static str = "import state";
}

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>;

/// Fetches external calendars into their mirrors.
pub struct Importer {
    storage: Arc<dyn Storage>,
    clock: Arc<dyn Clock>,
    config: FeedsConfig,
    client: HttpsClient,
    /// Told the result of every fetch (`imported`, `not_modified`,
    /// `failed`), e.g. to count it in `/metrics`.
    on_fetch: Option<FetchObserver>,
}

/// See [`Importer::observe_fetches`].
pub type FetchObserver = Arc<dyn Fn(&'static str) + Send + Sync>;

impl Importer {
    pub fn new(storage: Arc<dyn Storage>, clock: Arc<dyn Clock>, config: FeedsConfig) -> Self {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new()).build(https);
        Importer { storage, clock, config, client, on_fetch: None }
    }

    /// Tells `observer` the result of every fetch ([`Importer::refresh`]).
    pub fn observe_fetches(mut self, observer: FetchObserver) -> Self {
        self.on_fetch = Some(observer);
        self
    }

    /// The calendar a source is mirrored into.
    pub fn mirror_path(coach: &CoachConfig, source: &ExternalBusy) -> StorePath {
        StorePath::home(&coach.user).child(&source.name)
    }

    /// Fetches one source and updates its mirror; tells the observer
    /// ([`Importer::observe_fetches`]) how it went.
    /// Whether this process refreshes `source` now: true for one process
    /// per `every` among all that share the store (a job lease,
    /// `Storage::take_job`), so an external calendar is fetched once per
    /// interval, not once per process.
    pub fn take_turn(&self, coach: &CoachConfig, source: &ExternalBusy, every: chrono::Duration) -> Result<bool, StorageError> {
        let now = self.clock.now();
        let job = format!("feed-import/{}/{}", coach.user, source.name);
        self.storage.take_job(&job, crate::storage::lease::process_holder(), now, now + every)
    }

    pub async fn refresh(&self, coach: &CoachConfig, source: &ExternalBusy) -> Result<ImportReport, ImportError> {
        let result = self.fetch_into_mirror(coach, source).await;
        if let Some(observe) = &self.on_fetch {
            observe(match &result {
                Ok(r) if r.not_modified => "not_modified",
                Ok(_) => "imported",
                Err(_) => "failed",
            });
        }
        result
    }

    async fn fetch_into_mirror(&self, coach: &CoachConfig, source: &ExternalBusy) -> Result<ImportReport, ImportError> {
        let state_key = format!("{}/{}", coach.user, source.name);
        // An unreadable state only costs one unconditional fetch.
        let state: ImportState = self
            .storage
            .record(&IMPORTS.key(state_key.clone()))?
            .and_then(|b| table::decode(&b, ImportState::KIND).ok())
            .unwrap_or_default();
        let mirror = Self::mirror_path(coach, source);
        let mirror_exists = self.storage.node(&mirror)?.is_some();
        let mut req = Request::get(&source.url)
            .header(USER_AGENT, "slotdav (calendar import)")
            .body(Empty::new())
            .map_err(|e| ImportError::Http(e.to_string()))?;
        if mirror_exists {
            if let Some(etag) = state.etag.as_deref().and_then(|e| HeaderValue::from_str(e).ok()) {
                req.headers_mut().insert(IF_NONE_MATCH, etag);
            }
            if let Some(lm) = state.last_modified.as_deref().and_then(|e| HeaderValue::from_str(e).ok()) {
                req.headers_mut().insert(IF_MODIFIED_SINCE, lm);
            }
        }
        let timeout = self.config.fetch_timeout.to_std().unwrap_or(std::time::Duration::from_secs(20));
        let limit = self.config.fetch_max_bytes;
        let fetched = tokio::time::timeout(timeout, async {
            let resp = self.client.request(req).await.map_err(|e| ImportError::Http(e.to_string()))?;
            let status = resp.status();
            let etag = resp.headers().get(ETAG).and_then(|v| v.to_str().ok()).map(str::to_string);
            let last_modified = resp.headers().get(LAST_MODIFIED).and_then(|v| v.to_str().ok()).map(str::to_string);
            if status == StatusCode::NOT_MODIFIED {
                return Ok(None);
            }
            if !status.is_success() {
                return Err(ImportError::Status(status.as_u16()));
            }
            let body = Limited::new(resp.into_body(), limit as usize)
                .collect()
                .await
                .map_err(|e| {
                    if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() {
                        ImportError::TooLarge(limit)
                    } else {
                        ImportError::Http(e.to_string())
                    }
                })?
                .to_bytes();
            Ok(Some((body, etag, last_modified)))
        })
        .await
        .map_err(|_| ImportError::Timeout)??;
        let Some((body, etag, last_modified)) = fetched else {
            return Ok(ImportReport { not_modified: true, ..Default::default() });
        };
        let storage = self.storage.clone();
        let now = self.clock.now();
        let coach_user = coach.user.clone();
        let source_name = source.name.clone();
        tokio::task::spawn_blocking(move || {
            let report = mirror_into(&*storage, &coach_user, &source_name, &body, now)?;
            let state = ImportState { etag, last_modified, last_success: Some(now) };
            storage.apply(
                RecordBatch { records: vec![IMPORTS.put(state_key, &state)], object: None },
                now,
            )?;
            storage.flush()?;
            Ok(report)
        })
        .await
        .map_err(|e| ImportError::Http(format!("import task failed: {e}")))?
    }
}

fn name_for(uid: &str) -> String {
    let digest = Sha256::digest(uid.as_bytes());
    let hex = crate::hex::encode(&digest[..16]);
    format!("{hex}.ics")
}

/// Replaces the mirror's content with the objects of `body`.
fn mirror_into(storage: &dyn Storage, user: &str, name: &str, body: &[u8], now: DateTime<Utc>) -> Result<ImportReport, ImportError> {
    let text = std::str::from_utf8(body).map_err(|_| ImportError::Invalid("not UTF-8".into()))?;
    if !opens_as_vcalendar(text) {
        return Err(ImportError::Invalid("does not start with BEGIN:VCALENDAR".into()));
    }
    let parts = split_feed(text);
    let mut desired: BTreeMap<String, (String, CalendarObject)> = BTreeMap::new();
    let mut skipped = 0;
    for (uid, object_text) in parts {
        match CalendarObject::parse(object_text.as_bytes()) {
            Ok(obj) => {
                desired.insert(name_for(&uid), (object_text, obj));
            }
            Err(e) => {
                skipped += 1;
                tracing::debug!(uid, error = %e, "skipping an imported object");
            }
        }
    }
    if desired.is_empty() && skipped > 0 {
        return Err(ImportError::Invalid(format!("none of {skipped} objects could be read")));
    }
    let mirror = StorePath::home(user).child(name);
    let node = match storage.node(&mirror)? {
        Some(n) => n,
        None => {
            provision::home(storage, user, now)?;
            let all = vec![ComponentKind::Event, ComponentKind::Todo, ComponentKind::Journal];
            provision::calendar(storage, &mirror, &format!("{name} (read-only)"), all, now)?;
            storage.set_read_only(&mirror, true)?;
            storage.node(&mirror)?.ok_or(StorageError::NotFound)?
        }
    };
    let horizon = node
        .collection()
        .and_then(|c| DateTime::from_timestamp(c.horizon, 0))
        .unwrap_or(now + chrono::Duration::days(800));
    let mut report = ImportReport { skipped, ..Default::default() };
    let existing: Vec<String> = storage.children(&mirror)?.into_iter().map(|(n, _)| n).collect();
    for old in &existing {
        if !desired.contains_key(old) {
            storage.delete(&mirror.child(old), &WriteCondition::default(), now)?;
            report.removed += 1;
        }
    }
    for (file, (object_text, obj)) in desired {
        let path = mirror.child(&file);
        if storage.content(&path)?.as_deref() == Some(object_text.as_bytes()) {
            continue;
        }
        let write = ResourceWrite {
            bytes: object_text.into_bytes(),
            content_type: "text/calendar; charset=utf-8".into(),
            calendar: Some(CalendarWrite { uid: obj.uid().to_string(), kind: obj.kind(), index: obj.index_entry(horizon) }),
        };
        storage.put_resource(&path, write, &WriteCondition::default(), now)?;
        report.written += 1;
    }
    Ok(report)
}

/// Starts one background task per external source of every coach.
pub fn spawn(importer: Arc<Importer>, coaches: Vec<CoachConfig>) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = Vec::new();
    for coach in coaches {
        for source in coach.external_busy.clone() {
            let importer = importer.clone();
            let coach = coach.clone();
            tasks.push(tokio::spawn(async move {
                let every = source.refresh.to_std().unwrap_or(std::time::Duration::from_secs(900));
                loop {
                    let turn = {
                        let (importer, coach, source) = (importer.clone(), coach.clone(), source.clone());
                        let lease = chrono::Duration::from_std(every).unwrap_or(chrono::Duration::minutes(15));
                        tokio::task::spawn_blocking(move || importer.take_turn(&coach, &source, lease)).await
                    };
                    match turn {
                        Ok(Ok(true)) => {}
                        Ok(Ok(false)) => {
                            tracing::debug!(coach = %coach.user, source = %source.name, "external calendar refreshed by another process this interval");
                            tokio::time::sleep(every).await;
                            continue;
                        }
                        Ok(Err(e)) => tracing::warn!(coach = %coach.user, source = %source.name, error = %e, "cannot take the refresh's lease; refreshing anyway"),
                        Err(e) => tracing::warn!(error = %e, "the refresh's lease task failed; refreshing anyway"),
                    }
                    match importer.refresh(&coach, &source).await {
                        Ok(r) if r.not_modified => tracing::debug!(coach = %coach.user, source = %source.name, "external calendar unchanged"),
                        Ok(r) => tracing::info!(
                            coach = %coach.user, source = %source.name, written = r.written, removed = r.removed, skipped = r.skipped,
                            "external calendar imported"
                        ),
                        Err(e) => tracing::warn!(
                            coach = %coach.user, source = %source.name, url = %source.url, error = %e,
                            "external calendar not updated; keeping the last good copy"
                        ),
                    }
                    tokio::time::sleep(every).await;
                }
            }));
        }
    }
    tasks
}
