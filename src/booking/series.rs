//! Recurring sessions (issue 11 §2), the pure rules: what a student may
//! ask for (`"every": "2w"`, a count, dates to skip), and the occurrences
//! of a series on the coach's wall clock. Time is a parameter; nothing
//! here reads the clock or the store (the service's `series` room does).
//!
//! A series keeps its local time across daylight-saving changes: the
//! 09:00 lesson in Europe/Berlin is at 08:00 UTC in winter and 07:00 UTC
//! in summer, exactly as the VEVENT's `RRULE` with `DTSTART;TZID=` expands.
//! The occurrence times are computed with the same zone rule the
//! iCalendar reader uses (`ical::zone::Zone::to_utc`), so the booking
//! records and the VEVENT's instances always agree.
//!
//! The booking horizon bounds where a series may *start*; its later
//! occurrences may lie past the horizon (twelve weekly lessons reach
//! eleven weeks ahead), but each is checked against every other rule.
//!
//! Imports: `policy` (the event type), `ical::zone`, `model`.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use super::policy::EventType;
use crate::ical::zone::Zone;
use crate::model::TimeRange;

/// What a student asks for: every `every_weeks` weeks, `count` times in
/// all, leaving out the starts in `skip`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesRequest {
    pub every_weeks: u32,
    pub count: u32,
    pub skip: Vec<DateTime<Utc>>,
}

/// Why a series request is refused before any slot is looked at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeriesError {
    #[error("this kind of session cannot be repeated")]
    NotOffered,
    #[error("`every` must be one of {0}")]
    Interval(String),
    #[error("`count` must be between 2 and {max}")]
    Count { max: u32 },
    #[error("`skip` names {0}, which is not a date of this series")]
    SkipUnknown(DateTime<Utc>),
    #[error("the first date cannot be skipped: pick the first date you want")]
    SkipFirst,
}

impl SeriesError {
    /// The request field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            SeriesError::NotOffered | SeriesError::Interval(_) => "every",
            SeriesError::Count { .. } => "count",
            SeriesError::SkipUnknown(_) | SeriesError::SkipFirst => "skip",
        }
    }
}

/// `"1w"` … `"4w"` → weeks.
pub fn parse_every(text: &str) -> Result<u32, String> {
    let t = text.trim();
    match t.strip_suffix('w').and_then(|n| n.parse::<u32>().ok()) {
        Some(n @ 1..=4) => Ok(n),
        _ => Err(format!("`{t}` is not \"1w\", \"2w\", \"3w\" or \"4w\"")),
    }
}

/// The text of an interval, as in the configuration (`2` → `"2w"`).
pub fn format_every(weeks: u32) -> String {
    format!("{weeks}w")
}

/// The `count` starts of a series whose first session starts at `first`,
/// every `every_weeks` weeks at the same wall-clock time in `tz`.
pub fn series_starts(first: DateTime<Utc>, tz: Tz, every_weeks: u32, count: u32) -> Vec<DateTime<Utc>> {
    let zone = Zone::Iana(tz);
    let local = first.with_timezone(&tz).naive_local();
    (0..count as i64)
        .map(|i| zone.to_utc(local + Duration::weeks(i * every_weeks as i64)))
        .collect()
}

/// Checks `request` against what `et` offers and gives every date of the
/// series (skipped ones included, for the RRULE's COUNT) and the ranges
/// to book (without the skipped ones).
pub fn plan(et: &EventType, tz: Tz, first: DateTime<Utc>, request: &SeriesRequest) -> Result<SeriesPlan, SeriesError> {
    if et.repeat_weeks.is_empty() {
        return Err(SeriesError::NotOffered);
    }
    if !et.repeat_weeks.contains(&request.every_weeks) {
        let offered: Vec<String> = et.repeat_weeks.iter().map(|w| format!("\"{}\"", format_every(*w))).collect();
        return Err(SeriesError::Interval(offered.join(", ")));
    }
    if request.count < 2 || request.count > et.repeat_max {
        return Err(SeriesError::Count { max: et.repeat_max });
    }
    let starts = series_starts(first, tz, request.every_weeks, request.count);
    for s in &request.skip {
        if *s == first {
            return Err(SeriesError::SkipFirst);
        }
        if !starts.contains(s) {
            return Err(SeriesError::SkipUnknown(*s));
        }
    }
    let occurrences = starts
        .iter()
        .filter(|s| !request.skip.contains(s))
        .map(|s| TimeRange::new(*s, *s + et.duration))
        .collect();
    Ok(SeriesPlan { starts, occurrences })
}

/// A checked series request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesPlan {
    /// Every date of the rule (the RRULE's COUNT of them).
    pub starts: Vec<DateTime<Utc>>,
    /// What is booked: the dates not skipped, each as long as the session.
    pub occurrences: Vec<TimeRange>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn weekly() -> EventType {
        let mut et = EventType::new("lesson", "Lesson", Duration::minutes(60));
        et.repeat_weeks = vec![1, 2];
        et.repeat_max = 12;
        et
    }

    #[test]
    fn intervals_parse_one_to_four_weeks() {
        assert_eq!(parse_every("1w"), Ok(1));
        assert_eq!(parse_every(" 4w "), Ok(4));
        assert!(parse_every("5w").is_err());
        assert!(parse_every("0w").is_err());
        assert!(parse_every("1d").is_err());
        assert!(parse_every("").is_err());
    }

    /// Berlin leaves summer time on 25 Oct 2026: a 09:00 lesson moves from
    /// 07:00 to 08:00 UTC and stays at 09:00 local.
    #[test]
    fn a_berlin_series_keeps_its_wall_clock_time_across_the_autumn_change() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let first = tz.with_ymd_and_hms(2026, 10, 14, 9, 0, 0).unwrap().with_timezone(&Utc);
        let starts = series_starts(first, tz, 1, 4);
        let utc_hours: Vec<u32> = starts.iter().map(chrono::Timelike::hour).collect();
        assert_eq!(utc_hours, vec![7, 7, 8, 8]);
        for s in &starts {
            assert_eq!(chrono::Timelike::hour(&s.with_timezone(&tz)), 9);
        }
    }

    /// New York enters summer time on 8 Mar 2026: 17:30 local stays 17:30.
    #[test]
    fn a_new_york_series_keeps_its_wall_clock_time_across_the_spring_change() {
        let tz: Tz = "America/New_York".parse().unwrap();
        let first = tz.with_ymd_and_hms(2026, 2, 24, 17, 30, 0).unwrap().with_timezone(&Utc);
        let starts = series_starts(first, tz, 2, 3);
        assert_eq!(starts[0], Utc.with_ymd_and_hms(2026, 2, 24, 22, 30, 0).unwrap());
        assert_eq!(starts[1], Utc.with_ymd_and_hms(2026, 3, 10, 21, 30, 0).unwrap());
        assert_eq!(starts[2], Utc.with_ymd_and_hms(2026, 3, 24, 21, 30, 0).unwrap());
    }

    #[test]
    fn a_plan_drops_skipped_dates_but_keeps_them_in_the_rule() {
        let tz = chrono_tz::UTC;
        let first = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let skip = first + Duration::weeks(2);
        let plan = plan(&weekly(), tz, first, &SeriesRequest { every_weeks: 1, count: 4, skip: vec![skip] }).unwrap();
        assert_eq!(plan.starts.len(), 4);
        assert_eq!(plan.occurrences.len(), 3);
        assert!(plan.occurrences.iter().all(|r| r.start != skip && r.end - r.start == Duration::minutes(60)));
    }

    #[test]
    fn bad_requests_name_their_field() {
        let tz = chrono_tz::UTC;
        let first = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let req = |every, count, skip: Vec<DateTime<Utc>>| SeriesRequest { every_weeks: every, count, skip };
        assert_eq!(plan(&weekly(), tz, first, &req(3, 4, vec![])).unwrap_err().field(), "every");
        assert_eq!(plan(&weekly(), tz, first, &req(1, 13, vec![])).unwrap_err(), SeriesError::Count { max: 12 });
        assert_eq!(plan(&weekly(), tz, first, &req(1, 1, vec![])).unwrap_err().field(), "count");
        assert_eq!(plan(&weekly(), tz, first, &req(1, 4, vec![first])).unwrap_err(), SeriesError::SkipFirst);
        let odd = first + Duration::days(3);
        assert_eq!(plan(&weekly(), tz, first, &req(1, 4, vec![odd])).unwrap_err(), SeriesError::SkipUnknown(odd));
        let plain = EventType::new("x", "X", Duration::minutes(30));
        assert_eq!(plan(&plain, tz, first, &req(1, 4, vec![])).unwrap_err(), SeriesError::NotOffered);
    }
}
