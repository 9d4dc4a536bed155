//! Dates and times as each locale writes them: weekday and month names
//! (chrono's locale tables), the order of day, month and year, and the
//! clock: 12-hour with AM/PM for US English ("2:30 PM"), 24-hour for
//! international English, German, French and Spanish. Pure: times come
//! in already in the zone they are shown in.
//!
//! May import: nothing of the crate but [`super::Locale`].

use std::fmt::Display;

use chrono::{DateTime, NaiveDate, TimeZone};

use super::Locale;

/// The format strings of one locale (chrono's `strftime` syntax).
struct Formats {
    chrono: chrono::Locale,
    /// "Tuesday 5 May 2026"
    long_date: &'static str,
    /// "Tue 5 May": a day in the week view.
    day: &'static str,
    /// "09:00" or "9:00 AM"
    time: &'static str,
    /// "Wed 6 Mar 10:00": a time with its day.
    day_time: &'static str,
    /// "4 May 09:00": a deadline.
    date_time: &'static str,
    /// "4 May" and "10 May 2026": the ends of a week.
    week_start: &'static str,
    week_end: &'static str,
    /// "Monday, 2 March 2026, 10:00": a mail's "when".
    long_date_time: &'static str,
    /// "Mon 2 Mar 2026 10:00": a mail's subject.
    subject: &'static str,
    /// "3 March 2026, 10:00": the end of a session on a later day.
    later_day: &'static str,
    /// "May 2026": the month overview's heading.
    month: &'static str,
}

fn formats(locale: Locale) -> Formats {
    match locale {
        Locale::En => Formats {
            chrono: chrono::Locale::en_GB,
            long_date: "%A %-d %B %Y",
            day: "%a %-d %b",
            time: "%H:%M",
            day_time: "%a %-d %b %H:%M",
            date_time: "%-d %B %H:%M",
            week_start: "%-d %b",
            week_end: "%-d %b %Y",
            long_date_time: "%A, %-d %B %Y, %H:%M",
            subject: "%a %-d %b %Y %H:%M",
            later_day: "%-d %B %Y, %H:%M",
            month: "%B %Y",
        },
        Locale::EnUs => Formats {
            chrono: chrono::Locale::en_US,
            long_date: "%A, %B %-d, %Y",
            day: "%a, %b %-d",
            time: "%-I:%M %p",
            day_time: "%a, %b %-d, %-I:%M %p",
            date_time: "%B %-d, %-I:%M %p",
            week_start: "%b %-d",
            week_end: "%b %-d, %Y",
            long_date_time: "%A, %B %-d, %Y, %-I:%M %p",
            subject: "%a, %b %-d, %Y, %-I:%M %p",
            later_day: "%B %-d, %Y, %-I:%M %p",
            month: "%B %Y",
        },
        Locale::De => Formats {
            chrono: chrono::Locale::de_DE,
            long_date: "%A, %-d. %B %Y",
            day: "%a., %-d. %b",
            time: "%H:%M",
            day_time: "%a., %-d. %b, %H:%M",
            date_time: "%-d. %B, %H:%M",
            week_start: "%-d. %b",
            week_end: "%-d. %b %Y",
            long_date_time: "%A, %-d. %B %Y, %H:%M",
            subject: "%a., %-d. %b %Y, %H:%M",
            later_day: "%-d. %B %Y, %H:%M",
            month: "%B %Y",
        },
        Locale::Fr => Formats {
            chrono: chrono::Locale::fr_FR,
            long_date: "%A %-d %B %Y",
            day: "%a %-d %b",
            time: "%H:%M",
            day_time: "%a %-d %b, %H:%M",
            date_time: "%-d %B, %H:%M",
            week_start: "%-d %b",
            week_end: "%-d %b %Y",
            long_date_time: "%A %-d %B %Y, %H:%M",
            subject: "%a %-d %b %Y, %H:%M",
            later_day: "%-d %B %Y, %H:%M",
            month: "%B %Y",
        },
        Locale::Es => Formats {
            chrono: chrono::Locale::es_ES,
            long_date: "%A, %-d de %B de %Y",
            day: "%a %-d %b",
            time: "%H:%M",
            day_time: "%a %-d %b, %H:%M",
            date_time: "%-d de %B, %H:%M",
            week_start: "%-d %b",
            week_end: "%-d %b %Y",
            long_date_time: "%A, %-d de %B de %Y, %H:%M",
            subject: "%a %-d %b %Y, %H:%M",
            later_day: "%-d de %B de %Y, %H:%M",
            month: "%B de %Y",
        },
    }
}

fn at<Z: TimeZone>(t: &DateTime<Z>, locale: Locale, pick: fn(&Formats) -> &'static str) -> String
where
    Z::Offset: Display,
{
    let f = formats(locale);
    t.format_localized(pick(&f), f.chrono).to_string()
}

fn on(d: NaiveDate, locale: Locale, pick: fn(&Formats) -> &'static str) -> String {
    let f = formats(locale);
    d.format_localized(pick(&f), f.chrono).to_string()
}

/// "Tuesday 5 May 2026", "Dienstag, 5. Mai 2026", "mardi 5 mai 2026".
pub fn long_date(locale: Locale, d: NaiveDate) -> String {
    on(d, locale, |f| f.long_date)
}

/// A day of the week view: "Tue 5 May", "Di., 5. Mai".
pub fn day(locale: Locale, d: NaiveDate) -> String {
    on(d, locale, |f| f.day)
}

/// A month: "May 2026", "Mai 2026", "mayo de 2026".
pub fn month(locale: Locale, d: NaiveDate) -> String {
    on(d, locale, |f| f.month)
}

/// A weekday's name ("Monday", "Montag") and its short form ("Mon", "Mo").
pub fn weekday(locale: Locale, d: NaiveDate) -> (String, String) {
    let chrono = formats(locale).chrono;
    (d.format_localized("%A", chrono).to_string(), d.format_localized("%a", chrono).to_string())
}

/// A week: "4 May – 10 May 2026".
pub fn week(locale: Locale, first: NaiveDate, last: NaiveDate) -> String {
    format!("{} – {}", on(first, locale, |f| f.week_start), on(last, locale, |f| f.week_end))
}

/// A clock time: "09:00", "9:00 AM".
pub fn time<Z: TimeZone>(locale: Locale, t: &DateTime<Z>) -> String
where
    Z::Offset: Display,
{
    at(t, locale, |f| f.time)
}

/// A time with its day: "Wed 6 Mar 10:00".
pub fn day_time<Z: TimeZone>(locale: Locale, t: &DateTime<Z>) -> String
where
    Z::Offset: Display,
{
    at(t, locale, |f| f.day_time)
}

/// A deadline: "4 May 09:00", "4. Mai, 09:00".
pub fn date_time<Z: TimeZone>(locale: Locale, t: &DateTime<Z>) -> String
where
    Z::Offset: Display,
{
    at(t, locale, |f| f.date_time)
}

/// A session on a page: "Tuesday 5 May 2026, 09:00 – 10:00".
pub fn span<Z: TimeZone>(locale: Locale, start: &DateTime<Z>, end: &DateTime<Z>) -> String
where
    Z::Offset: Display,
{
    format!("{}, {} – {}", long_date(locale, start.date_naive()), time(locale, start), time(locale, end))
}

/// A session in a mail: "Monday, 2 March 2026, 10:00–10:30"; an end on
/// another day is written with its date.
pub fn mail_span<Z: TimeZone>(locale: Locale, start: &DateTime<Z>, end: &DateTime<Z>) -> String
where
    Z::Offset: Display,
{
    let end_text = if start.date_naive() == end.date_naive() { time(locale, end) } else { at(end, locale, |f| f.later_day) };
    format!("{}–{}", at(start, locale, |f| f.long_date_time), end_text)
}

/// A session's start in a mail's subject: "Mon 2 Mar 2026 10:00".
pub fn subject<Z: TimeZone>(locale: Locale, t: &DateTime<Z>) -> String
where
    Z::Offset: Display,
{
    at(t, locale, |f| f.subject)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, Utc};
    use chrono_tz::Europe::Berlin;

    /// 2026-03-29 is the last Sunday of March: Berlin skips 02:00–03:00,
    /// so 01:30 UTC is 03:30 summer time.
    fn spring() -> DateTime<chrono_tz::Tz> {
        Utc.with_ymd_and_hms(2026, 3, 29, 1, 30, 0).unwrap().with_timezone(&Berlin)
    }

    /// 2026-10-25 is the last Sunday of October: 01:30 UTC is the second
    /// 02:30 (winter time), and 13:15 UTC is 14:15.
    fn autumn() -> DateTime<chrono_tz::Tz> {
        Utc.with_ymd_and_hms(2026, 10, 25, 1, 30, 0).unwrap().with_timezone(&Berlin)
    }

    fn afternoon() -> DateTime<chrono_tz::Tz> {
        Utc.with_ymd_and_hms(2026, 10, 25, 13, 15, 0).unwrap().with_timezone(&Berlin)
    }

    #[test]
    fn english_writes_the_day_first_and_24_hours() {
        let l = Locale::En;
        assert_eq!(span(l, &spring(), &(spring() + Duration::minutes(30))), "Sunday 29 March 2026, 03:30 – 04:00");
        assert_eq!(day_time(l, &autumn()), "Sun 25 Oct 02:30");
        assert_eq!(time(l, &afternoon()), "14:15");
        assert_eq!(date_time(l, &afternoon()), "25 October 14:15");
        assert_eq!(mail_span(l, &spring(), &(spring() + Duration::hours(1))), "Sunday, 29 March 2026, 03:30–04:30");
        assert_eq!(subject(l, &autumn()), "Sun 25 Oct 2026 02:30");
    }

    #[test]
    fn us_english_writes_the_month_first_and_12_hours() {
        let l = Locale::EnUs;
        assert_eq!(span(l, &spring(), &(spring() + Duration::minutes(30))), "Sunday, March 29, 2026, 3:30 AM – 4:00 AM");
        assert_eq!(day_time(l, &autumn()), "Sun, Oct 25, 2:30 AM");
        assert_eq!(time(l, &afternoon()), "2:15 PM");
        assert_eq!(day(l, afternoon().date_naive()), "Sun, Oct 25");
        assert_eq!(subject(l, &afternoon()), "Sun, Oct 25, 2026, 2:15 PM");
    }

    #[test]
    fn german_writes_day_dot_month_and_24_hours() {
        let l = Locale::De;
        assert_eq!(span(l, &spring(), &(spring() + Duration::minutes(30))), "Sonntag, 29. März 2026, 03:30 – 04:00");
        assert_eq!(day_time(l, &autumn()), "So., 25. Okt, 02:30");
        assert_eq!(time(l, &afternoon()), "14:15");
        assert_eq!(week(l, NaiveDate::from_ymd_opt(2026, 3, 23).unwrap(), NaiveDate::from_ymd_opt(2026, 3, 29).unwrap()), "23. Mär – 29. Mär 2026");
        assert_eq!(mail_span(l, &autumn(), &afternoon()), "Sonntag, 25. Oktober 2026, 02:30–14:15");
        assert_eq!(mail_span(l, &spring(), &afternoon()), "Sonntag, 29. März 2026, 03:30–25. Oktober 2026, 14:15");
    }

    #[test]
    fn french_writes_lower_case_names_and_24_hours() {
        let l = Locale::Fr;
        assert_eq!(span(l, &spring(), &(spring() + Duration::minutes(30))), "dimanche 29 mars 2026, 03:30 – 04:00");
        assert_eq!(day_time(l, &autumn()), "dim. 25 oct., 02:30");
        assert_eq!(time(l, &afternoon()), "14:15");
        assert_eq!(date_time(l, &afternoon()), "25 octobre, 14:15");
    }

    #[test]
    fn spanish_writes_de_between_day_month_and_year() {
        let l = Locale::Es;
        assert_eq!(span(l, &spring(), &(spring() + Duration::minutes(30))), "domingo, 29 de marzo de 2026, 03:30 – 04:00");
        assert_eq!(day_time(l, &autumn()), "dom 25 oct, 02:30");
        assert_eq!(time(l, &afternoon()), "14:15");
        assert_eq!(long_date(l, afternoon().date_naive()), "domingo, 25 de octubre de 2026");
    }

    #[test]
    fn months_and_weekdays_in_every_locale() {
        let d = NaiveDate::from_ymd_opt(2026, 5, 4).unwrap(); // a Monday
        assert_eq!(month(Locale::En, d), "May 2026");
        assert_eq!(month(Locale::De, d), "Mai 2026");
        assert_eq!(month(Locale::Fr, d), "mai 2026");
        assert_eq!(month(Locale::Es, d), "mayo de 2026");
        assert_eq!(weekday(Locale::En, d), ("Monday".into(), "Mon".into()));
        assert_eq!(weekday(Locale::De, d), ("Montag".into(), "Mo".into()));
        assert_eq!(weekday(Locale::Fr, d).0, "lundi");
        assert_eq!(weekday(Locale::Es, d).0, "lunes");
    }

    #[test]
    fn the_dst_days_have_their_real_local_times_in_every_locale() {
        // The hour after the spring gap and the repeated autumn hour.
        for l in [Locale::En, Locale::De, Locale::Fr, Locale::Es] {
            assert_eq!(time(l, &spring()), "03:30", "{l}");
            assert_eq!(time(l, &autumn()), "02:30", "{l}");
            assert_eq!(time(l, &(autumn() + Duration::hours(1))), "03:30", "{l}: an hour after the second 02:30");
        }
        assert_eq!(time(Locale::EnUs, &spring()), "3:30 AM");
    }
}
