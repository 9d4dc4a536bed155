//! The command line: `slotdav [serve]`, `slotdav user …`, `slotdav feed …`,
//! `slotdav link …`, `slotdav outbox list`, `slotdav check`, `slotdav audit`, `slotdav
//! backup` / `restore`, `slotdav export` / `import`. Without `--config`, `serve` runs in try-it mode
//! (the embedded defaults and a sample booking page for `admin`).

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "slotdav", version, about = "CalDAV server and booking page for coaches and tutors")]
pub struct Cli {
    /// TOML configuration file (embedded defaults when absent).
    #[arg(long, short, global = true)]
    pub config: Option<PathBuf>,
    /// Listen on this address instead of the configured one (port 0: any
    /// free port, shown in the log).
    #[arg(long, global = true)]
    pub listen: Option<std::net::SocketAddr>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Manage users; works while the server runs.
    #[command(subcommand)]
    User(UserCommand),
    /// Publish calendars as secret ICS feed URLs; works while the server runs.
    #[command(subcommand)]
    Feed(FeedCommand),
    /// Secret links to private event types (`private = true`); works while the server runs.
    #[command(subcommand)]
    Link(LinkCommand),
    /// Inspect the mail outbox and webhook deliveries; works while the server runs.
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// Verify the store's invariants (indexes, change logs, usage, bookings
    /// and their events, the outbox) and report each problem; works while
    /// the server runs. Exit status 0 when clean, 1 when problems were
    /// found, 2 when the check could not run.
    Check {
        /// Fix what can be fixed safely: rebuild indexes and usage from the
        /// objects, drop index entries that point nowhere. Never deletes a
        /// user's object.
        #[arg(long)]
        repair: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The audit trail (oldest first); works while the server runs.
    Audit {
        /// Only entries about this coach (user name).
        #[arg(long)]
        coach: Option<String>,
        /// Only entries from this date (YYYY-MM-DD, UTC) or time (RFC 3339) on.
        #[arg(long)]
        since: Option<String>,
        /// Only entries about this booking (reference or id).
        #[arg(long)]
        booking: Option<String>,
        /// One JSON object per line instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Write a consistent snapshot of the whole store to FILE (owner-only,
    /// replaced atomically); works while the server runs (writes wait
    /// while the snapshot is taken).
    Backup { file: PathBuf },
    /// Bring a backup back as the store in an empty or new directory
    /// (the configured data directory unless --data-dir is given), after
    /// checking its record count and checksum. Run it with the server
    /// stopped.
    Restore {
        file: PathBuf,
        /// Where the restored store goes (must be empty or missing).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// The store as a whole: `storage copy`.
    #[command(subcommand)]
    Storage(StorageCommand),
    /// Write USER's calendars (or only CALENDAR) as .ics files, one per
    /// calendar (USER-CALENDAR.ics); works while the server runs.
    Export {
        user: String,
        calendar: Option<String>,
        /// The folder for the files (the working directory by default).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Read an .ics file into USER's CALENDAR (made when missing): one
    /// object per UID, each checked like a PUT; an existing UID is
    /// replaced unless --skip-existing. Prints what was imported,
    /// replaced, kept and refused (with why); works while the server runs.
    /// Nothing is scheduled or mailed.
    Import {
        user: String,
        calendar: String,
        file: PathBuf,
        /// Keep the calendar's object where the file has the same UID.
        #[arg(long)]
        skip_existing: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum StorageCommand {
    /// Copy a whole store (users, calendars byte for byte, dead
    /// properties, sync state, bookings, holds, the outbox, feed tokens:
    /// every record) into an EMPTY one, then compare counts and SHA-256
    /// checksums of every kind of record and print them. Each side is a
    /// data directory (sled; the server on it must be stopped) or a
    /// `postgres://` URL. Exit status 0 when copied and verified, 1 when
    /// refused or different, 2 when a store cannot be opened.
    Copy {
        /// The store to copy: DATA_DIR or postgres://…
        #[arg(long)]
        from: String,
        /// The empty store to fill: DATA_DIR or postgres://…
        #[arg(long)]
        to: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum FeedCommand {
    /// Publish USER's CALENDAR and print its secret URL.
    Add { user: String, calendar: String },
    /// List feeds (of one user).
    List { user: Option<String> },
    /// Revoke a feed: its URL stops working at once.
    Revoke {
        /// The token may start with `-` (base64url): taken as it is.
        #[arg(allow_hyphen_values = true)]
        token: String,
    },
}

/// (D) `slotdav link …`: secret links to private event types.
#[derive(Debug, Subcommand)]
pub enum LinkCommand {
    /// Make a secret link to COACH's private event type TYPE and print it
    /// (shown once: only its hash is stored).
    Add { coach: String, event_type: String },
    /// List links (of one coach) by id, coach, type and date.
    List { coach: Option<String> },
    /// Revoke a link by its token or its listed id: it answers 404 at once.
    Revoke {
        /// The token may start with `-` (base64url): taken as it is.
        #[arg(allow_hyphen_values = true)]
        token: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Pending messages, failed ones with the reason, and the sent count.
    List,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; the password is read from a prompt or from stdin.
    Add {
        name: String,
        #[arg(long)]
        email: Option<String>,
    },
    /// Change a user's password (prompt or stdin).
    Passwd { name: String },
    /// Set or clear (`--email ""`) a user's email address.
    Email { name: String, #[arg(long)] email: String },
    /// List users.
    List,
    /// Remove a user and everything they store.
    Remove { name: String },
}

/// Reads a new password: twice at a prompt on a terminal, one line from
/// stdin otherwise. Never from the command line, where `ps` would show it.
pub fn read_new_password() -> Result<String, String> {
    let stdin = std::io::stdin();
    let password = if stdin.is_terminal() {
        let first = rpassword::prompt_password("New password: ").map_err(|e| e.to_string())?;
        let second = rpassword::prompt_password("Repeat password: ").map_err(|e| e.to_string())?;
        if first != second {
            return Err("the passwords differ".into());
        }
        first
    } else {
        let mut line = String::new();
        stdin.lock().read_line(&mut line).map_err(|e| e.to_string())?;
        line.trim_end_matches(['\r', '\n']).to_string()
    };
    if password.is_empty() {
        return Err("the password is empty".into());
    }
    Ok(password)
}

#[cfg(test)]
mod token_args {
    use super::*;
    use clap::Parser;

    /// A secret token is base64url: one in 64 starts with `-`, and it must
    /// still be revocable without `--`.
    #[test]
    fn a_token_that_starts_with_a_hyphen_is_a_token() {
        for args in [["slotdav", "feed", "revoke", "-q3Xy"], ["slotdav", "link", "revoke", "-q3Xy"]] {
            let cli = Cli::try_parse_from(args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
            assert!(format!("{cli:?}").contains("\"-q3Xy\""), "{cli:?}");
        }
    }
}
