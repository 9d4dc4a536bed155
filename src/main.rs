//! The `slotdav` binary: command line → configuration → server or admin
//! command. All logic lives in the library.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use rand::distributions::{Alphanumeric, DistString};

use slotdav::admin::{self, AdminCommand};
use slotdav::app::App;
use slotdav::cli::{self, Cli, Command, FeedCommand, LinkCommand, OutboxCommand, StorageCommand, UserCommand};
use slotdav::clock::{Clock, SystemClock};
use slotdav::config::{Config, Durability};
use slotdav::storage::{PgStorage, SledStorage, Storage, User};

/// glibc's malloc, set for a long-running server before any thread starts.
/// Its default mmap threshold slides up to the largest block freed, after
/// which blocks that size (a password check's 19 MiB of argon2 memory, a
/// large answer) come from the heap arenas and stay with the process;
/// fixed at 1 MiB, such blocks are mapped for their use and given back
/// when freed. glibc's own `MALLOC_MMAP_THRESHOLD_` or `GLIBC_TUNABLES`,
/// when set, win.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() && std::env::var_os("GLIBC_TUNABLES").is_none() {
        // SAFETY: mallopt only sets a parameter of the allocator; no other
        // thread exists yet.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
        }
    }
}

fn main() -> ExitCode {
    // Belt and braces for files made by others (sled's snapshots, lettre's
    // .eml files): owner-only whatever umask we were started with. The
    // store and the mail transport also set their modes explicitly.
    // SAFETY: umask only swaps the process's file-mode mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
    tune_allocator();
    let cli = Cli::parse();
    let config = match &cli.config {
        Some(path) => match Config::load(path) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("slotdav: bad configuration: {e}");
                return ExitCode::from(2);
            }
        },
        None => Config::default(),
    };
    let mut config = config;
    if let Some(listen) = cli.listen {
        if !config.public_url_set {
            config.public_url = format!("http://{listen}");
        }
        config.listen = listen;
    }
    let try_it = cli.config.is_none();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config, try_it),
        Command::User(cmd) => user_command(&config, cmd),
        Command::Feed(cmd) => {
            let base_url = config.public_url.clone();
            let command = match cmd {
                FeedCommand::Add { user, calendar } => AdminCommand::FeedAdd { user, calendar, base_url },
                FeedCommand::List { user } => AdminCommand::FeedList { user, base_url },
                FeedCommand::Revoke { token } => AdminCommand::FeedRevoke { token },
            };
            admin_command(&config, command)
        }
        Command::Link(cmd) => {
            let command = match cmd {
                LinkCommand::Add { coach, event_type } => match link_target(&config, &coach, &event_type) {
                    Ok(command) => command,
                    Err(e) => {
                        eprintln!("slotdav: {e}");
                        return ExitCode::from(2);
                    }
                },
                LinkCommand::List { coach } => {
                    let user = coach.map(|c| config.coaches.iter().find(|k| k.slug == c).map_or(c, |k| k.user.clone()));
                    AdminCommand::LinkList { coach: user }
                }
                LinkCommand::Revoke { token } => AdminCommand::LinkRevoke { token },
            };
            admin_command(&config, command)
        }
        Command::Outbox(OutboxCommand::List) => admin_command(&config, AdminCommand::OutboxList),
        Command::Check { repair, json } => check_command(&config, repair, json),
        Command::Audit { coach, since, booking, json } => {
            if let Some(Err(e)) = since.as_deref().map(admin::parse_since) {
                eprintln!("slotdav: --since: {e}");
                return ExitCode::from(2);
            }
            admin_command(&config, AdminCommand::Audit { coach, since, booking, json })
        }
        Command::Backup { file } => match absolute(&file) {
            Ok(file) => admin_command(&config, AdminCommand::Backup { file }),
            Err(e) => {
                eprintln!("slotdav: {e}");
                ExitCode::from(2)
            }
        },
        Command::Export { user, calendar, out } => match absolute(out.as_deref().unwrap_or(Path::new("."))) {
            Ok(out) => admin_command(&config, AdminCommand::Export { user, calendar, out }),
            Err(e) => {
                eprintln!("slotdav: {e}");
                ExitCode::from(2)
            }
        },
        Command::Import { user, calendar, file, skip_existing } => match absolute(&file) {
            Ok(file) => admin_command(&config, AdminCommand::Import { user, calendar, file, skip_existing }),
            Err(e) => {
                eprintln!("slotdav: {e}");
                ExitCode::from(2)
            }
        },
        Command::Restore { file, data_dir } => restore_command(&file, data_dir.as_deref().unwrap_or(&config.data_dir)),
        Command::Storage(StorageCommand::Copy { from, to }) => copy_command(&config, &from, &to),
    }
}

/// `slotdav storage copy --from A --to B`: exit status 0 when copied and
/// verified, 1 when refused or different, 2 when a store cannot be opened.
fn copy_command(config: &Config, from: &str, to: &str) -> ExitCode {
    let open = |spec: &str| open_store_at(config, spec).map_err(|e| eprintln!("slotdav: {e}"));
    let Ok(source) = open(from) else { return ExitCode::from(2) };
    let Ok(target) = open(to) else { return ExitCode::from(2) };
    match slotdav::storage::copy::copy(&*source, &*target) {
        Ok(tally) => {
            print!("{}", tally.describe());
            println!("copied {} records from {from} to {to}; counts and checksums agree", tally.records());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("slotdav: storage copy: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A store named on the command line: a `postgres://` URL (schema made or
/// upgraded, a pool of `[storage] pool_size`) or a data directory (sled,
/// made when missing), durable on every write.
fn open_store_at(config: &Config, spec: &str) -> Result<Arc<dyn Storage>, String> {
    if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
        let store = PgStorage::connect(spec, config.storage.pool_size)
            .map_err(|e| format!("cannot open the store in PostgreSQL at {}: {e}", slotdav::config::redact_password(spec)))?;
        return Ok(Arc::new(store));
    }
    let dir = Path::new(spec);
    slotdav::storage::files::create_private_dir(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let store = SledStorage::open(dir, true, None)
        .map_err(|e| format!("cannot open the store in {} (is a slotdav serving it?): {e}", dir.display()))?;
    Ok(Arc::new(store))
}

/// `path` made absolute against the working directory: a running server
/// (through `admin.sock`) has another one.
fn absolute(path: &Path) -> Result<std::path::PathBuf, String> {
    std::path::absolute(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// `slotdav restore FILE [--data-dir DIR]`: exit status 0 when restored,
/// 1 when the backup or the target was refused.
fn restore_command(file: &Path, data_dir: &Path) -> ExitCode {
    match slotdav::storage::backup::restore(file, data_dir) {
        Ok(summary) => {
            println!("restored {} into {}", summary.describe(file), data_dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("slotdav: restore refused: {e}");
            ExitCode::FAILURE
        }
    }
}

/// (D) `slotdav link add COACH TYPE`: the coach (slug or user) must be
/// configured and TYPE one of their `private = true` event types.
fn link_target(config: &Config, coach: &str, event_type: &str) -> Result<AdminCommand, String> {
    let c = config
        .coaches
        .iter()
        .find(|c| c.slug == coach || c.user == coach)
        .ok_or_else(|| format!("no coach `{coach}` in the configuration"))?;
    let et = c.policy.event_type(event_type).ok_or_else(|| format!("coach `{coach}` has no event type `{event_type}`"))?;
    if !et.private {
        return Err(format!("event type `{event_type}` is not private (set `private = true` on it); its page is public already"));
    }
    let url = format!("{}/book/{}/{}", config.public_url.trim_end_matches('/'), c.slug, et.slug);
    Ok(AdminCommand::LinkAdd { coach: c.user.clone(), event_type: et.slug.clone(), url })
}

/// `slotdav check`: prints the report (text or JSON); exit status 0 when
/// clean, 1 when problems were found, 2 when the check could not run.
fn check_command(config: &Config, repair: bool, json: bool) -> ExitCode {
    let bookings_calendars = config.coaches.iter().map(|c| (c.user.clone(), c.bookings_calendar.clone())).collect();
    let answer = match run_admin(&config, AdminCommand::Check { repair, bookings_calendars }) {
        Ok(Ok(answer)) => answer,
        Ok(Err(e)) | Err(e) => {
            eprintln!("slotdav: check failed: {e}");
            return ExitCode::from(2);
        }
    };
    let report: slotdav::storage::check::CheckReport = match serde_json::from_str(&answer) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("slotdav: check failed: unreadable report: {e}");
            return ExitCode::from(2);
        }
    };
    if json {
        println!("{answer}");
    } else {
        println!("{}", report.text());
    }
    if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The store `[storage]` names: PostgreSQL at its `url`, else sled in
/// `data_dir` (which is made either way: `admin.sock` and mail files live there).
fn open_storage(config: &Config) -> Result<Box<dyn Storage>, String> {
    slotdav::storage::files::create_private_dir(&config.data_dir)
        .map_err(|e| format!("cannot create data directory {}: {e}", config.data_dir.display()))?;
    if let Some(url) = &config.storage.url {
        // No store files here, but mail files and admin.sock: owner-only
        // as sled's directory is (`SledStorage::open` does it there).
        let repaired = slotdav::storage::files::restrict_tree(&config.data_dir)
            .map_err(|e| format!("cannot restrict permissions in {}: {e}", config.data_dir.display()))?;
        for r in repaired {
            tracing::warn!(path = %r.path.display(), mode = format!("{:o}", r.mode), "permissions were wider than owner-only; repaired");
        }
        let store = PgStorage::connect(url, config.storage.pool_size)
            .map_err(|e| format!("cannot open the store in PostgreSQL at {}: {e}", slotdav::config::redact_password(url)))?;
        return Ok(Box::new(store));
    }
    let (sync, every) = match config.durability {
        Durability::Sync => (true, None),
        Durability::Periodic => (false, Some(config.flush_every_ms)),
    };
    let store = SledStorage::open_with_cache(&config.data_dir, sync, every, config.storage_cache).map_err(|e| {
        format!("cannot open the store in {} (is another slotdav using it?): {e}", config.data_dir.display())
    })?;
    Ok(Box::new(store))
}

/// Runs the server. In try-it mode (no configuration file) `admin`, if the
/// store has that user, gets the sample booking page, and the log shows
/// where to point a calendar app and a browser.
fn serve(config: Config, try_it: bool) -> ExitCode {
    slotdav::telemetry::init(&config.log);
    let storage: Arc<dyn Storage> = match open_storage(&config) {
        Ok(s) => Arc::from(s),
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let new_password = match first_run(&*storage, &*clock) {
        Ok(p) => p,
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let mut config = config;
    let try_it = try_it && matches!(storage.user(slotdav::config::TRY_IT_USER), Ok(Some(_)));
    if try_it {
        config = config.with_sample_coach(slotdav::config::machine_time_zone());
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the runtime");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(config.listen).await {
            Ok(l) => l,
            Err(e) => {
                tracing::error!(listen = %config.listen, error = %e, "cannot listen");
                return ExitCode::FAILURE;
            }
        };
        let admin_task = tokio::spawn(admin::serve(config.data_dir.clone(), storage.clone(), clock.clone()));
        // With port 0 the system picks one: use it for links and the log.
        let mut config = config;
        if let Ok(bound) = listener.local_addr() {
            if config.public_url == format!("http://{}", config.listen) {
                config.public_url = format!("http://{bound}");
            }
            config.listen = bound;
        }
        tracing::info!(listen = %config.listen, data_dir = %config.data_dir.display(), "slotdav serving CalDAV at http://{}/dav/", config.listen);
        if try_it {
            let base = &config.public_url;
            let user = slotdav::config::TRY_IT_USER;
            let password = match &new_password {
                Some(NewPassword::Generated(p)) => format!("password {p}"),
                Some(NewPassword::FromEnvironment) => "the password from SLOTDAV_ADMIN_PASSWORD".to_string(),
                None => "the password printed at the first start (`slotdav user passwd admin` sets a new one)".to_string(),
            };
            tracing::info!(
                "try-it mode (no --config): calendar app URL {base}/dav/ (user `{user}`, {password}); \
                 booking page {base}/book/{user}; front page {base}/; mail is written to {}",
                config.mail.file_dir_in(&config.data_dir).display()
            );
        }
        let data_dir = config.data_dir.clone();
        let app = match App::new(storage, config, clock) {
            Ok(app) => Arc::new(app),
            Err(e) => {
                tracing::error!(error = %e, "cannot start the booking service");
                return ExitCode::FAILURE;
            }
        };
        let importer = std::sync::Arc::new(slotdav::feeds::import::Importer::new(
            app.storage.clone(),
            app.clock.clone(),
            app.config.feeds.clone(),
        )
        .observe_fetches({
            let metrics = app.metrics.clone();
            std::sync::Arc::new(move |result| metrics.feed_fetch(result))
        }));
        let imports = slotdav::feeds::import::spawn(importer, app.config.coaches.clone());
        let sweeper = {
            let booking = app.booking.clone();
            let (storage, clock, retention) = (app.storage.clone(), app.clock.clone(), app.config.audit_retention);
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
                loop {
                    tick.tick().await;
                    // Once a minute among all processes sharing the store:
                    // the sweeps' lease runs out just before the next tick.
                    let (jobs, now) = (storage.clone(), clock.now());
                    let lease = now + chrono::Duration::seconds(55);
                    let holder = slotdav::storage::lease::process_holder();
                    match tokio::task::spawn_blocking(move || jobs.take_job("minute-sweep", holder, now, lease)).await {
                        Ok(Ok(true)) => {}
                        Ok(Ok(false)) => continue,
                        Ok(Err(e)) => tracing::warn!(error = %e, "cannot take the minute sweep's lease; sweeping anyway"),
                        Err(e) => tracing::warn!(error = %e, "the minute sweep's lease task failed; sweeping anyway"),
                    }
                    let holds = booking.clone();
                    if let Ok(Err(e)) = tokio::task::spawn_blocking(move || holds.sweep_holds()).await {
                        tracing::warn!(error = %e, "sweeping expired holds failed");
                    }
                    let requests = booking.clone();
                    if let Ok(Err(e)) = tokio::task::spawn_blocking(move || requests.sweep_reschedule_requests()).await {
                        tracing::warn!(error = %e, "sweeping reschedule requests failed");
                    }
                    let (storage, now) = (storage.clone(), clock.now());
                    if let Ok(Err(e)) = tokio::task::spawn_blocking(move || slotdav::audit::prune(&*storage, now, retention)).await {
                        tracing::warn!(error = %e, "pruning the audit trail failed");
                    }
                }
            })
        };
        let mail_worker = app.outbox.spawn_worker();
        let webhook_worker = app.webhooks.spawn_worker();
        let storage = app.storage.clone();
        slotdav::server::run(listener, app, slotdav::server::shutdown_signal()).await;
        admin_task.abort();
        sweeper.abort();
        imports.iter().for_each(|t| t.abort());
        mail_worker.stop().await;
        webhook_worker.stop().await;
        // The next start reads a snapshot instead of the whole log
        // (`Storage::checkpoint`; issue 16 §6).
        let started = std::time::Instant::now();
        match tokio::task::spawn_blocking(move || storage.checkpoint()).await {
            Ok(Ok(())) => tracing::info!(ms = started.elapsed().as_millis() as u64, "store checkpointed for a fast next start"),
            Ok(Err(e)) => tracing::warn!(error = %e, "could not checkpoint the store; the next start reads its whole log"),
            Err(e) => tracing::warn!(error = %e, "the checkpoint task failed; the next start reads its whole log"),
        }
        let _ = std::fs::remove_file(admin::socket_path(&data_dir));
        ExitCode::SUCCESS
    })
}

/// Where the first user's password came from.
enum NewPassword {
    Generated(String),
    FromEnvironment,
}

/// On a store without users, creates `admin` with the password from
/// SLOTDAV_ADMIN_PASSWORD or a random one, printed once; says which.
fn first_run(storage: &dyn Storage, clock: &dyn Clock) -> Result<Option<NewPassword>, String> {
    if !storage.users().map_err(|e| e.to_string())?.is_empty() {
        return Ok(None);
    }
    let (password, generated) = match std::env::var("SLOTDAV_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => (p, false),
        _ => (Alphanumeric.sample_string(&mut rand::thread_rng(), 20), true),
    };
    let user = User {
        name: "admin".into(),
        password_hash: slotdav::auth::hash_password(&password),
        email: None,
        created: clock.now(),
    };
    storage.put_user(&user).map_err(|e| e.to_string())?;
    storage.flush().map_err(|e| e.to_string())?;
    if generated {
        tracing::warn!("created user `admin` with password {password} (shown only at this start; change it with `slotdav user passwd admin`)");
        Ok(Some(NewPassword::Generated(password)))
    } else {
        tracing::info!("created user `admin` with the password from SLOTDAV_ADMIN_PASSWORD");
        Ok(Some(NewPassword::FromEnvironment))
    }
}

fn user_command(config: &Config, cmd: UserCommand) -> ExitCode {
    let command = match cmd {
        UserCommand::Add { name, email } => {
            if !slotdav::model::valid_user_name(&name) {
                eprintln!("slotdav: `{name}` is not a valid user name (letters, digits, '.', '_', '-')");
                return ExitCode::from(2);
            }
            match cli::read_new_password() {
                Ok(p) => AdminCommand::UserAdd { name, email, password_hash: slotdav::auth::hash_password(&p) },
                Err(e) => {
                    eprintln!("slotdav: {e}");
                    return ExitCode::from(2);
                }
            }
        }
        UserCommand::Passwd { name } => match cli::read_new_password() {
            Ok(p) => AdminCommand::UserPasswd { name, password_hash: slotdav::auth::hash_password(&p) },
            Err(e) => {
                eprintln!("slotdav: {e}");
                return ExitCode::from(2);
            }
        },
        UserCommand::Email { name, email } => AdminCommand::UserEmail { name, email: Some(email).filter(|e| !e.is_empty()) },
        UserCommand::List => AdminCommand::UserList,
        UserCommand::Remove { name } => AdminCommand::UserRemove { name },
    };
    admin_command(config, command)
}

/// Runs an admin command and prints its answer.
fn admin_command(config: &Config, command: AdminCommand) -> ExitCode {
    let result = match run_admin(&config, command) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("slotdav: {e}");
            return ExitCode::FAILURE;
        }
    };
    match result {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("slotdav: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Runs an admin command through the running server, or on the store
/// directly when no server is running.
fn run_admin(config: &Config, command: AdminCommand) -> Result<admin::AdminResult, String> {
    match admin::send(&config.data_dir, &command) {
        Ok(Some(result)) => return Ok(result),
        Ok(None) => {}
        Err(e) => return Err(format!("cannot reach the running server: {e}")),
    }
    let storage = open_storage(config)?;
    Ok(admin::execute(&*storage, command, chrono::Utc::now()))
}
