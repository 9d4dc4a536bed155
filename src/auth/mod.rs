//! Who is asking: HTTP Basic credentials checked against argon2id hashes,
//! with brute-force throttling and a bound on the memory checks may use.
//!
//! - A successful check is remembered (as a SHA-256 of the password, tied
//!   to the stored hash) until the user's password changes, so calendar
//!   clients that send credentials with every request pay argon2 once.
//! - At most `concurrent_checks` argon2 verifications run at once (19 MiB
//!   each, given back when they end: [`hash`]); a request that cannot get
//!   a turn within [`CHECK_WAIT`] is told to come back ([`AuthError::Busy`]).
//! - Checks of one user name run one at a time: a client that opens
//!   several connections at once with credentials not seen before pays
//!   argon2 once, and the others find the result remembered.
//! - Failures are throttled per user and per client address with
//!   exponential back-off ([`throttle`]); a throttled request is refused
//!   before any password work. A name that is not a user is checked
//!   against a dummy hash, so time does not tell the two apart.
//! - Every failure is logged as one line naming the client address (the
//!   format is in README.md, for fail2ban).
//!
//! Every place that checks a password goes through [`Authenticator::login`]:
//! the DAV tree (and discovery at `/`), `/connect`'s signed-in pages, and
//! the coach dashboard's sign-in form. The dashboard then keeps the
//! browser signed in with a session in the store ([`session`]).

pub mod hash;
pub mod session;
pub mod throttle;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use sha2::{Digest, Sha256};

pub use hash::{hash_password, verify_password};
use throttle::Throttle;

use crate::storage::{Storage, StorageError, User};

/// The `[auth]` settings (validated by `config`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    /// Wrong passwords (per user, and per client address) allowed before
    /// the back-off starts.
    pub free_failures: u32,
    /// The first wait after `free_failures`; doubles with every further
    /// failure.
    pub backoff: std::time::Duration,
    /// The longest wait.
    pub backoff_max: std::time::Duration,
    /// Password hashes (argon2, ~19 MiB each) verified at the same time;
    /// more wait briefly, then get 503 with Retry-After.
    pub concurrent_checks: usize,
}

/// How long a request waits for a turn to verify a password.
pub const CHECK_WAIT: Duration = Duration::from_secs(3);

/// Why a login did not succeed, each with the status it becomes.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No usable credentials, a wrong password or an unknown user (401).
    #[error("wrong user name or password")]
    Rejected,
    /// Too many recent failures for this user or from this client (429
    /// with `Retry-After`).
    #[error("too many failed logins; retry in {} s", retry_after.as_secs())]
    Throttled { retry_after: Duration },
    /// Every password-check slot stayed busy for [`CHECK_WAIT`] (503 with
    /// `Retry-After`).
    #[error("too many logins at once")]
    Busy { retry_after: Duration },
    /// The user store failed (500).
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// User name and password from an `Authorization: Basic …` header value.
pub fn parse_basic(header: &str) -> Option<(String, String)> {
    let (scheme, rest) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(rest.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some((user.to_string(), pass.to_string()))
}

/// Checks credentials; see the module documentation.
pub struct Authenticator {
    verified: Mutex<HashMap<String, (String, [u8; 32])>>,
    throttle: Mutex<Throttle>,
    checks: tokio::sync::Semaphore,
    /// The user names being checked now, each with the turn its checks
    /// take one after another.
    checking: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// argon2 verifications run so far (for `/metrics`).
    checks_run: AtomicU64,
    /// Verified for names that are not users (its password is random and
    /// forgotten).
    dummy: String,
}

/// What the blocking part found before any argon2 work.
enum Lookup {
    Cached(User),
    Verify { phc: String, user: Option<User> },
}

impl Authenticator {
    pub fn new(config: &AuthConfig) -> Self {
        let random: [u8; 16] = rand::random();
        Authenticator {
            verified: Mutex::new(HashMap::new()),
            throttle: Mutex::new(Throttle::new(config.free_failures, config.backoff, config.backoff_max)),
            checks: tokio::sync::Semaphore::new(config.concurrent_checks),
            checking: Mutex::new(HashMap::new()),
            checks_run: AtomicU64::new(0),
            dummy: hash_password(&base64::engine::general_purpose::STANDARD.encode(random)),
        }
    }

    /// The user whose credentials these are, from `client`. Runs argon2
    /// (slow, on the blocking pool) only for credentials not seen before.
    pub async fn login(self: &Arc<Self>, storage: Arc<dyn Storage>, client: IpAddr, name: String, password: String) -> Result<User, AuthError> {
        if let Some(wait) = self.lock_throttle().wait(&name, client, Instant::now()) {
            tracing::info!(client = %client, user = ?name, "login refused: throttled");
            return Err(AuthError::Throttled { retry_after: wait });
        }
        let (mut phc, mut user) = match self.lookup(&storage, &name, &password).await? {
            Lookup::Cached(user) => return Ok(user),
            Lookup::Verify { phc, user } => (phc, user),
        };
        let mut turn = self.turn(&name);
        if !turn.take_now() {
            if !turn.wait().await {
                return Err(busy(client));
            }
            // The check this one waited for may have remembered these credentials.
            match self.lookup(&storage, &name, &password).await? {
                Lookup::Cached(user) => return Ok(user),
                Lookup::Verify { phc: p, user: u } => (phc, user) = (p, u),
            }
        }
        let digest: [u8; 32] = Sha256::digest(password.as_bytes()).into();
        let ok = self.check(client, &phc, password).await?;
        drop(turn);
        match (ok, user) {
            (true, Some(user)) => {
                self.verified.lock().unwrap_or_else(|p| p.into_inner()).insert(name.clone(), (phc, digest));
                self.lock_throttle().success(&name, client, Instant::now());
                Ok(user)
            }
            _ => {
                self.lock_throttle().failure(&name, client, Instant::now());
                tracing::warn!(client = %client, user = ?name, "failed login");
                Err(AuthError::Rejected)
            }
        }
    }

    /// Runs argon2 for `password` against `phc` once a check slot is free.
    async fn check(&self, client: IpAddr, phc: &str, password: String) -> Result<bool, AuthError> {
        let Ok(Ok(permit)) = tokio::time::timeout(CHECK_WAIT, self.checks.acquire()).await else {
            return Err(busy(client));
        };
        self.checks_run.fetch_add(1, Ordering::Relaxed);
        let phc = phc.to_string();
        let ok = tokio::task::spawn_blocking(move || hash::verify_password(&password, &phc))
            .await
            .map_err(|e| StorageError::Backend(format!("credential check: {e}")))?;
        drop(permit);
        Ok(ok)
    }

    /// Password hashes verified since the server started.
    pub fn checks_run(&self) -> u64 {
        self.checks_run.load(Ordering::Relaxed)
    }

    /// The place in line of a check of `name`'s password (not yet taken).
    fn turn(&self, name: &str) -> Turn<'_> {
        let gate = self.checking.lock().unwrap_or_else(|p| p.into_inner()).entry(name.to_string()).or_default().clone();
        Turn { auth: self, name: name.to_string(), gate, held: None }
    }

    /// Loads the user on the blocking pool; see [`Self::lookup_now`].
    async fn lookup(self: &Arc<Self>, storage: &Arc<dyn Storage>, name: &str, password: &str) -> Result<Lookup, AuthError> {
        let (this, storage, n, p) = (self.clone(), storage.clone(), name.to_string(), password.to_string());
        let lookup = tokio::task::spawn_blocking(move || this.lookup_now(&*storage, &n, &p))
            .await
            .map_err(|e| StorageError::Backend(format!("credential lookup: {e}")))??;
        Ok(lookup)
    }

    /// Loads the user and answers from the cache when it can.
    fn lookup_now(&self, storage: &dyn Storage, name: &str, password: &str) -> Result<Lookup, StorageError> {
        let Some(record) = storage.user(name)? else {
            return Ok(Lookup::Verify { phc: self.dummy.clone(), user: None });
        };
        let digest: [u8; 32] = Sha256::digest(password.as_bytes()).into();
        let cache = self.verified.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((phc, known)) = cache.get(name) {
            if *phc == record.password_hash && *known == digest {
                return Ok(Lookup::Cached(record));
            }
        }
        Ok(Lookup::Verify { phc: record.password_hash.clone(), user: Some(record) })
    }

    fn lock_throttle(&self) -> std::sync::MutexGuard<'_, Throttle> {
        self.throttle.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// No turn for a password check came within [`CHECK_WAIT`].
fn busy(client: IpAddr) -> AuthError {
    tracing::warn!(client = %client, "login refused: too many password checks at once");
    AuthError::Busy { retry_after: Duration::from_secs(2) }
}

/// One check of a user name's password at a time: a turn is taken (now,
/// or after waiting for the check before it) and ends when dropped; the
/// last one out removes the name from [`Authenticator::checking`].
struct Turn<'a> {
    auth: &'a Authenticator,
    name: String,
    gate: Arc<tokio::sync::Mutex<()>>,
    held: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Turn<'_> {
    /// Takes the turn if no check of this name is running.
    fn take_now(&mut self) -> bool {
        self.held = self.gate.clone().try_lock_owned().ok();
        self.held.is_some()
    }

    /// Waits (at most [`CHECK_WAIT`]) for the running check to end.
    async fn wait(&mut self) -> bool {
        self.held = tokio::time::timeout(CHECK_WAIT, self.gate.clone().lock_owned()).await.ok();
        self.held.is_some()
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.held = None;
        let mut checking = self.auth.checking.lock().unwrap_or_else(|p| p.into_inner());
        // Clones are made only under this lock: two are the map's and ours.
        if Arc::strong_count(&self.gate) == 2 {
            checking.remove(&self.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_header_parses() {
        let h = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("alice:pa:ss"));
        assert_eq!(parse_basic(&h), Some(("alice".into(), "pa:ss".into())));
        assert_eq!(parse_basic("Bearer abc"), None);
        assert_eq!(parse_basic("Basic !!!"), None);
    }
}
