//! [`Zone`]: a zone to place wall-clock times with (an Olson zone or a
//! fixed offset), and the arithmetic between wall-clock and absolute time.
//!
//! A leaf: it imports nothing from `ical`. Which zone a TZID names is
//! [`super::tz`]'s business.

use chrono::{DateTime, Duration, FixedOffset, LocalResult, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// A zone to place wall-clock times with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    Iana(Tz),
    Fixed(FixedOffset),
}

impl Zone {
    pub const UTC: Zone = Zone::Iana(Tz::UTC);

    /// The absolute instant of a wall-clock time in this zone. A time that
    /// falls in a gap is read with the offset in force before the gap, an
    /// ambiguous one as its first occurrence (RFC 5545 §3.3.5).
    pub fn to_utc(&self, local: NaiveDateTime) -> DateTime<Utc> {
        match self {
            Zone::Fixed(off) => sub_offset(local, off.local_minus_utc()),
            Zone::Iana(tz) => match tz.from_local_datetime(&local) {
                LocalResult::Single(t) => t.with_timezone(&Utc),
                LocalResult::Ambiguous(a, _) => a.with_timezone(&Utc),
                LocalResult::None => {
                    let before = local.checked_sub_signed(Duration::hours(24)).unwrap_or(local);
                    let off = tz.offset_from_utc_datetime(&before).fix().local_minus_utc();
                    sub_offset(local, off)
                }
            },
        }
    }

    /// The wall-clock time of an instant in this zone.
    pub fn to_local(&self, t: DateTime<Utc>) -> NaiveDateTime {
        match self {
            Zone::Fixed(off) => t.with_timezone(off).naive_local(),
            Zone::Iana(tz) => t.with_timezone(tz).naive_local(),
        }
    }

    /// UTC offset in seconds at an instant.
    pub fn offset_at(&self, t: DateTime<Utc>) -> i32 {
        match self {
            Zone::Fixed(off) => off.local_minus_utc(),
            Zone::Iana(tz) => tz.offset_from_utc_datetime(&t.naive_utc()).fix().local_minus_utc(),
        }
    }

    /// The Olson zone, when this is one (or a whole-hour fixed offset,
    /// expressed as `Etc/GMT±N`).
    pub fn as_tz(&self) -> Option<Tz> {
        match self {
            Zone::Iana(tz) => Some(*tz),
            Zone::Fixed(off) => {
                let secs = off.local_minus_utc();
                if secs == 0 {
                    return Some(Tz::UTC);
                }
                if secs % 3600 != 0 {
                    return None;
                }
                // Etc/GMT signs are inverted (POSIX).
                let h = -secs / 3600;
                let name = if h > 0 { format!("Etc/GMT+{h}") } else { format!("Etc/GMT{h}") };
                name.parse().ok()
            }
        }
    }
}

impl From<Tz> for Zone {
    fn from(tz: Tz) -> Self {
        Zone::Iana(tz)
    }
}

pub(super) fn sub_offset(local: NaiveDateTime, secs: i32) -> DateTime<Utc> {
    let naive = local
        .checked_sub_signed(Duration::seconds(secs as i64))
        .unwrap_or(local);
    Utc.from_utc_datetime(&naive)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn gap_and_fold_handling() {
        let z = Zone::Iana(Tz::Europe__Berlin);
        let gap = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap().and_hms_opt(2, 30, 0).unwrap();
        assert_eq!(z.to_utc(gap), Utc.with_ymd_and_hms(2026, 3, 29, 1, 30, 0).unwrap());
        let fold = NaiveDate::from_ymd_opt(2026, 10, 25).unwrap().and_hms_opt(2, 30, 0).unwrap();
        assert_eq!(z.to_utc(fold), Utc.with_ymd_and_hms(2026, 10, 25, 0, 30, 0).unwrap());
    }
}
