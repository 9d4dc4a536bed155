//! Booking policy: what a coach offers and the rules attached to it.
//!
//! Owns [`Coach`], [`EventType`], [`WorkingHours`] / [`TimeWindow`], the
//! duration syntax used in configuration ([`parse_duration`]) and the notice
//! rules for cancelling and rescheduling ([`can_cancel`], [`can_reschedule`]).
//! Everything here is plain data plus validation; nothing reads the clock.

use chrono::{DateTime, Duration, Utc, Weekday};
use chrono_tz::Tz;
use std::fmt;

/// Why a piece of booking configuration was rejected. Each variant names the
/// offending input so the config layer can point at the key at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The duration string was empty (or only whitespace).
    #[error("empty duration: expected e.g. \"15m\", \"2h\", \"1h30m\"")]
    EmptyDuration,
    /// A unit letter appeared without a number before it (e.g. `"m"`, `"1hm"`).
    #[error("invalid duration {input:?}: unit without a number (expected e.g. \"15m\" or \"1h30m\")")]
    DurationMissingNumber { input: String },
    /// The string ended in digits with no unit (e.g. `"15"`).
    #[error("invalid duration {input:?}: number without a unit; use d, h, m or s (e.g. \"15m\")")]
    DurationMissingUnit { input: String },
    /// A character that is neither a digit nor one of `d h m s`.
    #[error("invalid duration {input:?}: unexpected {found:?}; units are d, h, m, s")]
    DurationUnexpectedChar { input: String, found: char },
    /// Units must appear at most once and from largest to smallest (`1h30m`, not `30m1h`).
    #[error("invalid duration {input:?}: units must appear once each, largest first (d, h, m, s)")]
    DurationUnitOrder { input: String },
    /// The value does not fit a `chrono::Duration`.
    #[error("invalid duration {input:?}: too large")]
    DurationTooLarge { input: String },
    /// A working-hours window is not of the form `HH:MM-HH:MM`.
    #[error("invalid time window {input:?}: expected \"HH:MM-HH:MM\" such as \"09:00-12:00\"")]
    WindowSyntax { input: String },
    /// A time inside a window is outside `00:00`..=`24:00`.
    #[error("invalid time window {input:?}: {time:?} is not a time between 00:00 and 24:00")]
    WindowTime { input: String, time: String },
    /// The window's end is not after its start.
    #[error("invalid time window {input:?}: end must be after start")]
    WindowEmpty { input: String },
    /// Working hours were given for a key other than `mon`..`sun`.
    #[error("unknown weekday {key:?}: expected one of mon, tue, wed, thu, fri, sat, sun")]
    UnknownWeekday { key: String },
    /// The same weekday was listed twice.
    #[error("weekday {key:?} is listed more than once")]
    DuplicateWeekday { key: String },
    /// Two windows on the same day overlap (touching is fine).
    #[error("working hours on {day} overlap: {first} and {second}")]
    WindowsOverlap { day: String, first: TimeWindow, second: TimeWindow },
    /// An event type field has a value outside its allowed range.
    #[error("event type {slug:?}: {field} {reason}")]
    InvalidEventType { slug: String, field: &'static str, reason: &'static str },
    /// (D) A coach-level cap or break has a value outside its allowed range.
    #[error("{field} {reason}")]
    InvalidPacing { field: &'static str, reason: &'static str },
}

/// Parses a compact duration: one or more `<number><unit>` groups with units
/// `d` (days), `h`, `m`, `s`, largest first, each at most once.
///
/// Accepts `"15m"`, `"2h"`, `"60d"`, `"1h30m"`, `"90s"`, `"0m"`. Surrounding
/// whitespace is ignored; negative values are not expressible.
pub fn parse_duration(input: &str) -> Result<Duration, PolicyError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(PolicyError::EmptyDuration);
    }
    let err_input = || input.to_string();
    let mut total: i64 = 0;
    let mut number: Option<i64> = None;
    let mut last_rank: Option<usize> = None;
    for c in text.chars() {
        if let Some(d) = c.to_digit(10) {
            let n = number.unwrap_or(0);
            let n = n.checked_mul(10).and_then(|n| n.checked_add(i64::from(d)));
            number = Some(n.ok_or_else(|| PolicyError::DurationTooLarge { input: err_input() })?);
            continue;
        }
        let (rank, unit_secs) =
            unit(c).ok_or_else(|| PolicyError::DurationUnexpectedChar { input: err_input(), found: c })?;
        let n = number.take().ok_or_else(|| PolicyError::DurationMissingNumber { input: err_input() })?;
        if last_rank.is_some_and(|r| r >= rank) {
            return Err(PolicyError::DurationUnitOrder { input: err_input() });
        }
        last_rank = Some(rank);
        total = n
            .checked_mul(unit_secs)
            .and_then(|secs| total.checked_add(secs))
            .ok_or_else(|| PolicyError::DurationTooLarge { input: err_input() })?;
    }
    if number.is_some() {
        return Err(PolicyError::DurationMissingUnit { input: err_input() });
    }
    Duration::try_seconds(total).ok_or(PolicyError::DurationTooLarge { input: err_input() })
}

/// Rank (for ordering) and length in seconds of a duration unit letter.
fn unit(c: char) -> Option<(usize, i64)> {
    match c {
        'd' => Some((0, 86_400)),
        'h' => Some((1, 3_600)),
        'm' => Some((2, 60)),
        's' => Some((3, 1)),
        _ => None,
    }
}

/// Formats a duration in the syntax [`parse_duration`] reads (`"1h30m"`).
pub fn format_duration(d: Duration) -> String {
    let mut secs = d.num_seconds();
    if secs == 0 {
        return "0m".into();
    }
    let mut out = String::new();
    if secs < 0 {
        out.push('-');
        secs = -secs;
    }
    for (letter, len) in [('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)] {
        if secs >= len {
            out.push_str(&format!("{}{letter}", secs / len));
            secs %= len;
        }
    }
    out
}

/// A span of local wall-clock time within one day, `[start, end)`, in minutes
/// after local midnight. `end` may be 1440 (`24:00`, the next midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeWindow {
    start_minute: u16,
    end_minute: u16,
}

/// Minutes in a wall-clock day (`24:00`).
const DAY_MINUTES: u16 = 24 * 60;

impl TimeWindow {
    /// A window from minute `start` to minute `end` after local midnight.
    pub fn new(start: u16, end: u16) -> Option<Self> {
        (start < end && end <= DAY_MINUTES).then_some(TimeWindow { start_minute: start, end_minute: end })
    }

    /// Parses `"HH:MM-HH:MM"`; hours 00–24, minutes 00–59, `24:00` only as an
    /// end, and the end must be after the start.
    pub fn parse(input: &str) -> Result<Self, PolicyError> {
        let syntax = || PolicyError::WindowSyntax { input: input.to_string() };
        let (a, b) = input.trim().split_once('-').ok_or_else(syntax)?;
        let start = parse_hhmm(input, a.trim())?;
        let end = parse_hhmm(input, b.trim())?;
        if start == DAY_MINUTES {
            return Err(PolicyError::WindowTime { input: input.to_string(), time: a.trim().to_string() });
        }
        TimeWindow::new(start, end).ok_or_else(|| PolicyError::WindowEmpty { input: input.to_string() })
    }

    /// Minutes after local midnight at which the window opens.
    pub fn start_minute(&self) -> u16 {
        self.start_minute
    }

    /// Minutes after local midnight at which the window closes (≤ 1440).
    pub fn end_minute(&self) -> u16 {
        self.end_minute
    }
}

impl fmt::Display for TimeWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        write!(f, "{}-{}", hm(self.start_minute), hm(self.end_minute))
    }
}

/// Parses one `HH:MM` (exactly two digits each) into minutes after midnight.
fn parse_hhmm(input: &str, time: &str) -> Result<u16, PolicyError> {
    let bad = || PolicyError::WindowTime { input: input.to_string(), time: time.to_string() };
    let bytes = time.as_bytes();
    if bytes.len() != 5 || bytes[2] != b':' {
        return Err(PolicyError::WindowSyntax { input: input.to_string() });
    }
    let two = |s: &str| -> Result<u16, PolicyError> {
        if s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse().map_err(|_| bad())
        } else {
            Err(PolicyError::WindowSyntax { input: input.to_string() })
        }
    };
    let (h, m) = (two(&time[..2])?, two(&time[3..])?);
    if h > 24 || m > 59 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// The coach's default weekly hours, used on days whose availability
/// calendar is empty. Windows per day are sorted and non-overlapping.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkingHours {
    /// Indexed by `Weekday::num_days_from_monday()`.
    days: [Vec<TimeWindow>; 7],
}

/// Config keys for the weekdays, Monday first.
const WEEKDAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl WorkingHours {
    /// Parses `{ mon = ["09:00-12:00", "13:00-17:00"], … }`. Keys are
    /// `mon`..`sun` (case-insensitive); missing days have no hours.
    /// Overlapping windows on one day are rejected; touching ones are fine.
    pub fn parse<K, W, S>(entries: impl IntoIterator<Item = (K, W)>) -> Result<Self, PolicyError>
    where
        K: AsRef<str>,
        W: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut hours = WorkingHours::default();
        let mut seen = [false; 7];
        for (key, windows) in entries {
            let key = key.as_ref();
            let lower = key.trim().to_ascii_lowercase();
            let idx = WEEKDAY_KEYS
                .iter()
                .position(|k| *k == lower)
                .ok_or_else(|| PolicyError::UnknownWeekday { key: key.to_string() })?;
            if std::mem::replace(&mut seen[idx], true) {
                return Err(PolicyError::DuplicateWeekday { key: key.to_string() });
            }
            let parsed = windows.into_iter().map(|w| TimeWindow::parse(w.as_ref())).collect::<Result<Vec<_>, _>>()?;
            hours.set(weekday_from_index(idx), parsed)?;
        }
        Ok(hours)
    }

    /// Replaces the windows of one weekday (sorted; overlaps rejected).
    pub fn set(&mut self, day: Weekday, mut windows: Vec<TimeWindow>) -> Result<(), PolicyError> {
        windows.sort();
        for pair in windows.windows(2) {
            if pair[1].start_minute < pair[0].end_minute {
                return Err(PolicyError::WindowsOverlap {
                    day: WEEKDAY_KEYS[day.num_days_from_monday() as usize].to_string(),
                    first: pair[0],
                    second: pair[1],
                });
            }
        }
        self.days[day.num_days_from_monday() as usize] = windows;
        Ok(())
    }

    /// The windows of one weekday, sorted by start.
    pub fn windows(&self, day: Weekday) -> &[TimeWindow] {
        &self.days[day.num_days_from_monday() as usize]
    }
}

fn weekday_from_index(idx: usize) -> Weekday {
    [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun][idx]
}

/// One kind of appointment a coach offers (e.g. "30-minute trial lesson").
///
/// All durations are absolute (a 60-minute lesson lasts 60 minutes even
/// across a DST change). Build with [`EventType::new`], adjust fields, then
/// call [`EventType::validate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventType {
    /// URL-safe identifier, unique per coach (`[a-z0-9-]+`).
    pub slug: String,
    pub title: String,
    /// Length of one appointment.
    pub duration: Duration,
    /// Spacing of candidate start times, aligned to the coach's local midnight.
    pub slot_interval: Duration,
    /// Free time required before the appointment (against busy time and other bookings).
    pub buffer_before: Duration,
    /// Free time required after the appointment.
    pub buffer_after: Duration,
    /// Earliest start is `now + min_notice`.
    pub min_notice: Duration,
    /// Latest start is `now + horizon`.
    pub horizon: Duration,
    /// At most this many sessions of this type per coach-local day.
    pub max_per_day: Option<u32>,
    /// Students per session (1 = one-to-one; more = group session).
    pub seats: u32,
    /// A student may hold at most one active booking of this type.
    pub once_per_student: bool,
    /// New bookings start `Tentative` until the coach confirms.
    pub requires_confirmation: bool,
    /// Cancelling is allowed until `start - cancel_notice`.
    pub cancel_notice: Duration,
    /// Rescheduling is allowed until `start - reschedule_notice`.
    pub reschedule_notice: Duration,
    /// Free-form price shown to students ("€40", "free").
    pub price: String,
    /// How long a hold reserves a slot while the student fills in the form.
    pub hold_ttl: Duration,
    /// Reminder offsets before the start.
    pub reminders: Vec<Duration>,
    // --- issue 11 §3 (C): reschedules the coach approves ---
    /// A student's reschedule becomes a request the coach approves or
    /// declines (`booking::service::requests`); the booking stays put
    /// until then.
    pub reschedule_requires_approval: bool,
    // ----- (D) breaks and caps (issue 11 §6) -----
    /// At most this many sessions of this type per coach-local week (Monday first).
    pub max_per_week: Option<u32>,
    /// At most this many sessions of this type per coach-local calendar month.
    pub max_per_month: Option<u32>,
    /// Not listed; reachable only through a secret link (issue 11 §7).
    pub private: bool,
    /// Questions on the booking form (issue 11 §5).
    pub questions: Vec<crate::booking::questions::Question>,
    // ----- end (D) -----
    // --- (B) recurring sessions, issue 11 §2 ---
    /// How often a student may repeat a session, in weeks (`repeat =
    /// ["1w", "2w"]` → `[1, 2]`); empty: no series.
    pub repeat_weeks: Vec<u32>,
    /// At most this many occurrences in one series (`repeat_max`).
    pub repeat_max: u32,
    // --- end (B) ---
    // --- waitlists (issue 11 §1, part A) ---
    /// Whether a full slot offers "join the waitlist"; `None` = the
    /// default, on for group sessions (`seats > 1`), see [`EventType::has_waitlist`].
    pub waitlist: Option<bool>,
    /// How long a freed seat is held for the first person waiting; never
    /// past the slot's start minus `min_notice`.
    pub waitlist_offer_ttl: Duration,
    // --- end waitlists ---
    // --- guardians (issue 11 §4) ---
    /// Whether the booking form asks for a parent or guardian
    /// (`guardian`; the event type's value, else the coach's).
    pub guardian: crate::booking::guardian::GuardianPolicy,
    /// Whether the guardian's own manage link may cancel and reschedule
    /// (`guardian_can_manage`, default true); false: it is read-only.
    pub guardian_can_manage: bool,
    // --- profile (issue 12 §3) ---
    /// Shown on the booking pages (plain text or the Markdown subset of
    /// [`crate::booking::richtext`]).
    pub description: crate::booking::richtext::RichText,
    /// Where the sessions take place; in the event, the mails and the pages.
    pub location: Option<crate::booking::location::Location>,
    // --- end profile ---
}

impl EventType {
    /// An event type with the defaults: interval = duration, no buffers, no
    /// notice, 60-day horizon, no daily cap, one seat, holds of 10 minutes,
    /// reminders 24h and 1h before, cancel/reschedule allowed until the start.
    pub fn new(slug: impl Into<String>, title: impl Into<String>, duration: Duration) -> Self {
        EventType {
            slug: slug.into(),
            title: title.into(),
            duration,
            slot_interval: duration,
            buffer_before: Duration::zero(),
            buffer_after: Duration::zero(),
            min_notice: Duration::zero(),
            horizon: Duration::days(60),
            max_per_day: None,
            seats: 1,
            once_per_student: false,
            requires_confirmation: false,
            cancel_notice: Duration::zero(),
            reschedule_notice: Duration::zero(),
            price: String::new(),
            hold_ttl: Duration::minutes(10),
            reminders: vec![Duration::hours(24), Duration::hours(1)],
            // issue 11 §3 (C)
            reschedule_requires_approval: false,
            // (D) breaks and caps
            max_per_week: None,
            max_per_month: None,
            private: false,
            questions: Vec::new(),
            // (B) recurring sessions
            repeat_weeks: Vec::new(),
            repeat_max: 12,
            // waitlists (part A)
            waitlist: None,
            waitlist_offer_ttl: Duration::hours(2),
            // guardians
            guardian: crate::booking::guardian::GuardianPolicy::Off,
            guardian_can_manage: true,
            // profile (issue 12 §3)
            description: Default::default(),
            location: None,
        }
    }

    /// Whether full slots of this type take a waitlist (`waitlist`, else
    /// on for group sessions).
    pub fn has_waitlist(&self) -> bool {
        self.waitlist.unwrap_or(self.seats > 1)
    }

    /// When an offer made at `now` for the slot starting at `start`
    /// lapses: `waitlist_offer_ttl` later, but never past `start -
    /// min_notice`. `None` when that moment has passed (no offer).
    pub fn offer_expiry(&self, start: DateTime<Utc>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let at = (now + self.waitlist_offer_ttl).min(start - self.min_notice);
        (at > now).then_some(at)
    }

    /// Checks every field is in range; the error names the first bad field.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let bad = |field, reason| Err(PolicyError::InvalidEventType { slug: self.slug.clone(), field, reason });
        let slug_ok = !self.slug.is_empty()
            && self.slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !slug_ok {
            return bad("slug", "must be non-empty and use only a-z, 0-9 and '-'");
        }
        let positive = [
            ("duration", self.duration),
            ("slot_interval", self.slot_interval),
            ("horizon", self.horizon),
            ("hold_ttl", self.hold_ttl),
            ("waitlist_offer_ttl", self.waitlist_offer_ttl),
        ];
        for (field, d) in positive {
            if d <= Duration::zero() {
                return bad(field, "must be greater than zero");
            }
        }
        let non_negative = [
            ("buffer_before", self.buffer_before),
            ("buffer_after", self.buffer_after),
            ("min_notice", self.min_notice),
            ("cancel_notice", self.cancel_notice),
            ("reschedule_notice", self.reschedule_notice),
        ];
        for (field, d) in non_negative {
            if d < Duration::zero() {
                return bad(field, "must not be negative");
            }
        }
        if self.seats == 0 {
            return bad("seats", "must be at least 1");
        }
        if self.max_per_day == Some(0) {
            return bad("max_per_day", "must be at least 1 (leave it out for no cap)");
        }
        // (D) breaks and caps
        if self.max_per_week == Some(0) {
            return bad("max_per_week", "must be at least 1 (leave it out for no cap)");
        }
        if self.max_per_month == Some(0) {
            return bad("max_per_month", "must be at least 1 (leave it out for no cap)");
        }
        if self.reminders.iter().any(|r| *r <= Duration::zero()) {
            return bad("reminders", "must all be greater than zero");
        }
        // (B) recurring sessions
        if self.repeat_weeks.iter().any(|w| !(1..=4).contains(w)) {
            return bad("repeat", "each entry must be \"1w\", \"2w\", \"3w\" or \"4w\"");
        }
        if !(2..=52).contains(&self.repeat_max) {
            return bad("repeat_max", "must be between 2 and 52");
        }
        Ok(())
    }
}

/// A coach as the booking rules see them.
#[derive(Debug, Clone, PartialEq)]
pub struct Coach {
    /// The coach's user name (principal).
    pub name: String,
    /// Zone of the coach's wall clock: working hours, the slot grid, all-day
    /// busy days and the daily cap are all read in it.
    pub tz: Tz,
    pub working_hours: WorkingHours,
    pub event_types: Vec<EventType>,
    /// (D) Coach-level caps and breaks across all event types (issue 11 §6).
    pub pacing: Pacing,
}

/// (D) Limits on a coach's whole day, across every event type (issue 11
/// §6): session caps per local day, week (Monday first) and month, and
/// breaks. A *run* is a chain of appointments (widened by their buffers)
/// each starting less than `break_after` after the previous one ended; no
/// run may last longer than `max_consecutive` from its first start to its
/// last end.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pacing {
    pub max_per_day: Option<u32>,
    pub max_per_week: Option<u32>,
    pub max_per_month: Option<u32>,
    /// The longest run allowed; `None`: no limit.
    pub max_consecutive: Option<Duration>,
    /// The free gap that ends a run (> 0 when `max_consecutive` is set).
    pub break_after: Duration,
}

impl Pacing {
    /// Checks the values are in range; the error names the first bad key.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let bad = |field, reason| Err(PolicyError::InvalidPacing { field, reason });
        for (field, cap) in [("max_per_day", self.max_per_day), ("max_per_week", self.max_per_week), ("max_per_month", self.max_per_month)] {
            if cap == Some(0) {
                return bad(field, "must be at least 1 (leave it out for no cap)");
            }
        }
        match self.max_consecutive {
            Some(d) if d <= Duration::zero() => bad("max_consecutive", "must be greater than zero"),
            Some(_) if self.break_after <= Duration::zero() => bad("break_after", "must be set (greater than zero) with max_consecutive"),
            None if self.break_after != Duration::zero() => bad("break_after", "needs max_consecutive"),
            _ => Ok(()),
        }
    }
}

impl Coach {
    /// The event type with this slug, if the coach offers it.
    pub fn event_type(&self, slug: &str) -> Option<&EventType> {
        self.event_types.iter().find(|e| e.slug == slug)
    }
}

/// The change was asked for after its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too late: changes were possible until {deadline}")]
pub struct TooLate {
    /// The last instant at which the change was allowed.
    pub deadline: DateTime<Utc>,
}

/// A booking starting at `booking_start` may be cancelled while
/// `now <= booking_start - cancel_notice`.
pub fn can_cancel(booking_start: DateTime<Utc>, now: DateTime<Utc>, cancel_notice: Duration) -> Result<(), TooLate> {
    notice_ok(booking_start, now, cancel_notice)
}

/// A booking starting at `booking_start` may be moved while
/// `now <= booking_start - reschedule_notice`. (The new time must also be
/// offered, which the slot rules decide.)
pub fn can_reschedule(
    booking_start: DateTime<Utc>,
    now: DateTime<Utc>,
    reschedule_notice: Duration,
) -> Result<(), TooLate> {
    notice_ok(booking_start, now, reschedule_notice)
}

fn notice_ok(start: DateTime<Utc>, now: DateTime<Utc>, notice: Duration) -> Result<(), TooLate> {
    by_deadline(start - notice, now)
}

/// A change allowed while `now <= deadline`.
pub fn by_deadline(deadline: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), TooLate> {
    if now <= deadline {
        Ok(())
    } else {
        Err(TooLate { deadline })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::collections::BTreeMap;

    #[test]
    fn parses_spec_examples() {
        assert_eq!(parse_duration("15m"), Ok(Duration::minutes(15)));
        assert_eq!(parse_duration("2h"), Ok(Duration::hours(2)));
        assert_eq!(parse_duration("60d"), Ok(Duration::days(60)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::minutes(90)));
        assert_eq!(parse_duration("90s"), Ok(Duration::seconds(90)));
        assert_eq!(parse_duration("0m"), Ok(Duration::zero()));
        assert_eq!(parse_duration(" 1d2h3m4s "), Ok(Duration::seconds(86_400 + 7_200 + 180 + 4)));
    }

    #[test]
    fn rejects_malformed_durations_with_specific_errors() {
        assert_eq!(parse_duration(""), Err(PolicyError::EmptyDuration));
        assert!(matches!(parse_duration("15"), Err(PolicyError::DurationMissingUnit { .. })));
        assert!(matches!(parse_duration("m"), Err(PolicyError::DurationMissingNumber { .. })));
        assert!(matches!(parse_duration("1hm"), Err(PolicyError::DurationMissingNumber { .. })));
        assert!(matches!(parse_duration("5x"), Err(PolicyError::DurationUnexpectedChar { found: 'x', .. })));
        assert!(matches!(parse_duration("-5m"), Err(PolicyError::DurationUnexpectedChar { found: '-', .. })));
        assert!(matches!(parse_duration("1 h"), Err(PolicyError::DurationUnexpectedChar { found: ' ', .. })));
        assert!(matches!(parse_duration("30m1h"), Err(PolicyError::DurationUnitOrder { .. })));
        assert!(matches!(parse_duration("1h1h"), Err(PolicyError::DurationUnitOrder { .. })));
        assert!(matches!(parse_duration("99999999999999999999d"), Err(PolicyError::DurationTooLarge { .. })));
        assert!(matches!(parse_duration("9999999999999999d"), Err(PolicyError::DurationTooLarge { .. })));
        let msg = parse_duration("15").unwrap_err().to_string();
        assert!(msg.contains("\"15\"") && msg.contains("unit"), "{msg}");
    }

    #[test]
    fn format_round_trips() {
        for s in ["0m", "15m", "1h30m", "60d", "90s", "1d2h3m4s"] {
            let d = parse_duration(s).unwrap();
            assert_eq!(parse_duration(&format_duration(d)), Ok(d));
        }
        assert_eq!(format_duration(Duration::minutes(90)), "1h30m");
    }

    #[test]
    fn parses_time_windows() {
        let w = TimeWindow::parse("09:00-12:00").unwrap();
        assert_eq!((w.start_minute(), w.end_minute()), (540, 720));
        assert_eq!(w.to_string(), "09:00-12:00");
        assert_eq!(TimeWindow::parse("00:00-24:00").unwrap().end_minute(), 1440);
        assert_eq!(TimeWindow::parse(" 13:00 - 17:30 ").unwrap().to_string(), "13:00-17:30");
    }

    #[test]
    fn rejects_bad_time_windows() {
        assert!(matches!(TimeWindow::parse("09:00"), Err(PolicyError::WindowSyntax { .. })));
        assert!(matches!(TimeWindow::parse("9:00-12:00"), Err(PolicyError::WindowSyntax { .. })));
        assert!(matches!(TimeWindow::parse("0a:00-12:00"), Err(PolicyError::WindowSyntax { .. })));
        assert!(matches!(TimeWindow::parse("09:00-25:00"), Err(PolicyError::WindowTime { .. })));
        assert!(matches!(TimeWindow::parse("09:60-12:00"), Err(PolicyError::WindowTime { .. })));
        assert!(matches!(TimeWindow::parse("09:00-24:01"), Err(PolicyError::WindowTime { .. })));
        assert!(matches!(TimeWindow::parse("24:00-24:00"), Err(PolicyError::WindowTime { .. })));
        assert!(matches!(TimeWindow::parse("12:00-09:00"), Err(PolicyError::WindowEmpty { .. })));
        assert!(matches!(TimeWindow::parse("12:00-12:00"), Err(PolicyError::WindowEmpty { .. })));
    }

    #[test]
    fn parses_working_hours_map() {
        let mut map = BTreeMap::new();
        map.insert("mon".to_string(), vec!["13:00-17:00".to_string(), "09:00-12:00".to_string()]);
        map.insert("Sat".to_string(), vec!["10:00-12:00".to_string()]);
        let hours = WorkingHours::parse(&map).unwrap();
        let mon: Vec<String> = hours.windows(Weekday::Mon).iter().map(ToString::to_string).collect();
        assert_eq!(mon, ["09:00-12:00", "13:00-17:00"]);
        assert_eq!(hours.windows(Weekday::Sat).len(), 1);
        assert!(hours.windows(Weekday::Sun).is_empty());
    }

    #[test]
    fn rejects_bad_working_hours() {
        let err = WorkingHours::parse([("monday", vec!["09:00-12:00"])]).unwrap_err();
        assert!(matches!(err, PolicyError::UnknownWeekday { .. }));
        let err = WorkingHours::parse([("mon", vec!["09:00-12:00"]), ("MON", vec![])]).unwrap_err();
        assert!(matches!(err, PolicyError::DuplicateWeekday { .. }));
        let err = WorkingHours::parse([("tue", vec!["09:00-12:00", "11:00-13:00"])]).unwrap_err();
        assert_eq!(err.to_string(), "working hours on tue overlap: 09:00-12:00 and 11:00-13:00");
        assert!(WorkingHours::parse([("tue", vec!["09:00-12:00", "12:00-13:00"])]).is_ok());
    }

    #[test]
    fn event_type_defaults_are_valid_and_checked() {
        let mut et = EventType::new("trial", "Trial lesson", Duration::minutes(30));
        assert_eq!(et.validate(), Ok(()));
        assert_eq!(et.hold_ttl, Duration::minutes(10));
        assert_eq!(et.reminders, vec![Duration::hours(24), Duration::hours(1)]);
        et.seats = 0;
        assert!(matches!(et.validate(), Err(PolicyError::InvalidEventType { field: "seats", .. })));
        et.seats = 1;
        et.slug = "Bad Slug".into();
        assert!(matches!(et.validate(), Err(PolicyError::InvalidEventType { field: "slug", .. })));
        et.slug = "ok".into();
        et.slot_interval = Duration::zero();
        assert!(matches!(et.validate(), Err(PolicyError::InvalidEventType { field: "slot_interval", .. })));
    }

    #[test]
    fn notice_deadline_is_inclusive() {
        let start = Utc.with_ymd_and_hms(2026, 5, 4, 10, 0, 0).unwrap();
        let notice = Duration::hours(24);
        let deadline = start - notice;
        assert_eq!(can_cancel(start, deadline, notice), Ok(()));
        assert_eq!(can_cancel(start, deadline + Duration::seconds(1), notice), Err(TooLate { deadline }));
        assert_eq!(can_reschedule(start, start, Duration::zero()), Ok(()));
        assert!(can_reschedule(start, start + Duration::seconds(1), Duration::zero()).is_err());
    }
}
