//! Administration that works whether or not the server is running.
//!
//! sled lets one process open a store. While `slotdav serve` runs, it
//! listens on a Unix socket `admin.sock` in the data directory (mode 0600,
//! so only the owner of the data can use it); the CLI sends each
//! [`AdminCommand`] there as one JSON line. When no server answers, the CLI
//! opens the store itself and runs the same [`execute`].
//!
//! [`check`] composes `slotdav check` from the layers that own each
//! invariant: the DAV tree (`storage`), bookings (`booking::service`) and
//! the outbox (`mail::check`).
//! Every change of a user, a feed or a private link writes its audit entry
//! ([`crate::audit::admin_records`], actor "admin") in the same batch.
//! `Backup` writes [`crate::storage::backup`] files; `Export` / `Import`
//! move calendars as `.ics` files ([`crate::calendar_files`]).
//! Imports `audit`, `booking` (private links, the bookings' check), `feeds`,
//! `mail`, `webhooks` (their listings), `calendar_files`, `storage`,
//! `model`, `clock`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

use crate::storage::check::CheckReport;
use crate::storage::{Storage, StorageError, User};
use crate::audit::{self, FieldChange, Subject};

/// What an admin can ask for. Passwords travel only as argon2 hashes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub enum AdminCommand {
    UserAdd { name: String, email: Option<String>, password_hash: String },
    UserPasswd { name: String, password_hash: String },
    UserEmail { name: String, email: Option<String> },
    UserList,
    UserRemove { name: String },
    /// Publishes a calendar under a secret feed URL (`base_url` is the
    /// server's public URL, for the answer).
    FeedAdd { user: String, calendar: String, base_url: String },
    FeedList { user: Option<String>, base_url: String },
    FeedRevoke { token: String },
    /// (D) A secret link to a private event type (`url`: its page, which
    /// the answer prints with `?key=TOKEN`).
    LinkAdd { coach: String, event_type: String, url: String },
    LinkList { coach: Option<String> },
    /// By token or listed id.
    LinkRevoke { token: String },
    /// Pending and failed mail and webhook deliveries, and how much was sent.
    OutboxList,
    /// Verifies the store's invariants (`slotdav check`), and with
    /// `repair` fixes what can be fixed safely. `bookings_calendars` names
    /// each configured coach's bookings calendar; other users' bookings are
    /// looked for in [`DEFAULT_BOOKINGS_CALENDAR`]. Answers the
    /// [`CheckReport`] as JSON.
    Check { repair: bool, bookings_calendars: Vec<(String, String)> },
    /// The audit trail, selected; `since` is RFC 3339 or YYYY-MM-DD.
    Audit { coach: Option<String>, since: Option<String>, booking: Option<String>, json: bool },
    /// A consistent snapshot of the whole store into `file` (an absolute
    /// path, written by whoever runs the command: the server or the CLI),
    /// [`crate::storage::backup`].
    Backup { file: PathBuf },
    /// `user`'s calendars (or one) as `.ics` files in `out` (absolute),
    /// [`crate::calendar_files::export`].
    Export { user: String, calendar: Option<String>, out: PathBuf },
    /// Reads the `.ics` file `file` (absolute) into `user`'s `calendar`,
    /// [`crate::calendar_files::import_file`].
    Import { user: String, calendar: String, file: PathBuf, skip_existing: bool },
}

/// Where a booking's event is looked for when its coach is not configured
/// (the configuration's default).
pub const DEFAULT_BOOKINGS_CALENDAR: &str = "sessions";

/// `slotdav check`: the DAV tree's invariants (storage), then the
/// bookings' (booking service) and the outbox's (mail), in one report.
pub fn check(storage: &dyn Storage, repair: bool, bookings_calendars: &[(String, String)], now: DateTime<Utc>) -> Result<CheckReport, StorageError> {
    let mut report = storage.check_tree(repair)?;
    let calendar_of = |coach: &str| {
        Some(
            bookings_calendars
                .iter()
                .find(|(user, _)| user == coach)
                .map_or(DEFAULT_BOOKINGS_CALENDAR.to_string(), |(_, cal)| cal.clone()),
        )
    };
    report.merge(crate::booking::service::check_bookings(storage, &calendar_of, repair, now)?);
    report.merge(crate::mail::check::check_outbox(storage, repair, now)?);
    Ok(report)
}

/// `--since`: a date (midnight UTC) or an RFC 3339 time.
pub fn parse_since(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc())
        .map_err(|_| format!("`{text}` is not a date like 2030-03-04 or a time like 2030-03-04T09:00:00Z"))
}

/// The answer: a message for the admin, or why it failed.
pub type AdminResult = Result<String, String>;

pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join("admin.sock")
}

/// Runs one command against the store.
pub fn execute(storage: &dyn Storage, cmd: AdminCommand, now: DateTime<Utc>) -> AdminResult {
    let backend = |e: crate::storage::StorageError| format!("storage error: {e}");
    match cmd {
        AdminCommand::UserAdd { name, email, password_hash } => {
            if !crate::model::valid_user_name(&name) {
                return Err(format!("`{name}` is not a valid user name (letters, digits, '.', '_', '-'; at most 64)"));
            }
            if storage.user(&name).map_err(backend)?.is_some() {
                return Err(format!("user `{name}` already exists"));
            }
            let record = audit::admin_records(now, "user.added", Subject::User { name: name.clone() }, vec![FieldChange::new("email", None, email.clone())]);
            storage.put_user_with(&User { name: name.clone(), password_hash, email, created: now }, record, now).map_err(backend)?;
            storage.flush().map_err(backend)?;
            Ok(format!("created user `{name}`"))
        }
        AdminCommand::UserPasswd { name, password_hash } => {
            let mut user = storage.user(&name).map_err(backend)?.ok_or_else(|| format!("no user `{name}`"))?;
            user.password_hash = password_hash;
            let changed = FieldChange::new("password", Some("(old)".into()), Some("(new)".into()));
            let record = audit::admin_records(now, "user.password-changed", Subject::User { name: name.clone() }, vec![changed]);
            storage.put_user_with(&user, record, now).map_err(backend)?;
            storage.flush().map_err(backend)?;
            Ok(format!("changed the password of `{name}`"))
        }
        AdminCommand::UserEmail { name, email } => {
            let mut user = storage.user(&name).map_err(backend)?.ok_or_else(|| format!("no user `{name}`"))?;
            let changed = FieldChange::new("email", user.email.clone(), email.clone());
            user.email = email.clone();
            let record = audit::admin_records(now, "user.email-changed", Subject::User { name: name.clone() }, vec![changed]);
            storage.put_user_with(&user, record, now).map_err(backend)?;
            storage.flush().map_err(backend)?;
            Ok(match email {
                Some(e) => format!("set the email of `{name}` to {e}"),
                None => format!("removed the email of `{name}`"),
            })
        }
        AdminCommand::UserList => {
            let users = storage.users().map_err(backend)?;
            if users.is_empty() {
                return Ok("no users".to_string());
            }
            Ok(users
                .iter()
                .map(|u| format!("{}\t{}\t{}", u.name, u.email.as_deref().unwrap_or("-"), u.created.format("%Y-%m-%d")))
                .collect::<Vec<_>>()
                .join("\n"))
        }
        AdminCommand::FeedAdd { user, calendar, base_url } => {
            let rec = crate::feeds::create_with(storage, &user, &calendar, now, |r| {
                audit::admin_records(now, "feed.added", Subject::Feed { user: r.user.clone(), calendar: r.calendar.clone() }, vec![])
            })
            .map_err(|e| e.to_string())?;
            Ok(format!("published {user}/{calendar} at {base_url}/feeds/{}.ics\n(anyone with this URL can read the calendar; revoke with `slotdav feed revoke {}`)", rec.token, rec.token))
        }
        AdminCommand::LinkAdd { coach, event_type, url } => {
            use crate::booking::service::private_links;
            let subject = |r: &private_links::PrivateLink| Subject::PrivateLink { coach: r.coach.clone(), event_type: r.event_type.clone() };
            let (token, _) = private_links::create_with(storage, &coach, &event_type, now, |r| audit::admin_records(now, "link.added", subject(r), vec![]))
                .map_err(|e| e.to_string())?;
            Ok(format!("{url}?key={token}\n(anyone with this link can book {coach}/{event_type}; it is shown once; revoke with `slotdav link revoke {token}`)"))
        }
        AdminCommand::LinkList { coach } => {
            let links = crate::booking::service::private_links::list(storage, coach.as_deref()).map_err(|e| e.to_string())?;
            if links.is_empty() {
                return Ok("no links".to_string());
            }
            Ok(links
                .iter()
                .map(|(id, l)| format!("{id}\t{}\t{}\t{}", l.coach, l.event_type, l.created.format("%Y-%m-%d")))
                .collect::<Vec<_>>()
                .join("\n"))
        }
        AdminCommand::LinkRevoke { token } => {
            use crate::booking::service::private_links;
            let subject = |r: &private_links::PrivateLink| Subject::PrivateLink { coach: r.coach.clone(), event_type: r.event_type.clone() };
            let rec = private_links::revoke_with(storage, &token, now, |r| audit::admin_records(now, "link.revoked", subject(r), vec![]))
                .map_err(|e| e.to_string())?;
            Ok(format!("revoked a link to {}/{}", rec.coach, rec.event_type))
        }
        AdminCommand::FeedList { user, base_url } => {
            let feeds = crate::feeds::list(storage, user.as_deref()).map_err(|e| e.to_string())?;
            if feeds.is_empty() {
                return Ok("no feeds".to_string());
            }
            Ok(feeds
                .iter()
                .map(|f| format!("{}\t{}\t{}/feeds/{}.ics\t{}", f.user, f.calendar, base_url, f.token, f.created.format("%Y-%m-%d")))
                .collect::<Vec<_>>()
                .join("\n"))
        }
        AdminCommand::FeedRevoke { token } => {
            let rec = crate::feeds::revoke_with(storage, &token, now, |r| {
                audit::admin_records(now, "feed.revoked", Subject::Feed { user: r.user.clone(), calendar: r.calendar.clone() }, vec![])
            })
            .map_err(|e| e.to_string())?;
            Ok(format!("revoked the feed of {}/{}", rec.user, rec.calendar))
        }
        AdminCommand::Check { repair, bookings_calendars } => {
            let report = check(storage, repair, &bookings_calendars, now).map_err(backend)?;
            Ok(serde_json::to_string(&report).expect("reports serialise"))
        }
        AdminCommand::OutboxList => {
            let mail = crate::mail::listing(storage).map_err(backend)?;
            let hooks = crate::webhooks::listing(storage).map_err(backend)?;
            Ok(format!("{mail}\n{hooks}"))
        }
        AdminCommand::Audit { coach, since, booking, json } => {
            let since = since.as_deref().map(parse_since).transpose()?;
            let q = audit::AuditQuery { coach, booking, since, ..Default::default() };
            audit::listing(storage, &q, json).map_err(backend)
        }
        AdminCommand::Backup { file } => {
            let summary = crate::storage::backup::write(storage, &file, now).map_err(|e| format!("backup failed: {e}"))?;
            Ok(format!("backed up {}", summary.describe(&file)))
        }
        AdminCommand::Export { user, calendar, out } => {
            let written = crate::calendar_files::export(storage, &user, calendar.as_deref(), &out).map_err(|e| format!("export failed: {e}"))?;
            if written.is_empty() {
                return Ok(format!("`{user}` has no calendars"));
            }
            Ok(written.iter().map(|c| format!("{}\t{} objects\t{}", c.calendar, c.objects, c.file.display())).collect::<Vec<_>>().join("\n"))
        }
        AdminCommand::Import { user, calendar, file, skip_existing } => {
            let report = crate::calendar_files::import_file(storage, &user, &calendar, &file, skip_existing, now).map_err(|e| format!("import failed: {e}"))?;
            Ok(report.text())
        }
        AdminCommand::UserRemove { name } => {
            let record = audit::admin_records(now, "user.removed", Subject::User { name: name.clone() }, vec![]);
            if storage.remove_user_with(&name, record, now).map_err(backend)? {
                storage.flush().map_err(backend)?;
                Ok(format!("removed user `{name}` and their calendars"))
            } else {
                Err(format!("no user `{name}`"))
            }
        }
    }
}

/// Sends a command to a running server. `Ok(None)` when no server listens.
pub fn send(data_dir: &Path, cmd: &AdminCommand) -> std::io::Result<Option<AdminResult>> {
    let path = socket_path(data_dir);
    let mut stream = match std::os::unix::net::UnixStream::connect(&path) {
        Ok(s) => s,
        Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused) => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut line = serde_json::to_string(cmd).expect("commands serialise");
    line.push('\n');
    stream.write_all(line.as_bytes())?;
    let mut answer = String::new();
    BufReader::new(stream).read_line(&mut answer)?;
    let result: AdminResult = serde_json::from_str(&answer)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("bad answer from server: {e}")))?;
    Ok(Some(result))
}

/// Serves the admin socket until the task is dropped.
pub async fn serve(data_dir: PathBuf, storage: Arc<dyn Storage>, clock: Arc<dyn crate::clock::Clock>) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let path = socket_path(&data_dir);
    let _ = std::fs::remove_file(&path);
    let listener = tokio::net::UnixListener::bind(&path)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    loop {
        let (stream, _) = listener.accept().await?;
        let storage = storage.clone();
        let clock = clock.clone();
        tokio::spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut lines = tokio::io::BufReader::new(read).lines();
            if let Ok(Some(line)) = lines.next_line().await {
                let result: AdminResult = match serde_json::from_str::<AdminCommand>(&line) {
                    Ok(cmd) => {
                        tracing::info!(?cmd, "admin command");
                        let now = clock.now();
                        tokio::task::spawn_blocking(move || execute(&*storage, cmd, now))
                            .await
                            .unwrap_or_else(|e| Err(format!("internal error: {e}")))
                    }
                    Err(e) => Err(format!("bad command: {e}")),
                };
                let mut out = serde_json::to_string(&result).expect("results serialise");
                out.push('\n');
                let _ = write.write_all(out.as_bytes()).await;
            }
        });
    }
}
