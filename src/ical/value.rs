//! Property values (RFC 5545 §3.3): DATE, DATE-TIME, DURATION, PERIOD
//! (as RDATE entries) and UTC-OFFSET, read from a value string.
//!
//! May import: [`super::zone`] (a zoned DATE-TIME carries its [`Zone`]).
//! Which zone a TZID parameter names is decided above, in [`super::tz`].

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

use super::zone::Zone;

/// A DATE or DATE-TIME value (RFC 5545 §3.3.4, §3.3.5) with its zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateValue {
    /// `VALUE=DATE`: a floating calendar day.
    Date(NaiveDate),
    /// Form #1: local time with no zone.
    Floating(NaiveDateTime),
    /// Form #2: `…Z`.
    Utc(DateTime<Utc>),
    /// Form #3: local time with a resolved TZID.
    Zoned(NaiveDateTime, Zone),
}

impl DateValue {
    /// The wall-clock time (midnight for a DATE; UTC wall time for form #2).
    pub fn local(&self) -> NaiveDateTime {
        match self {
            DateValue::Date(d) => d.and_time(NaiveTime::MIN),
            DateValue::Floating(l) | DateValue::Zoned(l, _) => *l,
            DateValue::Utc(t) => t.naive_utc(),
        }
    }

    /// The zone wall-clock times are read in; floating values use `floating`.
    pub fn zone(&self, floating: Zone) -> Zone {
        match self {
            DateValue::Date(_) | DateValue::Floating(_) => floating,
            DateValue::Utc(_) => Zone::UTC,
            DateValue::Zoned(_, z) => *z,
        }
    }

    pub fn resolve(&self, floating: Zone) -> DateTime<Utc> {
        match self {
            DateValue::Utc(t) => *t,
            other => other.zone(floating).to_utc(other.local()),
        }
    }

    pub fn is_date(&self) -> bool {
        matches!(self, DateValue::Date(_))
    }

    /// Floating time (a DATE counts: RFC 4791 treats it as floating).
    pub fn is_floating(&self) -> bool {
        matches!(self, DateValue::Date(_) | DateValue::Floating(_))
    }

    /// Same way of reading wall-clock time (so wall-clock differences are
    /// meaningful between the two values).
    pub fn same_frame(&self, other: &DateValue) -> bool {
        match (self, other) {
            (DateValue::Utc(_), DateValue::Utc(_)) => true,
            (DateValue::Zoned(_, a), DateValue::Zoned(_, b)) => a == b,
            (a, b) => a.is_floating() && b.is_floating(),
        }
    }
}

/// A DURATION (RFC 5545 §3.3.6): nominal days (weeks count as 7) plus exact
/// seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IcalDuration {
    pub days: i64,
    pub seconds: i64,
}

impl IcalDuration {
    pub fn is_zero(&self) -> bool {
        self.days == 0 && self.seconds == 0
    }

    pub fn as_exact(&self) -> Duration {
        Duration::seconds(self.days.saturating_mul(86_400).saturating_add(self.seconds))
    }

    /// `start + self`, nominal days in wall-clock time of `zone`.
    pub fn add_to(&self, start_local: NaiveDateTime, zone: Zone) -> DateTime<Utc> {
        let local = start_local
            .checked_add_signed(Duration::days(self.days))
            .unwrap_or(start_local);
        let t = zone.to_utc(local);
        t.checked_add_signed(Duration::seconds(self.seconds)).unwrap_or(t)
    }
}

pub fn parse_duration(s: &str) -> Option<IcalDuration> {
    let s = s.trim();
    let (neg, s) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let s = s.strip_prefix(['P', 'p'])?;
    let mut d = IcalDuration::default();
    let mut num = String::new();
    let mut in_time = false;
    let mut any = false;
    for c in s.chars() {
        match c.to_ascii_uppercase() {
            '0'..='9' => {
                if num.len() > 9 {
                    return None;
                }
                num.push(c)
            }
            'T' if num.is_empty() && !in_time => in_time = true,
            u @ ('W' | 'D' | 'H' | 'M' | 'S') => {
                let n: i64 = num.parse().ok()?;
                num.clear();
                any = true;
                match (u, in_time) {
                    ('W', false) => d.days += 7 * n,
                    ('D', false) => d.days += n,
                    ('H', true) => d.seconds += 3600 * n,
                    ('M', true) => d.seconds += 60 * n,
                    ('S', true) => d.seconds += n,
                    _ => return None,
                }
            }
            _ => return None,
        }
    }
    if !num.is_empty() || !any || d.days.abs() > 3_000_000 || d.seconds.abs() > 100_000_000_000 {
        return None;
    }
    if neg {
        d.days = -d.days;
        d.seconds = -d.seconds;
    }
    Some(d)
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::from_ymd_opt(s[0..4].parse().ok()?, s[4..6].parse().ok()?, s[6..8].parse().ok()?)
}

/// `YYYYMMDDTHHMMSS` (optionally with `Z`, which is ignored) or `YYYYMMDD`
/// (→ midnight): the wall-clock reading of a value.
pub fn parse_local_datetime(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    let s = s.strip_suffix(['Z', 'z']).unwrap_or(s);
    if !s.is_ascii() {
        return None;
    }
    if s.len() == 8 {
        return parse_date(s).map(|d| d.and_time(NaiveTime::MIN));
    }
    if s.len() != 15 || !matches!(s.as_bytes()[8], b'T' | b't') {
        return None;
    }
    let date = parse_date(&s[..8])?;
    let t = &s[9..];
    if !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Leap second 60 is read as 59.
    let sec: u32 = t[4..6].parse().ok()?;
    let time = NaiveTime::from_hms_opt(t[0..2].parse().ok()?, t[2..4].parse().ok()?, sec.min(59))?;
    Some(date.and_time(time))
}

/// Parse one DATE / DATE-TIME value; `tzid` is already resolved (None:
/// floating, or a TZID we could not place — also read as floating).
pub fn parse_date_value(s: &str, is_date_param: bool, zone: Option<Zone>) -> Option<DateValue> {
    let s = s.trim();
    if s.len() == 8 {
        return parse_date(s).map(DateValue::Date);
    }
    if is_date_param {
        return None;
    }
    let local = parse_local_datetime(s)?;
    if s.ends_with(['Z', 'z']) {
        return Some(DateValue::Utc(Utc.from_utc_datetime(&local)));
    }
    Some(match zone {
        Some(z) => DateValue::Zoned(local, z),
        None => DateValue::Floating(local),
    })
}

/// An RDATE entry: a date, a date-time, or a PERIOD (RFC 5545 §3.3.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RDateValue {
    At(DateValue),
    Period(DateValue, PeriodEnd),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodEnd {
    End(DateValue),
    Duration(IcalDuration),
}

/// `+0100`, `-0500`, `+053000` → seconds east of UTC.
pub fn parse_utc_offset(s: &str) -> Option<i32> {
    let s = s.trim();
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    if !(rest.len() == 4 || rest.len() == 6) || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: i32 = rest[0..2].parse().ok()?;
    let m: i32 = rest[2..4].parse().ok()?;
    let sec: i32 = if rest.len() == 6 { rest[4..6].parse().ok()? } else { 0 };
    if h > 23 || m > 59 || sec > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60 + sec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("PT1H30M"), Some(IcalDuration { days: 0, seconds: 5400 }));
        assert_eq!(parse_duration("-P1W"), Some(IcalDuration { days: -7, seconds: 0 }));
        assert_eq!(parse_duration("P1DT2H"), Some(IcalDuration { days: 1, seconds: 7200 }));
        assert_eq!(parse_duration("P"), None);
        assert_eq!(parse_duration("PT1D"), None);
        assert_eq!(parse_duration("1H"), None);
    }
}
