//! "Add to calendar" links for the confirmation and manage pages: a
//! prefilled new event in Google Calendar and in Outlook on the web. They
//! are plain links the student follows; the pages load nothing from
//! either site. (Apple Calendar and the rest open the `.ics` download,
//! [`super::ics`].)
//!
//! Pure. May import: `model`, chrono, percent-encoding.

use chrono::{DateTime, Utc};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::model::TimeRange;

/// What the links prefill.
#[derive(Debug, Clone, Copy)]
pub struct EventLink<'a> {
    pub title: &'a str,
    pub range: TimeRange,
    /// The event's notes: the reference and the manage link.
    pub details: &'a str,
    /// Empty when the event type names no place.
    pub location: &'a str,
}

/// Everything but RFC 3986's unreserved characters is percent-encoded,
/// so a value can never end its parameter (`&`, `=`, `#`, `+`).
const VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

fn value(s: &str) -> String {
    utf8_percent_encode(s, VALUE).to_string()
}

/// Google's `dates` form of an instant: `20260505T070000Z`.
fn google_time(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// A new event in Google Calendar, filled in:
/// `https://calendar.google.com/calendar/render?action=TEMPLATE&text=…&dates=START/END&details=…&location=…`
/// (times in UTC).
pub fn google_link(e: &EventLink<'_>) -> String {
    let mut url = format!(
        "https://calendar.google.com/calendar/render?action=TEMPLATE&text={}&dates={}/{}&details={}",
        value(e.title),
        google_time(e.range.start),
        google_time(e.range.end),
        value(e.details)
    );
    if !e.location.is_empty() {
        url.push_str(&format!("&location={}", value(e.location)));
    }
    url
}

/// A new event in Outlook on the web (outlook.live.com; work accounts
/// open it through their own sign-in), filled in, times in UTC
/// (`2026-05-05T07:00:00Z`).
pub fn outlook_link(e: &EventLink<'_>) -> String {
    let time = |t: DateTime<Utc>| value(&t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
    let mut url = format!(
        "https://outlook.live.com/calendar/0/deeplink/compose?path=%2Fcalendar%2Faction%2Fcompose&rru=addevent&subject={}&startdt={}&enddt={}&body={}",
        value(e.title),
        time(e.range.start),
        time(e.range.end),
        value(e.details)
    );
    if !e.location.is_empty() {
        url.push_str(&format!("&location={}", value(e.location)));
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn event<'a>(title: &'a str, details: &'a str, location: &'a str) -> EventLink<'a> {
        // 09:00–10:30 in Berlin (summer time): 07:00–08:30 UTC.
        let start = chrono_tz::Europe::Berlin.with_ymd_and_hms(2026, 5, 5, 9, 0, 0).unwrap().with_timezone(&Utc);
        EventLink { title, range: TimeRange::new(start, start + Duration::minutes(90)), details, location }
    }

    /// The query parameters of a link, decoded.
    fn params(url: &str) -> Vec<(String, String)> {
        let query = url.split_once('?').unwrap().1;
        form_urlencoded::parse(query.as_bytes()).into_owned().collect()
    }

    fn param(url: &str, key: &str) -> Option<String> {
        params(url).into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    #[test]
    fn google_links_carry_utc_times_and_escaped_text() {
        let e = event("Trial & error: 50% off", "Ref ABCD-1234\nhttps://book.example/m/t?x=1&y=2#top", "Café Müller, Room 2");
        let url = google_link(&e);
        assert!(url.starts_with("https://calendar.google.com/calendar/render?action=TEMPLATE&text="), "{url}");
        assert!(url.contains("&dates=20260505T070000Z/20260505T083000Z&"), "{url}");
        assert_eq!(param(&url, "text").as_deref(), Some("Trial & error: 50% off"));
        assert_eq!(param(&url, "details").as_deref(), Some("Ref ABCD-1234\nhttps://book.example/m/t?x=1&y=2#top"));
        assert_eq!(param(&url, "location").as_deref(), Some("Café Müller, Room 2"));
        // Nothing in a value can start another parameter or end the URL.
        let text = url.split("&text=").nth(1).unwrap().split("&dates=").next().unwrap();
        assert_eq!(text, "Trial%20%26%20error%3A%2050%25%20off");
        assert!(!url.contains(' ') && !url.contains('#') && !url.contains('\n') && !url.contains('+'), "{url}");
        assert_eq!(params(&url).len(), 5);
    }

    #[test]
    fn outlook_links_carry_utc_times_and_escaped_text() {
        let e = event("Lesson <b>1</b>", "a=b&c", "");
        let url = outlook_link(&e);
        assert!(url.starts_with("https://outlook.live.com/calendar/0/deeplink/compose?"), "{url}");
        assert_eq!(param(&url, "subject").as_deref(), Some("Lesson <b>1</b>"));
        assert_eq!(param(&url, "startdt").as_deref(), Some("2026-05-05T07:00:00Z"));
        assert_eq!(param(&url, "enddt").as_deref(), Some("2026-05-05T08:30:00Z"));
        assert_eq!(param(&url, "body").as_deref(), Some("a=b&c"));
        assert_eq!(param(&url, "location"), None, "no place, no parameter");
        assert_eq!(param(&url, "rru").as_deref(), Some("addevent"));
        assert!(!url.contains('<') && !url.contains(' '), "{url}");
    }

    #[test]
    fn times_are_utc_whatever_the_zone_and_across_dst() {
        // The night Berlin's clocks go back: 02:30 happens twice.
        let start = Utc.with_ymd_and_hms(2026, 10, 25, 0, 30, 0).unwrap();
        let e = EventLink { title: "x", range: TimeRange::new(start, start + Duration::hours(2)), details: "", location: "" };
        assert!(google_link(&e).contains("&dates=20261025T003000Z/20261025T023000Z"));
        assert_eq!(param(&outlook_link(&e), "enddt").as_deref(), Some("2026-10-25T02:30:00Z"));
    }
}
