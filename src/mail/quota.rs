//! The hourly cap on the messages one user's calendar writes may queue
//! (`mail.max_messages_per_user_hour`), so a logged-in user cannot turn
//! implicit scheduling into a mail cannon by storing and moving an event
//! with many attendees again and again.
//!
//! The count is per user and clock hour (UTC). It lives in memory, so
//! concurrent writes of one user cannot both take the last places, and in
//! the store (`outbox-user-hour`: `{user}` → [`Window`]), written in the
//! same batch as the messages it counts, so a restart does not reset it.
//! Beyond the cap messages are not queued: the write itself succeeds, and
//! a warning is logged. Booking mail (to students and coaches) is not
//! counted here: students cause it, not the user.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::storage::table::{self, Table, TableValue};
use crate::storage::{RecordWrites, Storage};

pub const T_QUOTA: &str = "outbox-user-hour";

/// The `outbox-user-hour` table: user → their [`Window`].
const WINDOWS: Table<Window> = Table::new(T_QUOTA);

impl TableValue for Window {
    const KIND: &'static str = "hourly mail count";
}

/// One user's count in one clock hour.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// Hours since 1970 (UTC).
    pub hour: i64,
    pub count: u32,
}

/// See the module documentation.
pub struct SendQuota {
    limit: u32,
    /// `None`: counts in memory only (unit tests).
    storage: Option<Arc<dyn Storage>>,
    windows: Mutex<HashMap<String, Window>>,
}

fn hour_of(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(3600)
}

impl SendQuota {
    pub fn new(storage: Arc<dyn Storage>, limit: u32) -> SendQuota {
        SendQuota { limit, storage: Some(storage), windows: Mutex::new(HashMap::new()) }
    }

    /// A quota that is not kept in a store.
    pub fn in_memory(limit: u32) -> SendQuota {
        SendQuota { limit, storage: None, windows: Mutex::new(HashMap::new()) }
    }

    pub fn limit(&self) -> u32 {
        self.limit
    }

    fn stored(&self, user: &str) -> Window {
        let Some(storage) = &self.storage else { return Window::default() };
        match storage.record(&WINDOWS.key(user)) {
            Ok(Some(bytes)) => table::decode(&bytes, Window::KIND).unwrap_or_default(),
            Ok(None) => Window::default(),
            Err(e) => {
                tracing::warn!(user, error = %e, "cannot read the hourly mail count; starting from zero");
                Window::default()
            }
        }
    }

    /// Takes up to `wanted` places for `user` in the hour of `now`. Returns
    /// how many were granted and, when any were, the record that keeps the
    /// new count (to write in the same batch as the messages).
    pub fn reserve(&self, user: &str, wanted: usize, now: DateTime<Utc>) -> (usize, RecordWrites) {
        if wanted == 0 {
            return (0, Vec::new());
        }
        let hour = hour_of(now);
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let window = match windows.get(user) {
            Some(w) => *w,
            None => self.stored(user),
        };
        let used = if window.hour == hour { window.count } else { 0 };
        let granted = wanted.min(self.limit.saturating_sub(used) as usize);
        if granted == 0 {
            return (0, Vec::new());
        }
        let next = Window { hour, count: used + granted as u32 };
        windows.insert(user.to_string(), next);
        (granted, vec![WINDOWS.put(user, &next)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    #[test]
    fn grants_up_to_the_limit_per_hour() {
        let q = SendQuota::in_memory(10);
        let t = Utc.with_ymd_and_hms(2030, 3, 4, 8, 5, 0).unwrap();
        assert_eq!(q.reserve("alice", 6, t).0, 6);
        assert_eq!(q.reserve("alice", 6, t + Duration::minutes(10)).0, 4);
        assert_eq!(q.reserve("alice", 1, t).0, 0);
        assert_eq!(q.reserve("bob", 3, t).0, 3, "per user");
        assert_eq!(q.reserve("alice", 6, t + Duration::minutes(55)).0, 6, "a new clock hour");
        assert!(q.reserve("alice", 0, t).1.is_empty());
    }
}
