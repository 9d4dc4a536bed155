//! Whole calendars as one iCalendar stream, and back: merging stored
//! objects into a feed (every component once, each distinct VTIMEZONE
//! once), and splitting a fetched feed into one object per UID.
//!
//! Works on content lines, so the components travel byte for byte as the
//! client stored them (folding included); the lines slotdav adds are
//! written by [`super::write`].

use std::collections::{BTreeMap, HashSet};

use super::write::{content_line, write_line, Component, Property};

/// Feed-level properties of a published calendar.
#[derive(Debug, Clone)]
pub struct FeedHeader<'a> {
    /// `X-WR-CALNAME` and `NAME` (RFC 7986).
    pub name: &'a str,
    /// Seconds for `REFRESH-INTERVAL` (RFC 7986) and `X-PUBLISHED-TTL`.
    pub refresh_secs: i64,
}

/// The lines of an iCalendar text, with their line ends removed (folded
/// continuation lines stay separate lines).
fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).filter(|l| !l.is_empty())
}

fn is_begin(line: &str) -> Option<&str> {
    let (name, value) = line.split_once(':')?;
    name.eq_ignore_ascii_case("BEGIN").then_some(value.trim())
}

fn is_end(line: &str) -> bool {
    line.split_once(':').is_some_and(|(n, _)| n.eq_ignore_ascii_case("END"))
}

/// The direct sub-components of the VCALENDAR(s) in `text`, each as its
/// component name and lines.
pub fn top_components(text: &str) -> Vec<(String, Vec<&str>)> {
    let mut out: Vec<(String, Vec<&str>)> = Vec::new();
    let mut depth = 0usize;
    for line in lines(text) {
        if let Some(name) = is_begin(line) {
            depth += 1;
            if depth == 2 {
                out.push((name.to_ascii_uppercase(), Vec::new()));
            }
        }
        if depth >= 2 {
            if let Some((_, body)) = out.last_mut() {
                body.push(line);
            }
        }
        if is_end(line) {
            depth = depth.saturating_sub(1);
        }
    }
    out
}

/// The value of the first `NAME:` (or `NAME;…:`) line of a component.
pub fn property_value<'a>(component: &[&'a str], name: &str) -> Option<&'a str> {
    component.iter().skip(1).find_map(|line| {
        let (head, value) = line.split_once(':')?;
        let prop = head.split(';').next()?;
        prop.eq_ignore_ascii_case(name).then_some(value)
    })
}

/// One VCALENDAR holding every component of `objects`: VTIMEZONEs first,
/// each TZID once, then everything else in order.
pub fn merge_feed<'a>(objects: impl IntoIterator<Item = &'a str>, header: &FeedHeader<'_>) -> String {
    let ttl = iso_duration(header.refresh_secs);
    let head = Component::new("VCALENDAR")
        .with(Property::new("VERSION", "2.0"))
        .with(Property::new("PRODID", "-//slotdav//feed//EN"))
        .with(Property::new("CALSCALE", "GREGORIAN"))
        .with(Property::new_text("NAME", header.name))
        .with(Property::new_text("X-WR-CALNAME", header.name))
        .with(Property::new("REFRESH-INTERVAL", &ttl).with_param("VALUE", "DURATION"))
        .with(Property::new("X-PUBLISHED-TTL", &ttl));
    merge(objects, &head)
}

/// One VCALENDAR holding every component of `objects` like
/// [`merge_feed`], named `name` but without a feed's refresh hints: a
/// calendar exported to a file (`slotdav export`), which [`split_feed`]
/// takes apart again.
pub fn merge_calendar<'a>(objects: impl IntoIterator<Item = &'a str>, name: &str) -> String {
    let head = Component::new("VCALENDAR")
        .with(Property::new("VERSION", "2.0"))
        .with(Property::new("PRODID", "-//slotdav//export//EN"))
        .with(Property::new("CALSCALE", "GREGORIAN"))
        .with(Property::new_text("NAME", name))
        .with(Property::new_text("X-WR-CALNAME", name));
    merge(objects, &head)
}

/// The components of `objects` (VTIMEZONEs first, each TZID once) inside
/// `head`'s properties.
fn merge<'a>(objects: impl IntoIterator<Item = &'a str>, head: &Component) -> String {
    let mut zones: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut rest: Vec<Vec<&str>> = Vec::new();
    for text in objects {
        for (name, body) in top_components(text) {
            if name == "VTIMEZONE" {
                let tzid = property_value(&body, "TZID").unwrap_or("").to_string();
                zones.entry(tzid).or_insert(body);
            } else {
                rest.push(body);
            }
        }
    }
    // The header through the writer; the stored components travel as
    // their owners wrote them (they were validated when stored).
    let mut out = String::with_capacity(4096);
    write_line("BEGIN:VCALENDAR", &mut out);
    for p in &head.props {
        write_line(&content_line(p), &mut out);
    }
    for body in zones.values().chain(rest.iter()) {
        for line in body {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    write_line("END:VCALENDAR", &mut out);
    out
}

/// `PT15M`-style duration for a number of seconds.
pub fn iso_duration(secs: i64) -> String {
    let secs = secs.max(1);
    let (d, h, m, s) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60, secs % 60);
    let mut out = String::from("P");
    if d > 0 {
        out.push_str(&format!("{d}D"));
    }
    if h > 0 || m > 0 || s > 0 {
        out.push('T');
        if h > 0 {
            out.push_str(&format!("{h}H"));
        }
        if m > 0 {
            out.push_str(&format!("{m}M"));
        }
        if s > 0 {
            out.push_str(&format!("{s}S"));
        }
    }
    out
}

/// Whether `text` opens as a VCALENDAR (a byte-order mark and leading
/// blank space aside, any case): the first look at a fetched feed.
pub fn opens_as_vcalendar(text: &str) -> bool {
    // Only the opening is compared (every PUT asks: no upper-cased copy
    // of the text).
    const OPENING: &str = "BEGIN:VCALENDAR";
    let text = text.trim_start_matches('\u{feff}').trim_start();
    text.get(..OPENING.len()).is_some_and(|head| head.eq_ignore_ascii_case(OPENING))
}

/// Splits a feed into one calendar object per UID (master and overrides
/// together), each with the VTIMEZONEs it needs. Components without UID
/// are skipped. Returns (uid, object text).
pub fn split_feed(text: &str) -> Vec<(String, String)> {
    let components = top_components(text);
    let zones: BTreeMap<String, &Vec<&str>> = components
        .iter()
        .filter(|(n, _)| n == "VTIMEZONE")
        .map(|(_, b)| (property_value(b, "TZID").unwrap_or("").to_string(), b))
        .collect();
    let mut by_uid: BTreeMap<String, Vec<&Vec<&str>>> = BTreeMap::new();
    for (name, body) in &components {
        if matches!(name.as_str(), "VEVENT" | "VTODO" | "VJOURNAL") {
            if let Some(uid) = property_value(body, "UID") {
                by_uid.entry(uid.trim().to_string()).or_default().push(body);
            }
        }
    }
    let mut out = Vec::new();
    for (uid, bodies) in by_uid {
        let mut needed: HashSet<&str> = HashSet::new();
        for body in &bodies {
            for line in body.iter() {
                if let Some(i) = line.find("TZID=") {
                    let rest = &line[i + 5..];
                    let end = rest.find([':', ';']).unwrap_or(rest.len());
                    needed.insert(rest[..end].trim_matches('"'));
                }
            }
        }
        let mut text = String::new();
        write_line("BEGIN:VCALENDAR", &mut text);
        write_line("VERSION:2.0", &mut text);
        write_line("PRODID:-//slotdav//import//EN", &mut text);
        for (tzid, zone) in &zones {
            if needed.contains(tzid.as_str()) {
                for l in zone.iter() {
                    text.push_str(l);
                    text.push_str("\r\n");
                }
            }
        }
        for body in bodies {
            for l in body {
                text.push_str(l);
                text.push_str("\r\n");
            }
        }
        write_line("END:VCALENDAR", &mut text);
        out.push((uid, text));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feed_must_open_as_a_vcalendar() {
        assert!(opens_as_vcalendar("\u{feff}\r\n  begin:vcalendar\r\nEND:VCALENDAR\r\n"));
        assert!(!opens_as_vcalendar("<html>BEGIN:VCALENDAR"));
        assert!(!opens_as_vcalendar(""));
        assert!(!opens_as_vcalendar("BEGIN:VCAL"));
        assert!(!opens_as_vcalendar("BEGIN:VCALENDé"));
        assert!(opens_as_vcalendar("Begin:VCalendar"));
    }

    const A: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART;TZID=Europe/Berlin:20260105T090000\r\nSUMMARY:A long\r\n  folded line\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    const B: &str = "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VTIMEZONE\nTZID:Europe/Berlin\nEND:VTIMEZONE\nBEGIN:VEVENT\nUID:b\nDTSTART;TZID=Europe/Berlin:20260106T090000\nBEGIN:VALARM\nACTION:DISPLAY\nEND:VALARM\nEND:VEVENT\nEND:VCALENDAR\n";

    #[test]
    fn an_exported_calendar_has_no_feed_hints_and_splits_back_into_its_objects() {
        let file = merge_calendar([A, B], "Work");
        assert!(file.contains("X-WR-CALNAME:Work\r\n") && !file.contains("REFRESH-INTERVAL") && !file.contains("X-PUBLISHED-TTL"), "{file}");
        assert_eq!(file.matches("BEGIN:VTIMEZONE").count(), 1);
        let split = split_feed(&file);
        assert_eq!(split.iter().map(|(uid, _)| uid.as_str()).collect::<Vec<_>>(), vec!["a", "b"]);
        assert!(split[0].1.contains("SUMMARY:A long\r\n  folded line\r\n") && split[0].1.contains("TZID:Europe/Berlin"), "{}", split[0].1);
    }

    #[test]
    fn merge_keeps_each_component_and_each_zone_once() {
        let feed = merge_feed([A, B], &FeedHeader { name: "Work, mine", refresh_secs: 900 });
        assert_eq!(feed.matches("BEGIN:VTIMEZONE").count(), 1);
        assert_eq!(feed.matches("BEGIN:VEVENT").count(), 2);
        assert_eq!(feed.matches("BEGIN:VALARM").count(), 1);
        assert!(feed.contains("REFRESH-INTERVAL;VALUE=DURATION:PT15M\r\n"));
        assert!(feed.contains("X-WR-CALNAME:Work\\, mine\r\n"));
        assert!(feed.contains("SUMMARY:A long\r\n  folded line\r\n"));
        let parsed = crate::ical::component::parse_components(feed.as_bytes());
        assert!(parsed.is_ok());
    }

    #[test]
    fn split_groups_overrides_and_brings_their_zones() {
        let feed = "BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nTZID:W. Europe Standard Time\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:r\r\nDTSTART;TZID=W. Europe Standard Time:20260105T090000\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:r\r\nRECURRENCE-ID;TZID=W. Europe Standard Time:20260112T090000\r\nDTSTART;TZID=W. Europe Standard Time:20260112T100000\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:s\r\nDTSTART:20260105T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let parts = split_feed(feed);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].0, "r");
        assert_eq!(parts[0].1.matches("BEGIN:VEVENT").count(), 2);
        assert!(parts[0].1.contains("TZID:W. Europe Standard Time"));
        assert!(!parts[1].1.contains("VTIMEZONE"));
    }

    #[test]
    fn iso_durations() {
        assert_eq!(iso_duration(900), "PT15M");
        assert_eq!(iso_duration(86_400 + 3600), "P1DT1H");
    }
}
