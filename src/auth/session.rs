//! Signed-in browser sessions of the coach dashboard, kept in the store so
//! a restart keeps them.
//!
//! A session id is 32 random bytes (256 bits) handed to the browser as a
//! cookie; the store keeps only its SHA-256 (the `dashboard-session`
//! table: hex digest → postcard [`Session`]), so a copy of the store signs
//! nobody in. Each session carries its own CSRF token and a fingerprint
//! of the user's password hash at sign-in: [`SessionStore::check`] ends a
//! session whose user is gone or whose password changed since.
//!
//! Expiry is **absolute**: a session ends [`SessionConfig::ttl`] after
//! sign-in, however busy (no write per request). Expired sessions are
//! removed when met and whenever someone signs in; one user keeps at most
//! [`MAX_SESSIONS_PER_USER`] (the oldest go first).
//!
//! Imports: storage (its typed tables and the user record), nothing above.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::storage::table::{RecordWrite, Table, TableValue};
use crate::storage::{RecordBatch, Result, Storage, User};

/// The `[dashboard]` settings (validated by `config`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionConfig {
    /// How long a sign-in lasts (absolute, from sign-in).
    pub ttl: Duration,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig { ttl: Duration::hours(12) }
    }
}

/// Sessions one user may keep open; signing in once more ends the oldest.
pub const MAX_SESSIONS_PER_USER: usize = 20;

/// A session as stored (under the hash of its id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub user: String,
    /// Hex SHA-256 of the user's password hash at sign-in.
    pub password_fingerprint: String,
    /// The token every form of this session carries.
    pub csrf: String,
    pub created: DateTime<Utc>,
    pub expires: DateTime<Utc>,
}

impl TableValue for Session {
    const KIND: &'static str = "dashboard session";
}

const SESSIONS: Table<Session> = Table::new("dashboard-session");

/// The stored name of a session id: hex SHA-256.
fn id_hash(id: &str) -> String {
    crate::hex::encode(&Sha256::digest(format!("slotdav dashboard session\0{id}").as_bytes()))
}

fn fingerprint(user: &User) -> String {
    crate::hex::encode(&Sha256::digest(format!("slotdav password\0{}", user.password_hash).as_bytes()))
}

/// 32 random bytes as lower-case hex.
fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    crate::hex::encode(&bytes)
}

/// A cookie value that could be a session id (64 hex digits); anything
/// else is not looked up.
pub fn well_formed(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Equal byte strings, compared in constant time (for CSRF tokens).
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Dashboard sessions over any [`Storage`].
pub struct SessionStore<'a> {
    pub storage: &'a dyn Storage,
}

impl SessionStore<'_> {
    /// Signs `user` in at `now`: returns the new session's id (for the
    /// cookie) and the session. Writes it durably, and in the same batch
    /// drops expired sessions, this user's oldest beyond the cap, and
    /// `replacing` (the session the browser had before, if any: a new
    /// sign-in always gets a new id).
    pub fn create(&self, user: &User, now: DateTime<Utc>, config: SessionConfig) -> Result<(String, Session)> {
        self.create_replacing(user, now, config, None)
    }

    /// [`SessionStore::create`], ending the browser's previous session `replacing`.
    pub fn create_replacing(&self, user: &User, now: DateTime<Utc>, config: SessionConfig, replacing: Option<&str>) -> Result<(String, Session)> {
        let id = random_token();
        let session = Session {
            user: user.name.clone(),
            password_fingerprint: fingerprint(user),
            csrf: random_token(),
            created: now,
            expires: now + config.ttl,
        };
        let mut records: Vec<RecordWrite> = Vec::new();
        let mut mine: Vec<(DateTime<Utc>, String)> = Vec::new();
        let replaced = replacing.filter(|id| well_formed(id)).map(id_hash);
        for (key, s) in SESSIONS.scan(self.storage, "")? {
            if s.expires <= now || replaced.as_deref() == Some(key.as_str()) {
                records.push(SESSIONS.remove(key));
            } else if s.user == user.name {
                mine.push((s.created, key));
            }
        }
        mine.sort();
        let excess = (mine.len() + 1).saturating_sub(MAX_SESSIONS_PER_USER);
        records.extend(mine.into_iter().take(excess).map(|(_, key)| SESSIONS.remove(key)));
        records.push(SESSIONS.put(id_hash(&id), &session));
        self.storage.apply(RecordBatch { records, object: None }, now)?;
        self.storage.flush()?;
        Ok((id, session))
    }

    /// The live session of cookie value `id` and its user, checked now:
    /// not expired, the user still there with the password they signed in
    /// with. A session that fails a check is removed.
    pub fn check(&self, id: &str, now: DateTime<Utc>) -> Result<Option<(Session, User)>> {
        if !well_formed(id) {
            return Ok(None);
        }
        let key = id_hash(id);
        let Some(session) = SESSIONS.get(self.storage, &key)? else { return Ok(None) };
        let user = self.storage.user(&session.user)?;
        match user {
            Some(user) if session.expires > now && same_token(&fingerprint(&user), &session.password_fingerprint) => {
                Ok(Some((session, user)))
            }
            _ => {
                self.storage.apply(RecordBatch { records: vec![SESSIONS.remove(key)], object: None }, now)?;
                Ok(None)
            }
        }
    }

    /// Ends the session of cookie value `id` (signing out).
    pub fn remove(&self, id: &str, now: DateTime<Utc>) -> Result<()> {
        if well_formed(id) {
            self.storage.apply(RecordBatch { records: vec![SESSIONS.remove(id_hash(id))], object: None }, now)?;
            self.storage.flush()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::SledStorage;
    use chrono::TimeZone;

    fn store() -> (tempfile::TempDir, SledStorage) {
        let dir = tempfile::tempdir().unwrap();
        let s = SledStorage::open(dir.path(), false, None).unwrap();
        (dir, s)
    }

    fn user(name: &str, hash: &str) -> User {
        User { name: name.into(), password_hash: hash.into(), email: None, created: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() }
    }

    #[test]
    fn a_session_lives_for_its_ttl_and_only_its_hash_is_stored() {
        let (_d, storage) = store();
        let t = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        storage.put_user(&user("anna", "$argon2id$one")).unwrap();
        let sessions = SessionStore { storage: &storage };
        let config = SessionConfig { ttl: Duration::hours(12) };
        let (id, session) = sessions.create(&user("anna", "$argon2id$one"), t, config).unwrap();
        assert!(well_formed(&id) && id != session.csrf);
        let keys: Vec<String> = storage.records("dashboard-session", "").unwrap().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, vec![id_hash(&id)]);
        assert!(!keys[0].contains(&id));
        assert_eq!(sessions.check(&id, t + Duration::hours(11)).unwrap().map(|(s, u)| (s.csrf, u.name)), Some((session.csrf, "anna".into())));
        assert!(sessions.check(&id, t + Duration::hours(12)).unwrap().is_none(), "absolute expiry");
        assert!(storage.records("dashboard-session", "").unwrap().is_empty(), "an expired session is removed when met");
        assert!(sessions.check("not-a-session", t).unwrap().is_none());
    }

    #[test]
    fn a_changed_password_or_a_removed_user_ends_the_session() {
        let (_d, storage) = store();
        let t = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        storage.put_user(&user("anna", "$argon2id$one")).unwrap();
        let sessions = SessionStore { storage: &storage };
        let (id, _) = sessions.create(&user("anna", "$argon2id$one"), t, SessionConfig::default()).unwrap();
        storage.put_user(&user("anna", "$argon2id$two")).unwrap();
        assert!(sessions.check(&id, t).unwrap().is_none());
        storage.put_user(&user("anna", "$argon2id$one")).unwrap();
        assert!(sessions.check(&id, t).unwrap().is_none(), "removed for good, not only while the password differs");
        let (id, _) = sessions.create(&user("anna", "$argon2id$one"), t, SessionConfig::default()).unwrap();
        storage.remove_user("anna").unwrap();
        assert!(sessions.check(&id, t).unwrap().is_none());
    }

    #[test]
    fn one_user_keeps_a_bounded_number_of_sessions_and_sign_out_ends_one() {
        let (_d, storage) = store();
        let t = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let anna = user("anna", "$argon2id$one");
        storage.put_user(&anna).unwrap();
        let sessions = SessionStore { storage: &storage };
        let ids: Vec<String> = (0..MAX_SESSIONS_PER_USER as i64 + 3)
            .map(|i| sessions.create(&anna, t + Duration::seconds(i), SessionConfig::default()).unwrap().0)
            .collect();
        assert_eq!(storage.records("dashboard-session", "").unwrap().len(), MAX_SESSIONS_PER_USER);
        assert!(sessions.check(&ids[0], t).unwrap().is_none(), "the oldest went");
        let last = ids.last().unwrap();
        assert!(sessions.check(last, t).unwrap().is_some());
        sessions.remove(last, t).unwrap();
        assert!(sessions.check(last, t).unwrap().is_none());
        // Signing in again from a browser ends the session it had.
        let before = ids[ids.len() - 2].clone();
        let (again, _) = sessions.create_replacing(&anna, t, SessionConfig::default(), Some(&before)).unwrap();
        assert!(sessions.check(&before, t).unwrap().is_none() && sessions.check(&again, t).unwrap().is_some());
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd") && !same_token("abc", "ab") && !same_token("", "a"));
    }
}
