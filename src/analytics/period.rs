//! The period an analytics report covers and its weeks in a coach's
//! zone. A period is a range of whole local days, `from` to `to`
//! inclusive, at most [`MAX_DAYS`] long; its weeks start on Mondays
//! (ISO weeks), the first and last clipped to the period. A week is a
//! span of local wall-clock time, so across a DST change it is 167 or 169
//! hours of absolute time. Pure: dates and zones in, ranges out.

use chrono::{Datelike, Duration, NaiveDate};
use chrono_tz::Tz;

use super::AnalyticsError;
use crate::booking::availability::local_day;
use crate::model::TimeRange;

/// The longest period a report covers (two years and a day), so one
/// request's work stays bounded.
pub const MAX_DAYS: i64 = 731;

/// Weeks shown when no period is asked for.
pub const DEFAULT_WEEKS: i64 = 12;

/// Local days `from` to `to`, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// The default: the last [`DEFAULT_WEEKS`] weeks up to `today`, the
    /// first starting on a Monday.
    pub fn last_weeks(today: NaiveDate) -> Period {
        let from = monday_of(today) - Duration::weeks(DEFAULT_WEEKS - 1);
        Period { from, to: today }
    }

    /// A period from the query's `from` and `to` (`YYYY-MM-DD`); a missing
    /// end takes the default's.
    pub fn parse(from: Option<&str>, to: Option<&str>, today: NaiveDate) -> Result<Period, AnalyticsError> {
        let date = |field: &'static str, text: &str| {
            NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
                .map_err(|_| AnalyticsError::BadDate { field, value: text.chars().take(40).collect() })
        };
        let default = Period::last_weeks(today);
        let to = match to.filter(|t| !t.trim().is_empty()) {
            Some(t) => date("to", t)?,
            None => default.to,
        };
        let from = match from.filter(|t| !t.trim().is_empty()) {
            Some(f) => date("from", f)?,
            None if to == default.to => default.from,
            None => monday_of(to) - Duration::weeks(DEFAULT_WEEKS - 1),
        };
        Period::new(from, to)
    }

    /// Checks the order and the length.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Period, AnalyticsError> {
        if to < from {
            return Err(AnalyticsError::Reversed);
        }
        if (to - from).num_days() + 1 > MAX_DAYS {
            return Err(AnalyticsError::TooLong { max_days: MAX_DAYS });
        }
        Ok(Period { from, to })
    }

    /// The period as absolute time in `tz`: from the start of `from` to
    /// the end of `to`.
    pub fn range(&self, tz: Tz) -> TimeRange {
        TimeRange::new(local_day(tz, self.from).start, local_day(tz, self.to).end)
    }

    /// The Mondays of the weeks that meet the period, in order.
    pub fn mondays(&self) -> Vec<NaiveDate> {
        let mut out = Vec::new();
        let mut monday = monday_of(self.from);
        while monday <= self.to {
            out.push(monday);
            monday += Duration::weeks(1);
        }
        out
    }

    /// Each week's span of absolute time in `tz`, clipped to the period:
    /// `(monday, range)` in order, touching end to start.
    pub fn weeks(&self, tz: Tz) -> Vec<(NaiveDate, TimeRange)> {
        self.mondays()
            .into_iter()
            .map(|monday| {
                let first = monday.max(self.from);
                let last = (monday + Duration::days(6)).min(self.to);
                (monday, TimeRange::new(local_day(tz, first).start, local_day(tz, last).end))
            })
            .collect()
    }
}

/// The Monday of `date`'s ISO week.
pub fn monday_of(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use chrono_tz::Europe::Berlin;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_default_is_twelve_weeks_from_a_monday() {
        let p = Period::last_weeks(d(2026, 5, 6));
        assert_eq!((p.from, p.to), (d(2026, 2, 16), d(2026, 5, 6)));
        assert_eq!(p.mondays().len(), 12);
        assert_eq!(Period::parse(None, None, d(2026, 5, 6)).unwrap(), p);
        assert_eq!(Period::parse(Some(""), Some(" "), d(2026, 5, 6)).unwrap(), p);
    }

    #[test]
    fn bad_reversed_and_long_periods_are_refused() {
        let today = d(2026, 5, 6);
        assert!(matches!(Period::parse(Some("2026-13-01"), None, today), Err(AnalyticsError::BadDate { field: "from", .. })));
        assert!(matches!(Period::parse(None, Some("yesterday"), today), Err(AnalyticsError::BadDate { field: "to", .. })));
        assert!(matches!(Period::parse(Some("2026-05-02"), Some("2026-05-01"), today), Err(AnalyticsError::Reversed)));
        assert!(matches!(Period::parse(Some("2020-01-01"), Some("2026-01-01"), today), Err(AnalyticsError::TooLong { .. })));
        assert!(Period::parse(Some("2024-05-06"), Some("2026-05-05"), today).is_ok(), "two years fit");
        assert_eq!(Period::parse(None, Some("2026-03-04"), today).unwrap().from, d(2025, 12, 15));
    }

    /// Weeks are local: the week of the spring change is an hour short,
    /// that of the autumn change an hour long, and they touch.
    #[test]
    fn weeks_follow_the_coach_zone_across_dst() {
        let p = Period::new(d(2026, 3, 23), d(2026, 11, 1)).unwrap();
        let weeks = p.weeks(Berlin);
        assert_eq!(weeks[0].1.start, Utc.with_ymd_and_hms(2026, 3, 22, 23, 0, 0).unwrap());
        assert_eq!(weeks[0].1.duration(), Duration::hours(167));
        assert_eq!(weeks[1].1.duration(), Duration::hours(168));
        assert_eq!(weeks[1].1.start, Utc.with_ymd_and_hms(2026, 3, 29, 22, 0, 0).unwrap());
        let autumn = weeks.iter().find(|(m, _)| *m == d(2026, 10, 19)).unwrap();
        assert_eq!(autumn.1.duration(), Duration::hours(169));
        assert!(weeks.windows(2).all(|w| w[0].1.end == w[1].1.start));
        assert_eq!(weeks.last().unwrap().1.end, p.range(Berlin).end);
    }

    #[test]
    fn first_and_last_weeks_are_clipped_to_the_period() {
        let p = Period::new(d(2026, 5, 6), d(2026, 5, 12)).unwrap();
        let weeks = p.weeks(chrono_tz::UTC);
        assert_eq!(weeks.iter().map(|(m, _)| *m).collect::<Vec<_>>(), vec![d(2026, 5, 4), d(2026, 5, 11)]);
        assert_eq!(weeks[0].1.duration(), Duration::days(5));
        assert_eq!(weeks[1].1.duration(), Duration::days(2));
    }
}
