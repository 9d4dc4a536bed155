//! Configuration in two stages: [`RawConfig`] mirrors the TOML file (every
//! key optional, unknown keys refused), [`Config`] holds validated values.
//! With no file at all the embedded defaults apply, so `slotdav` runs as is.
//!
//! `config.example.toml` at the repository root documents every key; a test
//! checks that it parses and that it matches the defaults here.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::booking::policy::{parse_duration, Coach, EventType, Pacing, WorkingHours};
use crate::booking::questions::{Question, QuestionKind};
use crate::booking::guardian::GuardianPolicy;
use crate::auth::AuthConfig;
use crate::feeds::FeedsConfig;
use crate::model::IpRange;
pub use crate::booking::coach::{BusyCalendars, CoachConfig, ExternalBusy};

/// Why a configuration could not be used. The message names the key (and,
/// for TOML syntax and type errors, the line).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// The TOML file as written. Every field has a default.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub public_url: Option<String>,
    pub realm: Option<String>,
    pub log: Option<String>,
    pub site_name: Option<String>,
    pub max_request_body: Option<u64>,
    pub max_resource_size: Option<u64>,
    pub durability: Option<String>,
    pub flush_every_ms: Option<u64>,
    pub booking: Option<RawBooking>,
    pub limits: Option<RawLimits>,
    pub feeds: Option<RawFeeds>,
    pub mail: Option<crate::mail::RawMail>,
    pub trusted_proxies: Option<Spanned<Vec<String>>>,
    pub http: Option<RawHttp>,
    pub auth: Option<RawAuth>,
    pub dashboard: Option<RawDashboard>,
    pub storage: Option<RawStorage>,
    pub metrics_token: Option<Spanned<String>>,
    pub admins: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub coach: Vec<RawCoach>,
    /// How long audit entries are kept, e.g. "400d".
    pub audit_retention: Option<Spanned<String>>,
    #[serde(default)]
    pub webhook: Vec<crate::webhooks::RawWebhook>,
    /// Origins whose pages may frame the booking pages (issue 12 §6).
    pub embed_origins: Option<Spanned<Vec<String>>>,
}

/// `[storage]`: where the store lives (absent: sled in `data_dir`) and its
/// own memory.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawStorage {
    /// sled's page cache, a size ("256MiB").
    pub cache: Option<Spanned<RawSize>>,
    /// `postgres://…`: the PostgreSQL backend.
    pub url: Option<String>,
    /// Connections in the PostgreSQL pool.
    pub pool_size: Option<u64>,
}

/// Validated `[storage]`.
#[derive(Clone, PartialEq, Eq)]
pub struct StorageConfig {
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DB` (or
    /// `postgres:///DB?host=/run/postgresql`): the PostgreSQL backend.
    /// `None`: sled in `data_dir`.
    pub url: Option<String>,
    /// Connections in the PostgreSQL pool.
    pub pool_size: usize,
}

/// `[storage] pool_size` when absent.
pub const DEFAULT_POOL_SIZE: usize = 8;

impl std::fmt::Debug for StorageConfig {
    /// Without the URL's password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = self.url.as_deref().map(redact_password);
        f.debug_struct("StorageConfig").field("url", &url).field("pool_size", &self.pool_size).finish()
    }
}

/// `postgres://u:secret@h/db` → `postgres://u:***@h/db`.
pub fn redact_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else { return url.to_string() };
    let rest = &url[scheme_end..];
    let Some(at) = rest.find('@') else { return url.to_string() };
    match rest[..at].find(':') {
        Some(colon) => format!("{}{}:***{}", &url[..scheme_end], &rest[..colon], &rest[at..]),
        None => url.to_string(),
    }
}

fn storage_from_raw(raw: Option<RawStorage>) -> Result<StorageConfig, (&'static str, String)> {
    let raw = raw.unwrap_or_default();
    let url = match raw.url.map(|u| u.trim().to_string()) {
        None => None,
        Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => Some(u),
        Some(u) => {
            return Err(("storage.url", format!("`{}` is not a postgres:// URL (leave the key out for the store in data_dir)", redact_password(&u))))
        }
    };
    let pool_size = raw.pool_size.unwrap_or(DEFAULT_POOL_SIZE as u64);
    if !(1..=1000).contains(&pool_size) {
        return Err(("storage.pool_size", format!("{pool_size} is not between 1 and 1000")));
    }
    Ok(StorageConfig { url, pool_size: pool_size as usize })
}

/// `[dashboard]`: the coaches' signed-in pages under `/coach/`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawDashboard {
    pub session_ttl: Option<Spanned<String>>,
}

/// `[limits]`: what one user may store. Sizes are bytes, or a string
/// with a unit ("64KiB", "1GB").
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawLimits {
    pub quota: Option<Spanned<RawSize>>,
    pub max_dead_property_bytes: Option<Spanned<RawSize>>,
    pub max_dead_properties: Option<u64>,
}

/// A size as written: a number of bytes or a string such as "1GB".
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RawSize {
    Bytes(u64),
    Text(String),
}

/// `"64KiB"`, `"10MB"`, `"1GB"`, `"512"` → bytes (KB/MB/GB are powers of
/// 1000, KiB/MiB/GiB of 1024).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("`{text}` is not a size like \"64KiB\" or \"1GB\""))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1000,
        "kib" => 1 << 10,
        "mb" => 1000 * 1000,
        "mib" => 1 << 20,
        "gb" => 1000 * 1000 * 1000,
        "gib" => 1 << 30,
        "tb" => 1000 * 1000 * 1000 * 1000,
        "tib" => 1 << 40,
        _ => return Err(format!("`{text}`: unknown unit (use B, KB, KiB, MB, MiB, GB, GiB, TB or TiB)")),
    };
    n.checked_mul(factor).ok_or_else(|| format!("`{text}` is too large"))
}

/// `[http]`: connection timeouts and limits.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawHttp {
    pub header_timeout: Option<Spanned<String>>,
    pub keep_alive_timeout: Option<Spanned<String>>,
    pub body_timeout: Option<Spanned<String>>,
    pub max_connections: Option<Spanned<u64>>,
    pub max_connections_per_client: Option<Spanned<u64>>,
}

/// Validated `[http]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// Time to send a complete request head: from the connection's start,
    /// or from the first byte of a later request on a kept-alive one.
    pub header_timeout: std::time::Duration,
    /// How long an idle connection waits for its next request.
    pub keep_alive_timeout: std::time::Duration,
    /// Longest pause while a request body arrives (then 408).
    pub body_timeout: std::time::Duration,
    /// Open connections in all; at the cap the oldest idle one is closed
    /// for a new one, or the new one gets 503 when none is idle.
    pub max_connections: usize,
    /// Open connections per client address (not counted for trusted
    /// proxies, which carry many clients).
    pub max_connections_per_client: usize,
}

/// `[auth]`: password checks and brute-force throttling.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawAuth {
    pub free_failures: Option<Spanned<u64>>,
    pub backoff: Option<Spanned<String>>,
    pub backoff_max: Option<Spanned<String>>,
    pub concurrent_checks: Option<Spanned<u64>>,
}

/// `[feeds]`: published ICS feeds and imported busy calendars.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawFeeds {
    pub refresh: Option<Spanned<String>>,
    pub window_past: Option<Spanned<String>>,
    pub fetch_timeout: Option<Spanned<String>>,
    pub fetch_max_bytes: Option<u64>,
}

/// `[[coach.external_busy]]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExternalBusy {
    pub url: String,
    pub name: Option<String>,
    pub refresh: Option<Spanned<String>>,
}

/// `[booking]`: settings of the public booking pages.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawBooking {
    pub rate_limit_per_minute: Option<u32>,
    pub max_holds_per_client: Option<u32>,
    pub max_upcoming_bookings_per_email: Option<u32>,
}

/// `[[coach]]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCoach {
    pub user: String,
    pub slug: Option<String>,
    pub display_name: Option<String>,
    pub timezone: Option<Spanned<String>>,
    pub availability_calendar: Option<String>,
    pub busy_calendars: Option<RawBusyCalendars>,
    pub bookings_calendar: Option<String>,
    pub notify_coach: Option<bool>,
    pub listed: Option<bool>,
    /// (issue 12 §5) The booking pages' and mails' language: `en`, `en-US`, `de`, `fr`, `es`.
    pub language: Option<Spanned<String>>,
    /// Whether the browser's `Accept-Language` may choose instead (default true).
    pub browser_language: Option<bool>,
    pub working_hours: Option<Spanned<BTreeMap<String, Vec<String>>>>,
    #[serde(default)]
    pub event_type: Vec<RawEventType>,
    #[serde(default)]
    pub external_busy: Vec<RawExternalBusy>,
    // ----- (D) breaks and caps across all event types (issue 11 §6) -----
    pub max_per_day: Option<u32>,
    pub max_per_week: Option<u32>,
    pub max_per_month: Option<u32>,
    pub max_consecutive: Option<Spanned<String>>,
    pub break_after: Option<Spanned<String>>,
    // ----- end (D) -----
    // guardians (issue 11 §4): defaults of the coach's event types
    pub guardian: Option<Spanned<String>>,
    pub guardian_can_manage: Option<bool>,
    // profile (issue 12 §3)
    pub bio: Option<Spanned<String>>,
    pub photo: Option<Spanned<String>>,
}

/// `busy_calendars = "all"` or a list of calendar names.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RawBusyCalendars {
    Keyword(String),
    List(Vec<String>),
}

/// `[[coach.event_type]]` as written. Durations are strings like "15m".
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEventType {
    pub slug: String,
    pub title: String,
    pub duration: Spanned<String>,
    pub slot_interval: Option<Spanned<String>>,
    pub buffer_before: Option<Spanned<String>>,
    pub buffer_after: Option<Spanned<String>>,
    pub min_notice: Option<Spanned<String>>,
    pub horizon: Option<Spanned<String>>,
    pub max_per_day: Option<u32>,
    pub seats: Option<u32>,
    pub once_per_student: Option<bool>,
    pub requires_confirmation: Option<bool>,
    pub cancel_notice: Option<Spanned<String>>,
    pub reschedule_notice: Option<Spanned<String>>,
    pub price: Option<String>,
    pub hold_ttl: Option<Spanned<String>>,
    pub reminders: Option<Vec<Spanned<String>>>,
    // issue 11 §3 (C): reschedules the coach approves
    pub reschedule_requires_approval: Option<bool>,
    // ----- (D) breaks and caps (issue 11 §6) -----
    pub max_per_week: Option<u32>,
    pub max_per_month: Option<u32>,
    pub private: Option<bool>,
    #[serde(default)]
    pub question: Vec<RawQuestion>,
    // ----- end (D) -----
    // --- (B) recurring sessions, issue 11 §2 ---
    pub repeat: Option<Vec<Spanned<String>>>,
    pub repeat_max: Option<u32>,
    // --- end (B) ---
    // waitlists (issue 11 §1, part A)
    pub waitlist: Option<bool>,
    pub waitlist_offer_ttl: Option<Spanned<String>>,
    // guardians (issue 11 §4); unset: the coach's
    pub guardian: Option<Spanned<String>>,
    pub guardian_can_manage: Option<bool>,
    // profile (issue 12 §3)
    pub description: Option<Spanned<String>>,
    pub location: Option<Spanned<RawLocation>>,
}

/// An event type's `location = { address = "…" }` (or `phone`, `video`,
/// `video_per_booking`) as written (issue 12 §3).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLocation {
    pub address: Option<String>,
    pub phone: Option<String>,
    pub video: Option<String>,
    pub video_per_booking: Option<String>,
}

/// (D) `[[coach.event_type.question]]` as written (issue 11 §5).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawQuestion {
    pub id: String,
    pub label: String,
    pub kind: Option<String>,
    pub required: Option<bool>,
    pub options: Option<Vec<String>>,
    pub max_length: Option<u32>,
}

/// How writes reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Every write is flushed to disk before it is acknowledged.
    Sync,
    /// Writes are flushed by sled every `flush_every_ms`; a crash can lose
    /// the last moments of acknowledged writes.
    Periodic,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// The URL users reach the server at (used in links); defaults to
    /// `http://<listen>`.
    pub public_url: String,
    pub realm: String,
    pub log: String,
    /// The server's name on the front page and the connect page.
    pub site_name: String,
    pub max_request_body: u64,
    pub max_resource_size: u64,
    pub durability: Durability,
    pub flush_every_ms: u64,
    /// Holds and confirmations a client IP may ask for per minute.
    pub rate_limit_per_minute: u32,
    /// `[booking] max_holds_per_client`, `max_upcoming_bookings_per_email`.
    pub booking_limits: crate::booking::service::BookingLimits,
    /// Bytes each user may store, counting resources, dead properties,
    /// indexes and change logs (`[limits] quota`; `u64::MAX`: unlimited).
    pub quota: u64,
    /// The store's page cache in bytes (`[storage] cache`): the most of
    /// the store that is kept in memory, and so most of the server's.
    pub storage_cache: u64,
    /// Largest value of one dead property, in bytes.
    pub max_dead_property_bytes: u64,
    /// Most dead properties on one resource or collection.
    pub max_dead_properties: usize,
    pub feeds: FeedsConfig,
    pub coaches: Vec<CoachConfig>,
    /// `[mail]`: transport, sender, retries.
    pub mail: crate::mail::MailConfig,
    /// True when `public_url` was written in the file; otherwise links
    /// follow `X-Forwarded-Proto`/`-Host` from a trusted proxy.
    pub public_url_set: bool,
    /// Peers whose `X-Forwarded-For` / `Forwarded` headers are believed.
    pub trusted_proxies: Vec<IpRange>,
    pub http: HttpConfig,
    pub auth: AuthConfig,
    /// Audit entries older than this are pruned (`audit_retention`).
    pub audit_retention: chrono::Duration,
    /// `[[webhook]]` blocks.
    pub webhooks: Vec<crate::webhooks::WebhookConfig>,
    /// `[dashboard] session_ttl`: how long a dashboard sign-in lasts.
    pub dashboard: crate::auth::session::SessionConfig,
    /// `metrics_token`: the bearer token `/metrics` asks for; `None`:
    /// loopback clients only.
    pub metrics_token: Option<String>,
    /// `admins`: users who see every coach's analytics (`/admin/analytics`).
    pub admins: Vec<String>,
    /// `[storage]`: sled in `data_dir`, or a PostgreSQL database.
    pub storage: StorageConfig,
    /// `embed_origins`: the sites (`https://coach.example`) whose pages may
    /// show the booking pages in a frame (CSP `frame-ancestors`); empty:
    /// none may.
    pub embed_origins: Vec<String>,
}

/// `admins` when absent: the user slotdav makes on a fresh store.
pub const DEFAULT_ADMINS: [&str; 1] = ["admin"];

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8008";
pub const DEFAULT_DATA_DIR: &str = "./slotdav-data";
/// `site_name` when absent.
pub const DEFAULT_SITE_NAME: &str = "slotdav";
/// `[storage] cache` when absent.
pub const DEFAULT_STORAGE_CACHE: u64 = 256 * 1024 * 1024;
/// The smallest `[storage] cache` taken: sled needs a few pages.
pub const MIN_STORAGE_CACHE: u64 = 1024 * 1024;

/// `[limits] quota` when absent: 1 GiB per user.
pub const DEFAULT_QUOTA: u64 = 1 << 30;

impl Default for Config {
    fn default() -> Self {
        Config::from_raw(RawConfig::default(), Path::new("<defaults>")).expect("embedded defaults are valid")
    }
}

impl Config {
    /// Reads and validates a TOML file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        Self::parse(&text, path)
    }

    /// Validates TOML text; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Invalid { path: path.to_path_buf(), message: e.to_string() })?;
        Self::from_raw_with_text(raw, path, Some(text))
    }

    fn from_raw(raw: RawConfig, path: &Path) -> Result<Config, ConfigError> {
        Self::from_raw_with_text(raw, path, None)
    }

    fn from_raw_with_text(raw: RawConfig, path: &Path, text: Option<&str>) -> Result<Config, ConfigError> {
        let invalid = |key: &str, message: String| {
            let line = text.and_then(|t| line_of_key(t, key)).map(|n| format!(" (line {n})")).unwrap_or_default();
            ConfigError::Invalid { path: path.to_path_buf(), message: format!("key `{key}`{line}: {message}") }
        };
        let listen_text = raw.listen.unwrap_or_else(|| DEFAULT_LISTEN.to_string());
        let listen: SocketAddr = listen_text
            .parse()
            .map_err(|_| invalid("listen", format!("`{listen_text}` is not an address like 127.0.0.1:8008")))?;
        let durability = match raw.durability.as_deref().unwrap_or("sync") {
            "sync" => Durability::Sync,
            "periodic" => Durability::Periodic,
            other => return Err(invalid("durability", format!("`{other}` is neither \"sync\" nor \"periodic\""))),
        };
        let storage = storage_from_raw(raw.storage.clone()).map_err(|(key, why)| invalid(key, why))?;
        let public_url_set = raw.public_url.is_some();
        let public_url = raw.public_url.unwrap_or_else(|| format!("http://{listen}"));
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(invalid("public_url", format!("`{public_url}` must start with http:// or https://")));
        }
        let max_request_body = raw.max_request_body.unwrap_or(10 * 1024 * 1024);
        let max_resource_size = raw.max_resource_size.unwrap_or(1024 * 1024);
        if max_resource_size == 0 || max_request_body == 0 {
            return Err(invalid("max_resource_size", "sizes must be positive".into()));
        }
        let log = raw.log.unwrap_or_else(|| "info".to_string());
        if !is_plain_log_filter(&log) || tracing_subscriber::EnvFilter::try_new(&log).is_err() {
            return Err(invalid("log", format!("`{log}` is not a log filter like \"info\" or \"slotdav=debug\"")));
        }
        let site_name = raw.site_name.unwrap_or_else(|| DEFAULT_SITE_NAME.to_string());
        if site_name.trim().is_empty() || site_name.chars().count() > 100 || site_name.chars().any(char::is_control) {
            return Err(invalid("site_name", "must be 1 to 100 characters, without control characters".into()));
        }
        let raw_limits = raw.limits.unwrap_or_default();
        let size = |key: &str, v: &Option<Spanned<RawSize>>, default: u64| -> Result<u64, ConfigError> {
            let Some(v) = v else { return Ok(default) };
            let bytes = match v.get_ref() {
                RawSize::Bytes(b) => Ok(*b),
                RawSize::Text(t) if key == "quota" && t.trim().eq_ignore_ascii_case("unlimited") => Ok(u64::MAX),
                RawSize::Text(t) => parse_size(t),
            };
            let line = text.map(|t| format!(" (line {})", line_at(t, v.span().start))).unwrap_or_default();
            match bytes {
                Ok(0) => Err(ConfigError::Invalid { path: path.to_path_buf(), message: format!("key `limits.{key}`{line}: must be positive") }),
                Ok(b) => Ok(b),
                Err(e) => Err(ConfigError::Invalid { path: path.to_path_buf(), message: format!("key `limits.{key}`{line}: {e}") }),
            }
        };
        let quota = size("quota", &raw_limits.quota, DEFAULT_QUOTA)?;
        let storage_cache = match raw.storage.as_ref().and_then(|s| s.cache.as_ref()) {
            None => DEFAULT_STORAGE_CACHE,
            Some(v) => {
                let line = text.map(|t| format!(" (line {})", line_at(t, v.span().start))).unwrap_or_default();
                let bad = |why: String| ConfigError::Invalid { path: path.to_path_buf(), message: format!("key `storage.cache`{line}: {why}") };
                let bytes = match v.get_ref() {
                    RawSize::Bytes(b) => *b,
                    RawSize::Text(t) => parse_size(t).map_err(bad)?,
                };
                if bytes < MIN_STORAGE_CACHE {
                    return Err(bad(format!("must be at least 1MiB, not {bytes} bytes")));
                }
                bytes
            }
        };
        let max_dead_property_bytes = size("max_dead_property_bytes", &raw_limits.max_dead_property_bytes, 16 * 1024)?;
        let max_dead_properties = raw_limits.max_dead_properties.unwrap_or(100);
        if max_dead_properties == 0 {
            let line = text.and_then(|t| line_of_key(t, "max_dead_properties")).map(|n| format!(" (line {n})")).unwrap_or_default();
            return Err(ConfigError::Invalid { path: path.to_path_buf(), message: format!("key `limits.max_dead_properties`{line}: must be positive") });
        }
        let raw_feeds = raw.feeds.unwrap_or_default();
        let feed_duration = |key: &str, v: &Option<Spanned<String>>, default: chrono::Duration| -> Result<chrono::Duration, ConfigError> {
            match v {
                None => Ok(default),
                Some(v) => parse_duration(v.get_ref()).map_err(|e| {
                    let line = text.map(|t| format!(" (line {})", line_at(t, v.span().start))).unwrap_or_default();
                    ConfigError::Invalid { path: path.to_path_buf(), message: format!("key `feeds.{key}`{line}: {e}") }
                }),
            }
        };
        let feeds = FeedsConfig {
            refresh: feed_duration("refresh", &raw_feeds.refresh, chrono::Duration::minutes(15))?,
            window_past: match &raw_feeds.window_past {
                None => None,
                Some(_) => Some(feed_duration("window_past", &raw_feeds.window_past, chrono::Duration::zero())?),
            },
            fetch_timeout: feed_duration("fetch_timeout", &raw_feeds.fetch_timeout, chrono::Duration::seconds(20))?,
            fetch_max_bytes: raw_feeds.fetch_max_bytes.unwrap_or(5 * 1024 * 1024),
        };
        let mail = crate::mail::MailConfig::from_raw(raw.mail.unwrap_or_default()).map_err(|(key, message)| {
            let line = text.and_then(|t| line_of_key(t, key)).map(|n| format!(" (line {n})")).unwrap_or_default();
            ConfigError::Invalid { path: path.to_path_buf(), message: format!("key `mail.{key}`{line}: {message}") }
        })?;
        let raw_booking = raw.booking.unwrap_or_default();
        let defaults = crate::booking::service::BookingLimits::default();
        let at_least_one = |key: &str, v: Option<u32>, default: u32| match v {
            Some(0) => Err(invalid(key, "must be at least 1 (0 would refuse every booking)".into())),
            Some(n) => Ok(n),
            None => Ok(default),
        };
        let booking_limits = crate::booking::service::BookingLimits {
            max_holds_per_client: at_least_one("max_holds_per_client", raw_booking.max_holds_per_client, defaults.max_holds_per_client)?,
            max_upcoming_per_email: at_least_one(
                "max_upcoming_bookings_per_email",
                raw_booking.max_upcoming_bookings_per_email,
                defaults.max_upcoming_per_email,
            )?,
        };
        let at_span = |key: &str, span: std::ops::Range<usize>, message: String| {
            let line = text.map(|t| format!(" (line {})", line_at(t, span.start))).unwrap_or_default();
            ConfigError::Invalid { path: path.to_path_buf(), message: format!("key `{key}`{line}: {message}") }
        };
        let std_duration = |key: &str, v: &Option<Spanned<String>>, default: u64| -> Result<std::time::Duration, ConfigError> {
            let Some(v) = v else { return Ok(std::time::Duration::from_secs(default)) };
            let d = parse_duration(v.get_ref()).map_err(|e| at_span(key, v.span(), e.to_string()))?;
            match d.to_std() {
                Ok(d) if !d.is_zero() => Ok(d),
                _ => Err(at_span(key, v.span(), "must be longer than zero".into())),
            }
        };
        let count = |key: &str, v: &Option<Spanned<u64>>, default: u64, max: u64| -> Result<u64, ConfigError> {
            let Some(v) = v else { return Ok(default) };
            if (1..=max).contains(v.get_ref()) {
                Ok(*v.get_ref())
            } else {
                Err(at_span(key, v.span(), format!("must be between 1 and {max}")))
            }
        };
        let mut trusted_proxies = Vec::new();
        if let Some(list) = &raw.trusted_proxies {
            for entry in list.get_ref() {
                let range = IpRange::parse(entry).ok_or_else(|| {
                    at_span("trusted_proxies", list.span(), format!("`{entry}` is not an address or CIDR range like 10.0.0.0/8 or ::1"))
                })?;
                trusted_proxies.push(range);
            }
        }
        let raw_http = raw.http.unwrap_or_default();
        let http = HttpConfig {
            header_timeout: std_duration("http.header_timeout", &raw_http.header_timeout, 60)?,
            keep_alive_timeout: std_duration("http.keep_alive_timeout", &raw_http.keep_alive_timeout, 75)?,
            body_timeout: std_duration("http.body_timeout", &raw_http.body_timeout, 60)?,
            max_connections: count("http.max_connections", &raw_http.max_connections, 512, 1_000_000)? as usize,
            max_connections_per_client: count("http.max_connections_per_client", &raw_http.max_connections_per_client, 64, 1_000_000)?
                as usize,
        };
        let raw_auth = raw.auth.unwrap_or_default();
        let auth = AuthConfig {
            free_failures: match &raw_auth.free_failures {
                None => 5,
                Some(v) if *v.get_ref() <= 1000 => *v.get_ref() as u32,
                Some(v) => return Err(at_span("auth.free_failures", v.span(), "must be between 0 and 1000".into())),
            },
            backoff: std_duration("auth.backoff", &raw_auth.backoff, 1)?,
            backoff_max: std_duration("auth.backoff_max", &raw_auth.backoff_max, 15 * 60)?,
            concurrent_checks: count("auth.concurrent_checks", &raw_auth.concurrent_checks, 2, 64)? as usize,
        };
        if auth.backoff_max < auth.backoff {
            let span = raw_auth.backoff_max.as_ref().map(|v| v.span()).unwrap_or(0..0);
            return Err(at_span("auth.backoff_max", span, "must not be shorter than auth.backoff".into()));
        }
        let audit_retention = match &raw.audit_retention {
            None => crate::audit::default_retention(),
            Some(v) => match parse_duration(v.get_ref()) {
                Ok(d) if d >= chrono::Duration::days(1) => d,
                Ok(_) => return Err(at_span("audit_retention", v.span(), "must be at least 1d".into())),
                Err(e) => return Err(at_span("audit_retention", v.span(), e.to_string())),
            },
        };
        let mut webhooks = Vec::new();
        for (i, raw_hook) in raw.webhook.into_iter().enumerate() {
            let hook = crate::webhooks::WebhookConfig::from_raw(raw_hook, |t| {
                parse_duration(t).map_err(|e| e.to_string())?.to_std().map_err(|e| e.to_string())
            })
            .map_err(|(field, message)| {
                let line = text.and_then(|t| nth_table_line(t, "[[webhook]]", i)).map(|n| format!(" (block at line {n})")).unwrap_or_default();
                ConfigError::Invalid { path: path.to_path_buf(), message: format!("key `webhook.{field}`{line}: {message}") }
            })?;
            if webhooks.iter().any(|w: &crate::webhooks::WebhookConfig| w.url == hook.url) {
                return Err(invalid("webhook.url", format!("two [[webhook]] blocks use `{}` (one block per URL; list all its events there)", hook.url)));
            }
            webhooks.push(hook);
        }
        let raw_dashboard = raw.dashboard.unwrap_or_default();
        let dashboard = crate::auth::session::SessionConfig {
            ttl: match &raw_dashboard.session_ttl {
                None => crate::auth::session::SessionConfig::default().ttl,
                Some(v) => match parse_duration(v.get_ref()) {
                    Ok(d) if d >= chrono::Duration::minutes(1) && d <= chrono::Duration::days(90) => d,
                    Ok(_) => return Err(at_span("dashboard.session_ttl", v.span(), "must be between 1 minute and 90 days".into())),
                    Err(e) => return Err(at_span("dashboard.session_ttl", v.span(), e.to_string())),
                },
            },
        };
        let metrics_token = match &raw.metrics_token {
            None => None,
            Some(t) if t.get_ref().len() >= 16 && t.get_ref().len() <= 256 && t.get_ref().bytes().all(|b| b.is_ascii_graphic()) => {
                Some(t.get_ref().clone())
            }
            Some(t) => return Err(at_span("metrics_token", t.span(), "must be 16 to 256 visible ASCII characters, without spaces".into())),
        };
        let admins = match &raw.admins {
            None => DEFAULT_ADMINS.iter().map(|a| a.to_string()).collect(),
            Some(list) => {
                if let Some(bad) = list.get_ref().iter().find(|a| !crate::model::valid_user_name(a)) {
                    return Err(at_span("admins", list.span(), format!("`{bad}` is not a valid user name")));
                }
                list.get_ref().clone()
            }
        };
        let mut embed_origins: Vec<String> = Vec::new();
        if let Some(list) = &raw.embed_origins {
            for entry in list.get_ref() {
                let origin = embed_origin(entry).map_err(|m| at_span("embed_origins", list.span(), format!("`{entry}` {m}")))?;
                if !embed_origins.contains(&origin) {
                    embed_origins.push(origin);
                }
            }
        }
        let mut coaches: Vec<CoachConfig> = Vec::new();
        for (i, raw_coach) in raw.coach.into_iter().enumerate() {
            let coach = coach_from_raw(raw_coach, i, text).map_err(|message| ConfigError::Invalid { path: path.to_path_buf(), message })?;
            if coaches.iter().any(|c| c.slug == coach.slug) {
                return Err(invalid("coach.slug", format!("two coaches use the slug `{}`", coach.slug)));
            }
            coaches.push(coach);
        }
        for hook in &webhooks {
            if let Some(c) = &hook.coach {
                if !coaches.iter().any(|k| &k.user == c || &k.slug == c) {
                    return Err(invalid("webhook.coach", format!("no [[coach]] with the user name or slug `{c}` (webhook {})", hook.url)));
                }
            }
        }
        Ok(Config {
            listen,
            data_dir: raw.data_dir.unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR)),
            public_url: public_url.trim_end_matches('/').to_string(),
            realm: raw.realm.unwrap_or_else(|| "slotdav".to_string()),
            log,
            site_name: site_name.trim().to_string(),
            max_request_body,
            max_resource_size,
            durability,
            flush_every_ms: raw.flush_every_ms.unwrap_or(500),
            rate_limit_per_minute: raw_booking.rate_limit_per_minute.unwrap_or(30),
            booking_limits,
            quota,
            storage_cache,
            max_dead_property_bytes,
            max_dead_properties: usize::try_from(max_dead_properties).unwrap_or(usize::MAX),
            feeds,
            coaches,
            mail,
            public_url_set,
            trusted_proxies,
            http,
            auth,
            audit_retention,
            webhooks,
            dashboard,
            metrics_token,
            admins,
            storage,
            embed_origins,
        })
    }
}

/// The user who gets the sample booking page in try-it mode.
pub const TRY_IT_USER: &str = "admin";

impl Config {
    /// Try-it mode (no configuration file): the embedded defaults plus a
    /// listed sample coach, [`TRY_IT_USER`], offering a 30-minute intro
    /// call on weekdays 09:00–17:00 in `tz` (the machine's zone, see
    /// [`machine_time_zone`]).
    pub fn with_sample_coach(mut self, tz: chrono_tz::Tz) -> Config {
        let weekdays = ["mon", "tue", "wed", "thu", "fri"].map(|d| (d, ["09:00-17:00"]));
        let working_hours = WorkingHours::parse(weekdays).expect("the sample hours are valid");
        let mut intro = EventType::new("intro", "Intro call", chrono::Duration::minutes(30));
        intro.price = "free".into();
        self.coaches.push(CoachConfig {
            user: TRY_IT_USER.into(),
            slug: TRY_IT_USER.into(),
            display_name: TRY_IT_USER.into(),
            policy: Coach { name: TRY_IT_USER.into(), tz, working_hours, event_types: vec![intro], pacing: Default::default() },
            availability_calendar: "availability".into(),
            busy_calendars: BusyCalendars::All,
            bookings_calendar: "sessions".into(),
            notify_coach: true,
            external_busy: Vec::new(),
            listed: true,
            bio: Default::default(),
            photo: None,
            language: crate::i18n::Locale::En,
            browser_language: true,
        });
        self
    }
}

/// The machine's time zone: `TZ`, else `/etc/timezone`, else the target of
/// the `/etc/localtime` link; UTC when none names a known IANA zone.
pub fn machine_time_zone() -> chrono_tz::Tz {
    let candidates = [
        std::env::var("TZ").ok(),
        std::fs::read_to_string("/etc/timezone").ok(),
        std::fs::read_link("/etc/localtime").ok().map(|p| p.to_string_lossy().into_owned()),
    ];
    candidates.iter().flatten().find_map(|c| zone_from_name(c)).unwrap_or(chrono_tz::UTC)
}

/// An IANA zone from how a system names it: `Europe/Berlin`, `:Europe/Berlin`
/// (POSIX `TZ`), or a path ending in `zoneinfo/Europe/Berlin`.
fn zone_from_name(text: &str) -> Option<chrono_tz::Tz> {
    let name = text.lines().next()?.trim().trim_start_matches(':');
    let name = name.rsplit_once("zoneinfo/").map_or(name, |(_, zone)| zone);
    name.parse().ok()
}

/// Validates one `[[coach]]` block; errors name the key (`coach[0].…`) and
/// its line.
fn coach_from_raw(raw: RawCoach, index: usize, text: Option<&str>) -> Result<CoachConfig, String> {
    let at = |key: &str, span: Option<std::ops::Range<usize>>| {
        let line = match (text, span) {
            (Some(t), Some(s)) => format!(" (line {})", line_at(t, s.start)),
            _ => String::new(),
        };
        format!("key `coach[{index}].{key}`{line}")
    };
    if !crate::model::valid_user_name(&raw.user) {
        return Err(format!("{}: `{}` is not a valid user name", at("user", None), raw.user));
    }
    let slug = raw.slug.unwrap_or_else(|| raw.user.clone());
    if slug.is_empty() || !slug.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(format!("{}: `{slug}` must use only letters, digits, '-' and '_'", at("slug", None)));
    }
    let tz: chrono_tz::Tz = match &raw.timezone {
        Some(s) => s
            .get_ref()
            .parse()
            .map_err(|_| format!("{}: `{}` is not an IANA time zone like Europe/Berlin", at("timezone", Some(s.span())), s.get_ref()))?,
        None => chrono_tz::UTC,
    };
    let working_hours = match &raw.working_hours {
        Some(w) => WorkingHours::parse(w.get_ref().iter().map(|(k, v)| (k.as_str(), v.iter().map(String::as_str))))
            .map_err(|e| format!("{}: {e}", at("working_hours", Some(w.span()))))?,
        None => WorkingHours::default(),
    };
    // guardians (issue 11 §4): "off" | "optional" | "required"
    let guardian_policy = |key: &str, v: &Spanned<String>| {
        GuardianPolicy::parse(v.get_ref())
            .ok_or_else(|| format!("{}: `{}` is not one of \"off\", \"optional\", \"required\"", at(key, Some(v.span())), v.get_ref()))
    };
    let coach_guardian = match &raw.guardian {
        Some(v) => guardian_policy("guardian", v)?,
        None => GuardianPolicy::Off,
    };
    let mut event_types = Vec::new();
    for (j, et) in raw.event_type.into_iter().enumerate() {
        let key = |field: &str| format!("event_type[{j}].{field}");
        let dur = |field: &str, v: &Spanned<String>| {
            parse_duration(v.get_ref()).map_err(|e| format!("{}: {e}", at(&key(field), Some(v.span()))))
        };
        let opt = |field: &str, v: &Option<Spanned<String>>, default: chrono::Duration| match v {
            Some(v) => dur(field, v),
            None => Ok(default),
        };
        let duration = dur("duration", &et.duration)?;
        let mut t = EventType::new(et.slug.clone(), et.title.clone(), duration);
        t.slot_interval = opt("slot_interval", &et.slot_interval, duration)?;
        t.buffer_before = opt("buffer_before", &et.buffer_before, t.buffer_before)?;
        t.buffer_after = opt("buffer_after", &et.buffer_after, t.buffer_after)?;
        t.min_notice = opt("min_notice", &et.min_notice, t.min_notice)?;
        t.horizon = opt("horizon", &et.horizon, t.horizon)?;
        t.cancel_notice = opt("cancel_notice", &et.cancel_notice, t.cancel_notice)?;
        t.reschedule_notice = opt("reschedule_notice", &et.reschedule_notice, t.reschedule_notice)?;
        t.hold_ttl = opt("hold_ttl", &et.hold_ttl, t.hold_ttl)?;
        if let Some(list) = &et.reminders {
            t.reminders = list.iter().map(|r| dur("reminders", r)).collect::<Result<_, _>>()?;
        }
        t.max_per_day = et.max_per_day;
        t.seats = et.seats.unwrap_or(1);
        t.once_per_student = et.once_per_student.unwrap_or(false);
        t.requires_confirmation = et.requires_confirmation.unwrap_or(false);
        t.price = et.price.clone().unwrap_or_default();
        // issue 11 §3 (C): reschedules the coach approves
        t.reschedule_requires_approval = et.reschedule_requires_approval.unwrap_or(false);
        // (D) breaks and caps
        t.max_per_week = et.max_per_week;
        t.max_per_month = et.max_per_month;
        t.private = et.private.unwrap_or(false);
        for (n, raw_q) in et.question.iter().enumerate() {
            let qkey = |field: &str| at(&key(&format!("question[{n}].{field}")), None);
            let id_ok = !raw_q.id.is_empty() && raw_q.id.len() <= 64 && raw_q.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
            if !id_ok || matches!(raw_q.id.as_str(), "name" | "email" | "note") || t.questions.iter().any(|q| q.id == raw_q.id) {
                return Err(format!("{}: `{}` must be unique, use a-z, 0-9, '_' and '-', and not be name, email or note", qkey("id"), raw_q.id));
            }
            if raw_q.label.trim().is_empty() {
                return Err(format!("{}: the label is empty", qkey("label")));
            }
            let kind_text = raw_q.kind.as_deref().unwrap_or("text");
            let kind = QuestionKind::parse(kind_text)
                .ok_or_else(|| format!("{}: `{kind_text}` is not one of text, textarea, select, checkbox, phone", qkey("kind")))?;
            let options = raw_q.options.clone().unwrap_or_default();
            if (kind == QuestionKind::Select) == options.is_empty() {
                return Err(format!("{}: a select needs options, other kinds take none", qkey("options")));
            }
            if raw_q.max_length.is_some_and(|m| m == 0 || m > 10_000) {
                return Err(format!("{}: between 1 and 10000, please", qkey("max_length")));
            }
            t.questions.push(Question {
                id: raw_q.id.clone(),
                label: raw_q.label.trim().to_string(),
                kind,
                required: raw_q.required.unwrap_or(false),
                options,
                max_length: raw_q.max_length.map(|m| m as usize),
            });
        }
        // --- (B) recurring sessions, issue 11 §2 ---
        if let Some(list) = &et.repeat {
            for r in list {
                let weeks = crate::booking::series::parse_every(r.get_ref())
                    .map_err(|e| format!("{}: {e}", at(&key("repeat"), Some(r.span()))))?;
                if !t.repeat_weeks.contains(&weeks) {
                    t.repeat_weeks.push(weeks);
                }
            }
        }
        t.repeat_max = et.repeat_max.unwrap_or(t.repeat_max);
        // --- end (B) ---
        // waitlists (part A)
        t.waitlist = et.waitlist;
        t.waitlist_offer_ttl = opt("waitlist_offer_ttl", &et.waitlist_offer_ttl, t.waitlist_offer_ttl)?;
        // guardians: the event type's setting, else the coach's
        t.guardian = match &et.guardian {
            Some(v) => guardian_policy(&key("guardian"), v)?,
            None => coach_guardian,
        };
        t.guardian_can_manage = et.guardian_can_manage.or(raw.guardian_can_manage).unwrap_or(true);
        // profile (issue 12 §3)
        if let Some(d) = &et.description {
            t.description = rich_text(d.get_ref()).map_err(|m| format!("{}: {m}", at(&key("description"), Some(d.span()))))?;
        }
        if let Some(l) = &et.location {
            let raw_l = l.get_ref();
            let location = crate::booking::location::Location::from_keys(
                raw_l.address.as_deref(),
                raw_l.phone.as_deref(),
                raw_l.video.as_deref(),
                raw_l.video_per_booking.as_deref(),
            );
            t.location = Some(location.map_err(|e| format!("{}: {e}", at(&key("location"), Some(l.span()))))?);
        }
        t.validate().map_err(|e| format!("{}: {e}", at(&key("slug"), None)))?;
        if event_types.iter().any(|o: &EventType| o.slug == t.slug) {
            return Err(format!("{}: `{}` is used twice", at(&key("slug"), None), t.slug));
        }
        event_types.push(t);
    }
    let busy_calendars = match raw.busy_calendars {
        None => BusyCalendars::All,
        Some(RawBusyCalendars::Keyword(k)) if k == "all" => BusyCalendars::All,
        Some(RawBusyCalendars::Keyword(k)) => {
            return Err(format!("{}: `{k}` is neither \"all\" nor a list of calendar names", at("busy_calendars", None)))
        }
        Some(RawBusyCalendars::List(l)) => BusyCalendars::Only(l),
    };
    let mut external_busy = Vec::new();
    for (j, ext) in raw.external_busy.into_iter().enumerate() {
        let key = |field: &str| format!("external_busy[{j}].{field}");
        if !(ext.url.starts_with("http://") || ext.url.starts_with("https://") || ext.url.starts_with("webcal://")) {
            return Err(format!("{}: `{}` must be an http(s):// or webcal:// URL", at(&key("url"), None), ext.url));
        }
        let name = ext.name.unwrap_or_else(|| format!("external-{}", j + 1));
        if name.is_empty() || name.contains('/') || name == raw.availability_calendar.as_deref().unwrap_or("availability") {
            return Err(format!("{}: `{name}` cannot be used as a calendar name", at(&key("name"), None)));
        }
        let refresh = match &ext.refresh {
            Some(r) => parse_duration(r.get_ref()).map_err(|e| format!("{}: {e}", at(&key("refresh"), Some(r.span()))))?,
            None => chrono::Duration::minutes(15),
        };
        if refresh < chrono::Duration::minutes(1) {
            return Err(format!("{}: at least 1m, please", at(&key("refresh"), None)));
        }
        external_busy.push(ExternalBusy { url: ext.url.replacen("webcal://", "https://", 1), name, refresh });
    }
    // (D) breaks and caps across all event types
    let coach_duration = |field: &str, v: &Option<Spanned<String>>| match v {
        Some(v) => parse_duration(v.get_ref()).map(Some).map_err(|e| format!("{}: {e}", at(field, Some(v.span())))),
        None => Ok(None),
    };
    let pacing = Pacing {
        max_per_day: raw.max_per_day,
        max_per_week: raw.max_per_week,
        max_per_month: raw.max_per_month,
        max_consecutive: coach_duration("max_consecutive", &raw.max_consecutive)?,
        break_after: coach_duration("break_after", &raw.break_after)?.unwrap_or_else(chrono::Duration::zero),
    };
    if let Err(e) = pacing.validate() {
        let field = match &e {
            crate::booking::PolicyError::InvalidPacing { field, .. } => *field,
            _ => "max_consecutive",
        };
        return Err(format!("{}: {e}", at(field, None)));
    }
    // profile (issue 12 §3)
    let display_name = raw.display_name.unwrap_or_else(|| raw.user.clone());
    if display_name.trim().is_empty() || display_name.chars().count() > 100 || display_name.chars().any(char::is_control) {
        return Err(format!("{}: must be 1 to 100 characters, without control characters", at("display_name", None)));
    }
    let bio = match &raw.bio {
        Some(b) => rich_text(b.get_ref()).map_err(|m| format!("{}: {m}", at("bio", Some(b.span()))))?,
        None => Default::default(),
    };
    let photo = match &raw.photo {
        Some(p) => Some(photo_path(p.get_ref()).map_err(|m| format!("{}: `{}` {m}", at("photo", Some(p.span())), p.get_ref()))?),
        None => None,
    };
    let language = match &raw.language {
        Some(l) => crate::i18n::Locale::from_tag(l.get_ref()).ok_or_else(|| {
            format!("{}: `{}` is not a language slotdav speaks (en, en-US, de, fr, es)", at("language", Some(l.span())), l.get_ref())
        })?,
        None => crate::i18n::Locale::En,
    };
    Ok(CoachConfig {
        language,
        browser_language: raw.browser_language.unwrap_or(true),
        external_busy,
        bio,
        photo,
        display_name: display_name.trim().to_string(),
        policy: Coach { name: raw.user.clone(), tz, working_hours, event_types, pacing },
        user: raw.user,
        slug,
        availability_calendar: raw.availability_calendar.unwrap_or_else(|| "availability".into()),
        busy_calendars,
        bookings_calendar: raw.bookings_calendar.unwrap_or_else(|| "sessions".into()),
        notify_coach: raw.notify_coach.unwrap_or(true),
        listed: raw.listed.unwrap_or(false),
    })
}

/// A bio or description: at most [`MAX_RICH_TEXT_BYTES`](crate::booking::richtext::MAX_RICH_TEXT_BYTES),
/// no control characters but line breaks and tabs, read as
/// [`RichText`](crate::booking::richtext::RichText).
fn rich_text(text: &str) -> Result<crate::booking::richtext::RichText, String> {
    use crate::booking::richtext::{RichText, MAX_RICH_TEXT_BYTES};
    if text.len() > MAX_RICH_TEXT_BYTES {
        return Err(format!("is longer than {MAX_RICH_TEXT_BYTES} bytes"));
    }
    if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err("has control characters".into());
    }
    Ok(RichText::parse(text))
}

/// A coach's `photo`: a relative path inside the data directory (no `..`,
/// not absolute), ending in .jpg, .jpeg, .png or .webp.
fn photo_path(text: &str) -> Result<PathBuf, String> {
    use std::path::Component;
    let path = Path::new(text.trim());
    let inside = !text.trim().is_empty() && path.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if !inside {
        return Err("must be a file path relative to the data directory, without `..`".into());
    }
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    if !matches!(ext.as_deref(), Some("jpg" | "jpeg" | "png" | "webp")) {
        return Err("must be a .jpg, .jpeg, .png or .webp file".into());
    }
    Ok(path.to_path_buf())
}

/// One of `embed_origins`: `https://host` or `http://host`, an optional
/// port, a host that may start with `*.`; no path, query or spaces (it is
/// written into a Content-Security-Policy header as is).
fn embed_origin(text: &str) -> Result<String, &'static str> {
    let t = text.trim().trim_end_matches('/');
    let lower = t.to_ascii_lowercase();
    let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://")).ok_or("must start with https:// or http://")?;
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (rest, None),
    };
    let host_body = host.strip_prefix("*.").unwrap_or(host);
    let host_ok = !host_body.is_empty()
        && host_body.len() <= 253
        && host_body.split('.').all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    if !host_ok {
        return Err("is not an origin like https://coach.example (a host name, no path)");
    }
    if port.is_some_and(|p| p.parse::<u16>().map_or(true, |n| n == 0)) {
        return Err("has a port that is not a number from 1 to 65535");
    }
    Ok(lower)
}

/// The 1-based line of a byte offset (a TOML span's start).
fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].lines().count().max(1)
}

/// The 1-based line where `key` is assigned, for messages about values that
/// parsed as TOML but are not valid settings.
fn line_of_key(text: &str, key: &str) -> Option<usize> {
    text.lines().position(|l| {
        let l = l.trim_start();
        l.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with('='))
    })
    .map(|i| i + 1)
}

/// The line (1-based) of the `n`th (0-based) `header` line in `text`.
fn nth_table_line(text: &str, header: &str, n: usize) -> Option<usize> {
    text.lines().enumerate().filter(|(_, l)| l.trim() == header).nth(n).map(|(i, _)| i + 1)
}

/// A log filter of plain directives: `level` or `target=level`, comma
/// separated, at most 256 bytes. Span and field filters (`[span{f=v}]`)
/// are not accepted: their values are regular expressions, and one typo'd
/// line could make start-up compile a huge one (the config fuzz target
/// found a `log` value that took minutes and hundreds of MB to parse).
fn is_plain_log_filter(filter: &str) -> bool {
    const LEVELS: [&str; 6] = ["trace", "debug", "info", "warn", "error", "off"];
    let level = |l: &str| LEVELS.iter().any(|k| k.eq_ignore_ascii_case(l.trim()));
    let target = |t: &str| !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '-' | '.'));
    filter.len() <= 256
        && filter.split(',').all(|d| match d.trim().split_once('=') {
            Some((t, l)) => target(t.trim()) && level(l),
            None => level(d) || target(d.trim()),
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn log_filters_are_plain_directives_and_a_fuzzed_one_is_refused_at_once() {
        for ok in ["info", "slotdav=debug", "warn,slotdav::dav=trace", "hyper", "off"] {
            assert!(is_plain_log_filter(ok), "{ok}");
        }
        // The shape the config fuzz target found (it hung in the filter's
        // regex compiler): field filters, braces, over-long values.
        let fuzzed = format!("Hk111n&f{}[[coach{{{{{{vvvvvv#/\\\"", "{".repeat(20));
        for bad in [fuzzed.as_str(), "slotdav[span{x=.*}]=debug", "info,", "=debug", &"a".repeat(300)] {
            assert!(!is_plain_log_filter(bad), "{bad}");
        }
        let toml = format!("log = {:?}\n", "Hk111n&f{{{{{{{{{{[[coach{{{vvvvvv");
        let err = Config::parse(&toml, std::path::Path::new("slotdav.toml")).unwrap_err().to_string();
        assert!(err.contains("log"), "{err}");
    }

    use super::*;

    /// (issue 12 §3) The profile keys are read and bad ones name key and line.
    #[test]
    fn profile_keys_are_read_and_bad_ones_named() {
        let text = "[[coach]]\nuser = \"anna\"\ndisplay_name = \"Anna E.\"\nbio = \"I **teach**.\"\nphoto = \"photos/anna.webp\"\n[[coach.event_type]]\nslug = \"x\"\ntitle = \"X\"\nduration = \"1h\"\ndescription = \"*Fun*\"\nlocation = { phone = \"+49 30 1234\" }\n";
        let c = Config::parse(text, Path::new("x.toml")).unwrap();
        let coach = &c.coaches[0];
        assert_eq!(coach.display_name, "Anna E.");
        assert_eq!(coach.photo.as_deref(), Some(Path::new("photos/anna.webp")));
        assert_eq!(coach.bio.plain(), "I teach.");
        let et = &coach.policy.event_types[0];
        assert_eq!(et.description.plain(), "Fun");
        assert_eq!(et.location, Some(crate::booking::location::Location::Phone("+49 30 1234".into())));
        for (from, to, key) in [
            ("photo = \"photos/anna.webp\"", "photo = \"../etc/passwd.png\"", "photo"),
            ("photo = \"photos/anna.webp\"", "photo = \"/etc/anna.png\"", "photo"),
            ("photo = \"photos/anna.webp\"", "photo = \"photos/anna.svg\"", "photo"),
            ("display_name = \"Anna E.\"", "display_name = \"  \"", "display_name"),
            ("location = { phone = \"+49 30 1234\" }", "location = { phone = \"1\", address = \"x\" }", "location"),
            ("location = { phone = \"+49 30 1234\" }", "location = { video = \"javascript:alert(1)\" }", "location"),
            ("location = { phone = \"+49 30 1234\" }", "location = { video_per_booking = \"https://meet.example/x\" }", "location"),
            ("bio = \"I **teach**.\"", "bio = \"\\u0007\"", "bio"),
        ] {
            let err = Config::parse(&text.replace(from, to), Path::new("x.toml")).unwrap_err().to_string();
            assert!(err.contains(key), "{to}: {err}");
        }
        let long = format!("bio = \"{}\"", "a".repeat(crate::booking::richtext::MAX_RICH_TEXT_BYTES + 1));
        let err = Config::parse(&text.replace("bio = \"I **teach**.\"", &long), Path::new("x.toml")).unwrap_err().to_string();
        assert!(err.contains("coach[0].bio") && err.contains("line 4"), "{err}");
    }

    /// (B) recurring sessions: `repeat` and `repeat_max` are read and checked.
    #[test]
    fn repeat_keys_are_read_and_checked() {
        let with = |extra: &str| Config::parse(&format!("{COACH}{extra}"), Path::new("t.toml"));
        let c = with("repeat = [\"1w\", \"2w\", \"1w\"]\nrepeat_max = 8\n").unwrap();
        let et = &c.coaches[0].policy.event_types[0];
        assert_eq!((et.repeat_weeks.clone(), et.repeat_max), (vec![1, 2], 8));
        let plain = with("").unwrap();
        assert!(plain.coaches[0].policy.event_types[0].repeat_weeks.is_empty());
        let err = with("repeat = [\"5w\"]\n").unwrap_err().to_string();
        assert!(err.contains("repeat") && err.contains("line"), "{err}");
        let err = with("repeat_max = 100\n").unwrap_err().to_string();
        assert!(err.contains("repeat_max"), "{err}");
    }

    #[test]
    fn storage_url_and_pool_size_are_read_and_bad_ones_named() {
        let c = Config::parse("[storage]\nurl = \"postgres://slotdav:pw@127.0.0.1:5432/slotdav\"\npool_size = 4\n", Path::new("x.toml")).unwrap();
        assert_eq!(c.storage.url.as_deref(), Some("postgres://slotdav:pw@127.0.0.1:5432/slotdav"));
        assert_eq!(c.storage.pool_size, 4);
        assert!(!format!("{:?}", c.storage).contains("pw@"), "the password stays out of logs");
        let socket = Config::parse("[storage]\nurl = \"postgres:///slotdav?host=/run/postgresql\"\n", Path::new("x.toml")).unwrap();
        assert_eq!(socket.storage.pool_size, DEFAULT_POOL_SIZE);
        assert_eq!(Config::default().storage.url, None);
        let bad = |t: &str| Config::parse(t, Path::new("x.toml")).unwrap_err().to_string();
        let e = bad("[storage]\nurl = \"mysql://u:secret@h/db\"\n");
        assert!(e.contains("storage.url") && !e.contains("secret"), "{e}");
        assert!(bad("[storage]\npool_size = 0\n").contains("storage.pool_size"));
        assert!(bad("[storage]\nurl = \"postgres:///x\"\npool = 3\n").contains("pool"));
    }

    #[test]
    fn example_file_parses_and_states_the_defaults() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.toml")).unwrap();
        let example = Config::parse(&text, Path::new("config.example.toml")).unwrap();
        let defaults = Config::default();
        assert_eq!(example.listen, defaults.listen);
        assert_eq!(example.data_dir, defaults.data_dir);
        assert_eq!(example.max_request_body, defaults.max_request_body);
        assert_eq!(example.max_resource_size, defaults.max_resource_size);
        assert_eq!(example.durability, defaults.durability);
        assert_eq!(example.rate_limit_per_minute, defaults.rate_limit_per_minute);
        assert_eq!(example.booking_limits, defaults.booking_limits);
        assert_eq!(example.quota, defaults.quota);
        assert_eq!(example.storage_cache, defaults.storage_cache);
        assert_eq!(example.max_dead_property_bytes, defaults.max_dead_property_bytes);
        assert_eq!(example.max_dead_properties, defaults.max_dead_properties);
        assert_eq!(example.http, defaults.http);
        assert_eq!(example.auth, defaults.auth);
        assert_eq!(example.trusted_proxies, defaults.trusted_proxies);
        assert_eq!(example.site_name, defaults.site_name);
        assert_eq!(example.embed_origins, defaults.embed_origins);
        assert_eq!(example.audit_retention, defaults.audit_retention);
        assert_eq!(example.webhooks, defaults.webhooks);
        assert_eq!(example.dashboard, defaults.dashboard);
        assert_eq!(example.metrics_token, defaults.metrics_token);
        assert_eq!(example.admins, defaults.admins);
        assert_eq!(example.storage, defaults.storage);
    }

    /// (issue 12 §5) A coach's `language` and `browser_language`.
    #[test]
    fn a_coachs_language_is_read_and_an_unknown_one_named() {
        use crate::i18n::Locale;
        let c = Config::parse(&format!("{COACH}language = \"de\"\nbrowser_language = false\n"), Path::new("x.toml"));
        // Keys after the event type block belong to it: put them first.
        assert!(c.is_err(), "language after [[coach.event_type]] is the event type's: refused");
        let text = COACH.replace("bookings_calendar = \"sessions\"", "bookings_calendar = \"sessions\"\nlanguage = \"de-AT\"\nbrowser_language = false");
        let c = Config::parse(&text, Path::new("x.toml")).unwrap();
        assert_eq!((c.coaches[0].language, c.coaches[0].browser_language), (Locale::De, false));
        let c = Config::parse(COACH, Path::new("x.toml")).unwrap();
        assert_eq!((c.coaches[0].language, c.coaches[0].browser_language), (Locale::En, true), "the defaults");
        let text = COACH.replace("bookings_calendar = \"sessions\"", "bookings_calendar = \"sessions\"\nlanguage = \"tlh\"");
        let e = Config::parse(&text, Path::new("x.toml")).unwrap_err().to_string();
        assert!(e.contains("language") && e.contains("tlh") && e.contains("line"), "{e}");
    }

    #[test]
    fn audit_retention_and_webhooks_are_read_and_bad_ones_named() {
        let c = Config::parse(
            "audit_retention = \"30d\"\n[[webhook]]\nurl = \"https://hooks.example.org/x\"\nsecret = \"0123456789abcdef\"\nevents = [\"booking.created\", \"waitlist.offered\"]\ncoach = \"alice\"\n[[coach]]\nuser = \"alice\"\ntimezone = \"UTC\"\n",
            Path::new("x.toml"),
        )
        .unwrap();
        assert_eq!(c.audit_retention, chrono::Duration::days(30));
        assert_eq!(c.webhooks.len(), 1);
        assert_eq!(c.webhooks[0].max_attempts, crate::webhooks::DEFAULT_MAX_ATTEMPTS);
        assert!(c.webhooks[0].wants("booking.created", "alice") && !c.webhooks[0].wants("booking.created", "bob"));
        assert_eq!(Config::default().audit_retention, chrono::Duration::days(400));
        let bad = |t: &str| Config::parse(t, Path::new("x.toml")).unwrap_err().to_string();
        let hook = |extra: &str| format!("\n[[webhook]]\nsecret = \"0123456789abcdef\"\n{extra}\n");
        assert!(bad("audit_retention = \"soon\"").contains("audit_retention"));
        assert!(bad("audit_retention = \"1h\"").contains("at least 1d"));
        let e = bad(&hook("url = \"ftp://x.org/\"\nevents = [\"booking.created\"]"));
        assert!(e.contains("webhook.url") && e.contains("line 2"), "{e}");
        assert!(bad(&hook("url = \"https://x.org/\"\nevents = [\"booking.paid\"]")).contains("webhook.events"));
        assert!(bad(&hook("url = \"https://x.org/\"\nevents = []")).contains("webhook.events"));
        assert!(bad(&hook("url = \"https://x.org/\"\nevents = [\"booking.created\"]\nmax_attempts = 0")).contains("webhook.max_attempts"));
        assert!(bad("[[webhook]]\nurl = \"https://x.org/\"\nsecret = \"short\"\nevents = [\"booking.created\"]").contains("webhook.secret"));
        let e = bad(&hook("url = \"https://x.org/\"\nevents = [\"booking.created\"]\ncoach = \"nobody\""));
        assert!(e.contains("webhook.coach") && e.contains("nobody"), "{e}");
        let twice = format!("{}{}", hook("url = \"https://x.org/\"\nevents = [\"booking.created\"]"), hook("url = \"https://x.org/\"\nevents = [\"booking.cancelled\"]"));
        assert!(bad(&twice).contains("two [[webhook]] blocks"));
    }

    #[test]
    fn dashboard_session_ttl_is_read_and_bad_ones_name_key_and_line() {
        assert_eq!(Config::default().dashboard.ttl, chrono::Duration::hours(12));
        let c = Config::parse("[dashboard]\nsession_ttl = \"30m\"\n", Path::new("x.toml")).unwrap();
        assert_eq!(c.dashboard.ttl, chrono::Duration::minutes(30));
        for bad in ["\"soon\"", "\"10s\"", "\"365d\""] {
            let err = Config::parse(&format!("[dashboard]\n\nsession_ttl = {bad}\n"), Path::new("x.toml")).unwrap_err().to_string();
            assert!(err.contains("dashboard.session_ttl") && err.contains("line 3"), "{bad}: {err}");
        }
    }

    #[test]
    fn booking_limits_are_read_and_zero_is_refused_with_its_line() {
        let c = Config::parse("[booking]\nmax_holds_per_client = 5\nmax_upcoming_bookings_per_email = 40\n", Path::new("x.toml")).unwrap();
        assert_eq!(c.booking_limits.max_holds_per_client, 5);
        assert_eq!(c.booking_limits.max_upcoming_per_email, 40);
        let err = Config::parse("[booking]\n\nmax_holds_per_client = 0\n", Path::new("x.toml")).unwrap_err().to_string();
        assert!(err.contains("max_holds_per_client") && err.contains("line 3"), "{err}");
    }

    #[test]
    fn limits_take_sizes_with_units_and_name_bad_ones() {
        let c = Config::parse("[storage]\ncache = \"8MiB\"\n", Path::new("x.toml")).unwrap();
        assert_eq!(c.storage_cache, 8 << 20);
        assert_eq!(Config::parse("[storage]\ncache = 2097152\n", Path::new("x.toml")).unwrap().storage_cache, 2 << 20);
        assert_eq!(Config::default().storage_cache, DEFAULT_STORAGE_CACHE);
        for (bad, why) in [("\"512KiB\"", "at least 1MiB"), ("\"lots\"", "storage.cache"), ("0", "at least 1MiB")] {
            let err = Config::parse(&format!("[storage]\n\ncache = {bad}\n"), Path::new("x.toml")).unwrap_err().to_string();
            assert!(err.contains("storage.cache") && err.contains("line 3") && err.contains(why), "{err}");
        }
        assert!(Config::parse("[storage]\nsize = 1\n", Path::new("x.toml")).is_err(), "unknown keys are refused");
        let c = Config::parse("[limits]\nquota = \"2GiB\"\nmax_dead_property_bytes = 4096\n", Path::new("x.toml")).unwrap();
        assert_eq!(c.quota, 2 << 30);
        assert_eq!(c.max_dead_property_bytes, 4096);
        let c = Config::parse("[limits]\nquota = \"unlimited\"\n", Path::new("x.toml")).unwrap();
        assert_eq!(c.quota, u64::MAX);
        let err = Config::parse("[limits]\n\nquota = \"lots\"\n", Path::new("x.toml")).unwrap_err().to_string();
        assert!(err.contains("limits.quota") && err.contains("line 3"), "{err}");
        let err = Config::parse("[limits]\nquota = \"1 parsec\"\n", Path::new("x.toml")).unwrap_err().to_string();
        assert!(err.contains("unknown unit"), "{err}");
        let err = Config::parse("[limits]\nmax_dead_properties = 0\n", Path::new("x.toml")).unwrap_err().to_string();
        assert!(err.contains("max_dead_properties"), "{err}");
        assert_eq!(parse_size("10MB"), Ok(10_000_000));
        assert_eq!(parse_size("64KiB"), Ok(65_536));
    }

    #[test]
    fn edge_settings_parse_and_bad_ones_name_key_and_line() {
        let c = Config::parse(
            "trusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\", \"fd00::/8\"]\n[http]\nheader_timeout = \"5s\"\nmax_connections = 10\n[auth]\nbackoff_max = \"1m\"\n",
            Path::new("x.toml"),
        )
        .unwrap();
        assert_eq!(c.trusted_proxies.len(), 3);
        assert_eq!(c.http.header_timeout, std::time::Duration::from_secs(5));
        assert_eq!(c.http.max_connections, 10);
        assert_eq!(c.auth.backoff_max, std::time::Duration::from_secs(60));
        assert!(!c.public_url_set);
        let err = Config::parse("realm = \"x\"\ntrusted_proxies = [\"10.0.0.0/40\"]\n", Path::new("x.toml")).unwrap_err().to_string();
        assert!(err.contains("`trusted_proxies`") && err.contains("line 2") && err.contains("10.0.0.0/40"), "{err}");
        let err = Config::parse("[http]\n\nkeep_alive_timeout = \"0s\"\n", Path::new("x.toml")).unwrap_err().to_string();
        assert!(err.contains("http.keep_alive_timeout") && err.contains("line 3"), "{err}");
        let err = Config::parse("[http]\nmax_connections = 0\n", Path::new("x.toml")).unwrap_err().to_string();
        assert!(err.contains("http.max_connections") && err.contains("line 2"), "{err}");
        let err = Config::parse("[http]\nidle = \"1s\"\n", Path::new("x.toml")).unwrap_err().to_string();
        assert!(err.contains("idle"), "{err}");
        assert!(Config::parse("public_url = \"https://x.org\"\n", Path::new("x.toml")).unwrap().public_url_set);
    }

    #[test]
    fn unknown_key_is_named_with_its_line() {
        let err = Config::parse("listen = \"127.0.0.1:1\"\nlistne = 3\n", Path::new("x.toml")).unwrap_err().to_string();
        assert!(err.contains("listne"), "{err}");
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn bad_type_is_named_with_its_line() {
        let err = Config::parse("\nmax_request_body = \"big\"\n", Path::new("x.toml")).unwrap_err().to_string();
        assert!(err.contains("line 2"), "{err}");
        assert!(err.contains("max_request_body"), "{err}");
    }

    const COACH: &str = r#"
[[coach]]
user = "alice"
slug = "alice"
timezone = "Europe/Berlin"
availability_calendar = "availability"
busy_calendars = "all"
bookings_calendar = "sessions"
[coach.working_hours]
mon = ["09:00-12:00", "13:00-17:00"]
[[coach.event_type]]
slug = "consultation"
title = "Free consultation"
duration = "15m"
slot_interval = "15m"
buffer_before = "0m"
buffer_after = "5m"
min_notice = "12h"
horizon = "60d"
max_per_day = 8
seats = 1
once_per_student = true
requires_confirmation = false
cancel_notice = "24h"
reschedule_notice = "12h"
price = "free"
"#;

    #[test]
    fn the_documented_coach_block_parses() {
        let c = Config::parse(COACH, Path::new("x.toml")).unwrap();
        let coach = &c.coaches[0];
        assert_eq!(coach.slug, "alice");
        assert_eq!(coach.policy.tz, chrono_tz::Europe::Berlin);
        let et = coach.policy.event_type("consultation").unwrap();
        assert_eq!(et.duration, chrono::Duration::minutes(15));
        assert_eq!(et.buffer_after, chrono::Duration::minutes(5));
        assert_eq!(et.max_per_day, Some(8));
        assert!(et.once_per_student);
        assert_eq!(coach.busy_calendars, BusyCalendars::All);
    }

    #[test]
    fn bad_coach_values_name_key_and_line() {
        let text = COACH.replace("min_notice = \"12h\"", "min_notice = \"12 hours\"");
        let err = Config::parse(&text, Path::new("x.toml")).unwrap_err().to_string();
        assert!(err.contains("coach[0].event_type[0].min_notice") && err.contains("line 18"), "{err}");
        let text = COACH.replace("Europe/Berlin", "Mars/Olympus");
        let err = Config::parse(&text, Path::new("x.toml")).unwrap_err().to_string();
        assert!(err.contains("coach[0].timezone") && err.contains("line 5"), "{err}");
        let text = COACH.replace("\"09:00-12:00\", ", "\"12:00-09:00\", ");
        let err = Config::parse(&text, Path::new("x.toml")).unwrap_err().to_string();
        assert!(err.contains("working_hours"), "{err}");
    }

    #[test]
    fn machine_zone_names_are_read_in_every_form() {
        assert_eq!(zone_from_name("Europe/Berlin\n"), Some(chrono_tz::Europe::Berlin));
        assert_eq!(zone_from_name(":America/New_York"), Some(chrono_tz::America::New_York));
        assert_eq!(zone_from_name("/usr/share/zoneinfo/Asia/Tokyo"), Some(chrono_tz::Asia::Tokyo));
        assert_eq!(zone_from_name("../usr/share/zoneinfo/UTC"), Some(chrono_tz::UTC));
        assert_eq!(zone_from_name("CET-1CEST"), None);
        assert_eq!(zone_from_name(""), None);
    }

    #[test]
    fn the_sample_coach_is_listed_and_valid_and_only_in_try_it_mode() {
        assert!(Config::default().coaches.is_empty());
        let c = Config::default().with_sample_coach(chrono_tz::Europe::Berlin);
        let coach = &c.coaches[0];
        assert_eq!((coach.slug.as_str(), coach.listed), ("admin", true));
        assert_eq!(coach.policy.tz, chrono_tz::Europe::Berlin);
        let intro = coach.policy.event_type("intro").unwrap();
        assert_eq!(intro.duration, chrono::Duration::minutes(30));
        intro.validate().unwrap();
    }

    #[test]
    fn site_name_and_listed_are_read_and_checked() {
        assert_eq!(Config::default().site_name, "slotdav");
        let c = Config::parse(&format!("site_name = \"Music School\"\n{COACH}listed = true\n"), Path::new("x.toml"));
        // `listed` after the event type block belongs to the event type: refused.
        assert!(c.is_err());
        let text = COACH.replace("bookings_calendar = \"sessions\"", "bookings_calendar = \"sessions\"\nlisted = true");
        let c = Config::parse(&format!("site_name = \"Music School\"\n{text}"), Path::new("x.toml")).unwrap();
        assert_eq!(c.site_name, "Music School");
        assert!(c.coaches[0].listed);
        assert!(!Config::parse(COACH, Path::new("x.toml")).unwrap().coaches[0].listed);
        let err = Config::parse("site_name = \"  \"\n", Path::new("x.toml")).unwrap_err().to_string();
        assert!(err.contains("site_name") && err.contains("line 1"), "{err}");
    }

    #[test]
    fn unparsable_listen_address_is_named_with_its_line() {
        let err = Config::parse("realm = \"x\"\nlisten = \"localhost\"\n", Path::new("x.toml")).unwrap_err().to_string();
        assert!(err.contains("`listen`") && err.contains("line 2"), "{err}");
    }

    #[test]
    fn metrics_token_and_admins_are_read_and_checked() {
        let d = Config::default();
        assert_eq!((d.metrics_token, d.admins), (None, vec!["admin".to_string()]));
        let c = Config::parse("metrics_token = \"0123456789abcdef-xyz\"\nadmins = [\"root\", \"ops\"]\n", Path::new("x.toml")).unwrap();
        assert_eq!(c.metrics_token.as_deref(), Some("0123456789abcdef-xyz"));
        assert_eq!(c.admins, vec!["root", "ops"]);
        let err = Config::parse("\nmetrics_token = \"short\"\n", Path::new("x.toml")).unwrap_err().to_string();
        assert!(err.contains("metrics_token") && err.contains("line 2"), "{err}");
        let err = Config::parse("admins = [\"no/slash\"]\n", Path::new("x.toml")).unwrap_err().to_string();
        assert!(err.contains("admins") && err.contains("no/slash"), "{err}");
    }

    // waitlists (part A)
    #[test]
    fn waitlist_keys_are_read_with_their_defaults_and_checked() {
        let et = |extra: &str| Config::parse(&format!("{COACH}{extra}\n"), Path::new("x.toml"));
        let c = et("").unwrap();
        let t = &c.coaches[0].policy.event_types[0];
        assert_eq!((t.waitlist, t.waitlist_offer_ttl), (None, chrono::Duration::hours(2)));
        assert_eq!(t.has_waitlist(), t.seats > 1);
        let c = et("waitlist = true\nwaitlist_offer_ttl = \"45m\"").unwrap();
        let t = &c.coaches[0].policy.event_types[0];
        assert!(t.has_waitlist());
        assert_eq!(t.waitlist_offer_ttl, chrono::Duration::minutes(45));
        let err = et("waitlist_offer_ttl = \"soon\"").unwrap_err().to_string();
        assert!(err.contains("waitlist_offer_ttl"), "{err}");
        let err = et("waitlist_offer_ttl = \"0m\"").unwrap_err().to_string();
        assert!(err.contains("waitlist_offer_ttl"), "{err}");
    }

    // guardians (issue 11 §4)
    #[test]
    fn guardian_keys_default_off_the_event_type_overrides_the_coach_and_bad_words_are_refused() {
        use crate::booking::guardian::GuardianPolicy;
        let parse = |coach_extra: &str, et_extra: &str| {
            let text = COACH.replacen("[coach.working_hours]", &format!("{coach_extra}\n[coach.working_hours]"), 1);
            Config::parse(&format!("{text}{et_extra}\n"), Path::new("x.toml"))
        };
        let c = parse("", "").unwrap();
        let t = &c.coaches[0].policy.event_types[0];
        assert_eq!((t.guardian, t.guardian_can_manage), (GuardianPolicy::Off, true));
        let c = parse("guardian = \"required\"\nguardian_can_manage = false", "").unwrap();
        let t = &c.coaches[0].policy.event_types[0];
        assert_eq!((t.guardian, t.guardian_can_manage), (GuardianPolicy::Required, false));
        let c = parse("guardian = \"required\"\nguardian_can_manage = false", "guardian = \"optional\"\nguardian_can_manage = true").unwrap();
        let t = &c.coaches[0].policy.event_types[0];
        assert_eq!((t.guardian, t.guardian_can_manage), (GuardianPolicy::Optional, true));
        let err = parse("", "guardian = \"parents\"").unwrap_err().to_string();
        assert!(err.contains("event_type[0].guardian") && err.contains("line"), "{err}");
        let err = parse("guardian = \"yes\"", "").unwrap_err().to_string();
        assert!(err.contains("coach[0].guardian") && err.contains("\"optional\""), "{err}");
    }
}
