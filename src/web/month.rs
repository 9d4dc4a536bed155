//! The month overview of the slots page: a calendar of one month, weeks
//! from Monday, each day with open times a link to that day (marked by a
//! symbol and its label as well as by style, never by colour alone).
//!
//! Pure: the open times' local dates come in, the grid the template lays
//! out goes back, its words and dates in the page's language.
//!
//! May import: `i18n`, chrono.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};

use crate::i18n::{dates, Tr};

/// One day of the grid; days of the months around are blank cells.
pub struct MonthCell {
    /// The day of the month, or 0 for a blank cell.
    pub day: u32,
    /// The link to the day's times, for a day with open times.
    pub link: Option<String>,
    /// What a screen reader says: "Tuesday 5 May 2026, 8 open times".
    pub label: String,
    /// The day whose times are shown.
    pub chosen: bool,
    pub today: bool,
}

/// A column of the grid: the weekday's name and its short form.
pub struct Weekday {
    pub name: String,
    pub short: String,
}

/// The grid of one month.
pub struct MonthGrid {
    /// "May 2026".
    pub label: String,
    /// Monday to Sunday.
    pub weekdays: Vec<Weekday>,
    pub weeks: Vec<Vec<MonthCell>>,
    /// Days with open times.
    pub open_days: usize,
}

/// The first day of the month of `d`.
pub fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// The first day of the month after the one of `d`.
pub fn next_month(d: NaiveDate) -> NaiveDate {
    let first = first_of_month(d);
    first_of_month(first + Duration::days(32))
}

/// The first day of the month before the one of `d`.
pub fn previous_month(d: NaiveDate) -> NaiveDate {
    first_of_month(first_of_month(d) - Duration::days(1))
}

/// A `month` parameter (`YYYY-MM`) as the month's first day.
pub fn parse_month(param: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{param}-01"), "%Y-%m-%d").ok()
}

/// The grid of the month starting `first`, with `open` (open times per
/// local date), `chosen` highlighted and `link` for each open day.
pub fn month_grid(tr: &Tr, first: NaiveDate, open: &BTreeMap<NaiveDate, usize>, chosen: Option<NaiveDate>, today: NaiveDate, link: impl Fn(NaiveDate) -> String) -> MonthGrid {
    let first = first_of_month(first);
    let end = next_month(first);
    let blank = || MonthCell { day: 0, link: None, label: String::new(), chosen: false, today: false };
    let mut weeks = Vec::new();
    let mut week: Vec<MonthCell> = (0..first.weekday().num_days_from_monday()).map(|_| blank()).collect();
    let mut open_days = 0;
    let mut d = first;
    while d < end {
        let count = open.get(&d).copied().unwrap_or(0);
        // Only a day with open times is a link, and only a link is named.
        let label = if count > 0 { tr.tn("month-day-open", count, "day", dates::long_date(tr.locale, d)) } else { String::new() };
        if count > 0 {
            open_days += 1;
        }
        week.push(MonthCell { day: d.day(), link: (count > 0).then(|| link(d)), label, chosen: chosen == Some(d), today: d == today });
        if week.len() == 7 {
            weeks.push(std::mem::take(&mut week));
        }
        d += Duration::days(1);
    }
    if !week.is_empty() {
        week.resize_with(7, blank);
        weeks.push(week);
    }
    let monday = first - Duration::days(first.weekday().num_days_from_monday().into());
    let weekdays = (0..7)
        .map(|i| {
            let (name, short) = dates::weekday(tr.locale, monday + Duration::days(i));
            Weekday { name, short }
        })
        .collect();
    MonthGrid { label: dates::month(tr.locale, first), weekdays, weeks, open_days }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Locale;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn weeks_start_on_monday_and_blank_the_other_months() {
        // May 2026 starts on a Friday and has 31 days: 6 rows.
        let open = BTreeMap::from([(date(2026, 5, 5), 8), (date(2026, 5, 29), 1)]);
        let g = month_grid(&Tr::new(Locale::En), date(2026, 5, 17), &open, Some(date(2026, 5, 5)), date(2026, 5, 4), |d| format!("?day={d}"));
        assert_eq!(g.label, "May 2026");
        assert_eq!(g.weekdays.iter().map(|w| w.short.as_str()).collect::<Vec<_>>(), ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]);
        assert_eq!(g.weeks.len(), 5);
        assert!(g.weeks.iter().all(|w| w.len() == 7));
        assert_eq!(g.weeks[0].iter().map(|c| c.day).collect::<Vec<_>>(), [0, 0, 0, 0, 1, 2, 3]);
        assert_eq!(g.weeks[4].iter().map(|c| c.day).collect::<Vec<_>>(), [25, 26, 27, 28, 29, 30, 31]);
        let fifth = &g.weeks[1][1];
        assert_eq!((fifth.day, fifth.link.as_deref(), fifth.chosen), (5, Some("?day=2026-05-05"), true));
        assert_eq!(fifth.label, "Tuesday 5 May 2026, 8 open times");
        assert_eq!(g.weeks[4][4].label, "Friday 29 May 2026, one open time");
        assert!(g.weeks[1][0].today && g.weeks[1][0].link.is_none());
        assert_eq!(g.open_days, 2);
    }

    #[test]
    fn a_month_may_need_six_rows() {
        // August 2026 starts on a Saturday: 1–2, then 3–30, then 31.
        let g = month_grid(&Tr::new(Locale::En), date(2026, 8, 1), &BTreeMap::new(), None, date(2026, 1, 1), |_| String::new());
        assert_eq!(g.weeks.len(), 6);
        assert_eq!(g.weeks[5][0].day, 31);
        assert_eq!(g.open_days, 0);
    }

    #[test]
    fn the_grid_speaks_the_page_language() {
        let open = BTreeMap::from([(date(2026, 5, 5), 1), (date(2026, 5, 6), 3)]);
        let g = month_grid(&Tr::new(Locale::De), date(2026, 5, 1), &open, None, date(2026, 5, 4), |d| format!("?day={d}"));
        assert_eq!(g.label, "Mai 2026");
        assert_eq!(g.weekdays[0].name, "Montag");
        assert_eq!(g.weeks[1][1].label, "Dienstag, 5. Mai 2026, ein freier Termin");
        assert_eq!(g.weeks[1][2].label, "Mittwoch, 6. Mai 2026, 3 freie Termine");
        let g = month_grid(&Tr::new(Locale::Fr), date(2026, 5, 1), &open, None, date(2026, 5, 4), |d| format!("?day={d}"));
        assert_eq!(g.label, "mai 2026");
        assert_eq!(g.weeks[1][2].label, "mercredi 6 mai 2026, 3 créneaux libres");
    }

    #[test]
    fn months_step_across_years() {
        assert_eq!(next_month(date(2026, 12, 31)), date(2027, 1, 1));
        assert_eq!(previous_month(date(2026, 1, 15)), date(2025, 12, 1));
        assert_eq!(next_month(date(2026, 1, 31)), date(2026, 2, 1));
        assert_eq!(parse_month("2026-02"), Some(date(2026, 2, 1)));
        assert_eq!(parse_month("2026-13"), None);
        assert_eq!(parse_month("soon"), None);
    }
}
