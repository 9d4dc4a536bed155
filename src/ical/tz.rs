//! Time zones: turning a TZID (and the VTIMEZONE a client sent with it) into
//! a [`Zone`] we can compute with.
//!
//! Resolution order for a TZID (RFC 5545 §3.2.19, §3.6.5):
//! 1. an Olson name, exactly or ignoring case (`Europe/Berlin`);
//! 2. a trailing `Area/City` in a prefixed name
//!    (`/mozilla.org/20050126_1/Europe/Berlin`), or a Windows zone name
//!    (`W. Europe Standard Time`, CLDR `windowsZones`, territory "001") —
//!    when the object carries a VTIMEZONE for the TZID, the candidate is
//!    only taken if it agrees with that VTIMEZONE;
//! 3. the VTIMEZONE itself, matched against the Olson database by its
//!    offsets and transition instants;
//! 4. a fixed offset: the VTIMEZONE's STANDARD `TZOFFSETTO`.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use chrono::{
    DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc,
};
use chrono_tz::Tz;

use super::component::{parse_components, Component};
use super::recurrence::rrule_locals;
use super::value::parse_local_datetime;
use super::zone::sub_offset;
pub use super::value::parse_utc_offset;
pub use super::zone::Zone;

/// An Olson zone by name, exactly or ignoring ASCII case.
pub fn olson(name: &str) -> Option<Tz> {
    if let Ok(tz) = name.parse::<Tz>() {
        return Some(tz);
    }
    static LOWER: OnceLock<HashMap<String, Tz>> = OnceLock::new();
    let map = LOWER.get_or_init(|| {
        chrono_tz::TZ_VARIANTS
            .iter()
            .map(|tz| (tz.name().to_ascii_lowercase(), *tz))
            .collect()
    });
    map.get(&name.to_ascii_lowercase()).copied()
}

/// Windows zone names (CLDR `windowsZones.xml`, territory "001") → Olson.
const WINDOWS_ZONES: &[(&str, &str)] = &[
    ("Dateline Standard Time", "Etc/GMT+12"),
    ("UTC-11", "Etc/GMT+11"),
    ("Hawaiian Standard Time", "Pacific/Honolulu"),
    ("Alaskan Standard Time", "America/Anchorage"),
    ("Pacific Standard Time (Mexico)", "America/Tijuana"),
    ("Pacific Standard Time", "America/Los_Angeles"),
    ("US Mountain Standard Time", "America/Phoenix"),
    ("Mountain Standard Time (Mexico)", "America/Mazatlan"),
    ("Mountain Standard Time", "America/Denver"),
    ("Central America Standard Time", "America/Guatemala"),
    ("Central Standard Time (Mexico)", "America/Mexico_City"),
    ("Central Standard Time", "America/Chicago"),
    ("Canada Central Standard Time", "America/Regina"),
    ("SA Pacific Standard Time", "America/Bogota"),
    ("Eastern Standard Time (Mexico)", "America/Cancun"),
    ("Eastern Standard Time", "America/New_York"),
    ("US Eastern Standard Time", "America/Indiana/Indianapolis"),
    ("Venezuela Standard Time", "America/Caracas"),
    ("Atlantic Standard Time", "America/Halifax"),
    ("SA Western Standard Time", "America/La_Paz"),
    ("Pacific SA Standard Time", "America/Santiago"),
    ("Newfoundland Standard Time", "America/St_Johns"),
    ("E. South America Standard Time", "America/Sao_Paulo"),
    ("Argentina Standard Time", "America/Argentina/Buenos_Aires"),
    ("SA Eastern Standard Time", "America/Cayenne"),
    ("Greenland Standard Time", "America/Nuuk"),
    ("Montevideo Standard Time", "America/Montevideo"),
    ("UTC-02", "Etc/GMT+2"),
    ("Azores Standard Time", "Atlantic/Azores"),
    ("Cape Verde Standard Time", "Atlantic/Cape_Verde"),
    ("UTC", "Etc/UTC"),
    ("Coordinated Universal Time", "Etc/UTC"),
    ("GMT Standard Time", "Europe/London"),
    ("Greenwich Standard Time", "Atlantic/Reykjavik"),
    ("Morocco Standard Time", "Africa/Casablanca"),
    ("W. Europe Standard Time", "Europe/Berlin"),
    ("Central Europe Standard Time", "Europe/Budapest"),
    ("Romance Standard Time", "Europe/Paris"),
    ("Central European Standard Time", "Europe/Warsaw"),
    ("W. Central Africa Standard Time", "Africa/Lagos"),
    ("Jordan Standard Time", "Asia/Amman"),
    ("GTB Standard Time", "Europe/Bucharest"),
    ("Middle East Standard Time", "Asia/Beirut"),
    ("Egypt Standard Time", "Africa/Cairo"),
    ("South Africa Standard Time", "Africa/Johannesburg"),
    ("FLE Standard Time", "Europe/Kyiv"),
    ("Israel Standard Time", "Asia/Jerusalem"),
    ("E. Europe Standard Time", "Europe/Chisinau"),
    ("Namibia Standard Time", "Africa/Windhoek"),
    ("Kaliningrad Standard Time", "Europe/Kaliningrad"),
    ("Arabic Standard Time", "Asia/Baghdad"),
    ("Turkey Standard Time", "Europe/Istanbul"),
    ("Arab Standard Time", "Asia/Riyadh"),
    ("Belarus Standard Time", "Europe/Minsk"),
    ("Russian Standard Time", "Europe/Moscow"),
    ("E. Africa Standard Time", "Africa/Nairobi"),
    ("Iran Standard Time", "Asia/Tehran"),
    ("Arabian Standard Time", "Asia/Dubai"),
    ("Azerbaijan Standard Time", "Asia/Baku"),
    ("Georgian Standard Time", "Asia/Tbilisi"),
    ("Caucasus Standard Time", "Asia/Yerevan"),
    ("Afghanistan Standard Time", "Asia/Kabul"),
    ("West Asia Standard Time", "Asia/Tashkent"),
    ("Ekaterinburg Standard Time", "Asia/Yekaterinburg"),
    ("Pakistan Standard Time", "Asia/Karachi"),
    ("India Standard Time", "Asia/Kolkata"),
    ("Sri Lanka Standard Time", "Asia/Colombo"),
    ("Nepal Standard Time", "Asia/Kathmandu"),
    ("Central Asia Standard Time", "Asia/Bishkek"),
    ("Bangladesh Standard Time", "Asia/Dhaka"),
    ("Myanmar Standard Time", "Asia/Yangon"),
    ("SE Asia Standard Time", "Asia/Bangkok"),
    ("N. Central Asia Standard Time", "Asia/Novosibirsk"),
    ("North Asia Standard Time", "Asia/Krasnoyarsk"),
    ("China Standard Time", "Asia/Shanghai"),
    ("North Asia East Standard Time", "Asia/Irkutsk"),
    ("Singapore Standard Time", "Asia/Singapore"),
    ("W. Australia Standard Time", "Australia/Perth"),
    ("Taipei Standard Time", "Asia/Taipei"),
    ("Ulaanbaatar Standard Time", "Asia/Ulaanbaatar"),
    ("Tokyo Standard Time", "Asia/Tokyo"),
    ("Korea Standard Time", "Asia/Seoul"),
    ("Yakutsk Standard Time", "Asia/Yakutsk"),
    ("Cen. Australia Standard Time", "Australia/Adelaide"),
    ("AUS Central Standard Time", "Australia/Darwin"),
    ("E. Australia Standard Time", "Australia/Brisbane"),
    ("AUS Eastern Standard Time", "Australia/Sydney"),
    ("West Pacific Standard Time", "Pacific/Port_Moresby"),
    ("Tasmania Standard Time", "Australia/Hobart"),
    ("Vladivostok Standard Time", "Asia/Vladivostok"),
    ("Magadan Standard Time", "Asia/Magadan"),
    ("Central Pacific Standard Time", "Pacific/Guadalcanal"),
    ("New Zealand Standard Time", "Pacific/Auckland"),
    ("Fiji Standard Time", "Pacific/Fiji"),
    ("Tonga Standard Time", "Pacific/Tongatapu"),
    ("Samoa Standard Time", "Pacific/Apia"),
    ("Line Islands Standard Time", "Pacific/Kiritimati"),
];

/// The Olson zone for a Windows zone name (ignoring ASCII case).
pub fn windows_zone(name: &str) -> Option<Tz> {
    let name = name.trim();
    WINDOWS_ZONES
        .iter()
        .find(|(w, _)| w.eq_ignore_ascii_case(name))
        .and_then(|(_, o)| o.parse().ok())
}

/// A trailing `Area/City` (or `Area/Sub/City`) in a prefixed TZID such as
/// `/mozilla.org/20050126_1/Europe/Berlin` or `/softwarestudio.org/.../Europe/Berlin`.
fn trailing_olson(name: &str) -> Option<Tz> {
    let parts: Vec<&str> = name.split('/').filter(|p| !p.is_empty()).collect();
    for take in [3usize, 2] {
        if parts.len() > take || (parts.len() == take && name.starts_with('/')) {
            let cand = parts[parts.len() - take..].join("/");
            if let Some(tz) = olson(&cand) {
                return Some(tz);
            }
        }
    }
    None
}

/// Resolve a TZID, with the object's VTIMEZONE for it when there is one.
pub fn resolve_tzid(tzid: &str, vtimezone: Option<&Component>) -> Option<Zone> {
    let tzid = tzid.trim().trim_matches('"');
    if let Some(tz) = olson(tzid) {
        return Some(Zone::Iana(tz));
    }
    let named = trailing_olson(tzid).or_else(|| windows_zone(tzid));
    let Some(vtz) = vtimezone else {
        return named.map(Zone::Iana);
    };
    let rules = VtzRules::from_component(vtz);
    if let Some(tz) = named {
        if rules.as_ref().is_none_or(|r| r.agrees_with(tz)) {
            return Some(Zone::Iana(tz));
        }
    }
    let rules = rules?;
    if let Some(tz) = rules.find_olson() {
        return Some(Zone::Iana(tz));
    }
    FixedOffset::east_opt(rules.standard_offset).map(Zone::Fixed)
}

/// The zone described by a `CALDAV:calendar-timezone` / `CALDAV:timezone`
/// value: an iCalendar object holding one VTIMEZONE.
pub fn zone_from_vcalendar(text: &str) -> Option<Tz> {
    let root = parse_components(text.as_bytes()).ok()?;
    let vtz = find_vtimezone(&root)?;
    let tzid = vtz.prop("TZID")?.value.clone();
    resolve_tzid(&tzid, Some(vtz))?.as_tz()
}

/// Is `text` what a `CALDAV:calendar-timezone` (RFC 4791 §5.2.2) or a
/// query's `CALDAV:timezone` (§9.8) must be: an iCalendar object whose
/// only component is one VTIMEZONE with a TZID and at least one STANDARD
/// or DAYLIGHT observance, each with a DTSTART and both offsets? A TZID we
/// cannot name is fine (its rules are in the observances).
pub fn is_timezone_calendar(text: &str) -> bool {
    let Ok(root) = parse_components(text.as_bytes()) else { return false };
    let [vtz] = root.children.as_slice() else { return false };
    let observance_ok = |o: &Component| {
        matches!(o.name.as_str(), "STANDARD" | "DAYLIGHT")
            && o.prop("DTSTART").is_some_and(|p| parse_local_datetime(&p.value).is_some())
            && ["TZOFFSETFROM", "TZOFFSETTO"].iter().all(|n| o.prop(n).is_some_and(|p| parse_utc_offset(&p.value).is_some()))
    };
    root.name == "VCALENDAR"
        && vtz.name == "VTIMEZONE"
        && vtz.prop("TZID").is_some_and(|p| !p.value.trim().is_empty())
        && !vtz.children.is_empty()
        && vtz.children.iter().all(observance_ok)
}

fn find_vtimezone(c: &Component) -> Option<&Component> {
    if c.name == "VTIMEZONE" {
        return Some(c);
    }
    c.children.iter().find_map(find_vtimezone)
}

/// One STANDARD/DAYLIGHT onset list of a VTIMEZONE, flattened into
/// transitions for the years we compare on.
struct VtzRules {
    /// (instant, offset after) sorted by instant.
    transitions: Vec<(DateTime<Utc>, i32)>,
    /// Offset before the first transition.
    initial: i32,
    /// The most recent STANDARD `TZOFFSETTO`.
    standard_offset: i32,
    signature: String,
}

/// Years on which a VTIMEZONE is compared with Olson zones.
const CMP_FROM: i32 = 2024;
const CMP_TO: i32 = 2027;

impl VtzRules {
    fn from_component(vtz: &Component) -> Option<VtzRules> {
        let limit = NaiveDate::from_ymd_opt(CMP_TO + 1, 1, 1)?.and_hms_opt(0, 0, 0)?;
        let mut onsets: Vec<(DateTime<Utc>, i32, i32)> = Vec::new();
        let mut standard: Option<(NaiveDateTime, i32)> = None;
        let mut signature = String::new();
        for obs in &vtz.children {
            let is_std = obs.name == "STANDARD";
            if !is_std && obs.name != "DAYLIGHT" {
                continue;
            }
            let from = obs.prop("TZOFFSETFROM").and_then(|p| parse_utc_offset(&p.value));
            let to = obs.prop("TZOFFSETTO").and_then(|p| parse_utc_offset(&p.value));
            let (Some(from), Some(to)) = (from, to) else { continue };
            let Some(start) = obs
                .prop("DTSTART")
                .and_then(|p| parse_local_datetime(&p.value))
            else {
                continue;
            };
            let rrule = obs.prop("RRULE").map(|p| p.value.clone());
            signature.push_str(&format!(
                "{}|{from}|{to}|{start}|{}|",
                obs.name,
                rrule.as_deref().unwrap_or("")
            ));
            if is_std && standard.is_none_or(|(s, _)| start >= s) {
                standard = Some((start, to));
            }
            let mut locals = vec![start];
            if let Some(rule) = &rrule {
                let (more, _) = rrule_locals(start, rule, None, limit, 2_000);
                locals.extend(more);
            }
            for p in obs.props_named("RDATE") {
                for v in p.value.split(',') {
                    if let Some(l) = parse_local_datetime(v) {
                        signature.push_str(v);
                        locals.push(l);
                    }
                }
            }
            for l in locals {
                onsets.push((sub_offset(l, from), from, to));
            }
        }
        if onsets.is_empty() {
            return None;
        }
        onsets.sort_by_key(|o| o.0);
        onsets.dedup_by_key(|o| o.0);
        let initial = onsets[0].1;
        let standard_offset = standard.map(|s| s.1).unwrap_or(onsets[onsets.len() - 1].2);
        Some(VtzRules {
            transitions: onsets.into_iter().map(|(t, _, to)| (t, to)).collect(),
            initial,
            standard_offset,
            signature,
        })
    }

    fn offset_at(&self, t: DateTime<Utc>) -> i32 {
        match self.transitions.partition_point(|(at, _)| *at <= t) {
            0 => self.initial,
            i => self.transitions[i - 1].1,
        }
    }

    /// Does an Olson zone keep the same offsets and transitions over the
    /// comparison years?
    fn agrees_with(&self, tz: Tz) -> bool {
        let zone = Zone::Iana(tz);
        let from = Utc.with_ymd_and_hms(CMP_FROM, 1, 1, 0, 0, 0).unwrap();
        let to = Utc.with_ymd_and_hms(CMP_TO + 1, 1, 1, 0, 0, 0).unwrap();
        // Samples: twice a month, and both sides of each transition.
        let mut t = from;
        while t < to {
            if zone.offset_at(t) != self.offset_at(t) {
                return false;
            }
            t += Duration::days(15);
        }
        for (at, _) in &self.transitions {
            if *at < from || *at >= to {
                continue;
            }
            let before = *at - Duration::seconds(1);
            if zone.offset_at(before) != self.offset_at(before) || zone.offset_at(*at) != self.offset_at(*at) {
                return false;
            }
        }
        // And the zone's own transitions must be the VTIMEZONE's.
        let mut t = from;
        while t < to {
            let next = t + Duration::hours(6);
            if zone.offset_at(t) != zone.offset_at(next) && self.offset_at(next) != zone.offset_at(next) {
                return false;
            }
            t = next;
        }
        true
    }

    fn find_olson(&self) -> Option<Tz> {
        static CACHE: OnceLock<Mutex<HashMap<String, Option<Tz>>>> = OnceLock::new();
        let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
        if let Ok(map) = cache.lock() {
            if let Some(hit) = map.get(&self.signature) {
                return *hit;
            }
        }
        let preferred = WINDOWS_ZONES.iter().filter_map(|(_, o)| o.parse::<Tz>().ok());
        let found = preferred
            .chain(chrono_tz::TZ_VARIANTS.iter().copied())
            .find(|tz| self.agrees_with(*tz));
        if let Ok(mut map) = cache.lock() {
            if map.len() < 1_000 {
                map.insert(self.signature.clone(), found);
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4791 §5.2.2 / §9.8: one VTIMEZONE, nothing else, with rules.
    #[test]
    fn timezone_calendar_shape() {
        let vtz = "BEGIN:VTIMEZONE\r\nTZID:Custom/Zone\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";
        let wrap = |inner: &str| format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n{inner}END:VCALENDAR\r\n");
        assert!(is_timezone_calendar(&wrap(vtz)));
        assert!(!is_timezone_calendar(&wrap("")));
        assert!(!is_timezone_calendar(&wrap(&format!("{vtz}{vtz}"))));
        assert!(!is_timezone_calendar(&wrap(&format!("{vtz}BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n"))));
        assert!(!is_timezone_calendar(&wrap(&vtz.replace("TZID:Custom/Zone\r\n", ""))));
        assert!(!is_timezone_calendar(&wrap(&vtz.replace("TZOFFSETTO:+0100", "TZOFFSETTO:one"))));
        assert!(!is_timezone_calendar(&wrap("BEGIN:VTIMEZONE\r\nTZID:X\r\nEND:VTIMEZONE\r\n")));
        assert!(!is_timezone_calendar(vtz));
        assert!(!is_timezone_calendar("Europe/Berlin"));
    }

    #[test]
    fn olson_names_and_case() {
        assert_eq!(olson("Europe/Berlin"), Some(Tz::Europe__Berlin));
        assert_eq!(olson("europe/berlin"), Some(Tz::Europe__Berlin));
        assert_eq!(olson("Mars/Olympus"), None);
    }

    #[test]
    fn mozilla_prefixed_names() {
        assert_eq!(
            resolve_tzid("/mozilla.org/20050126_1/Europe/Berlin", None),
            Some(Zone::Iana(Tz::Europe__Berlin))
        );
        assert_eq!(
            resolve_tzid("/citadel.org/20190914_1/America/Argentina/Buenos_Aires", None),
            Some(Zone::Iana(Tz::America__Argentina__Buenos_Aires))
        );
    }

    #[test]
    fn windows_names_all_resolve() {
        for (w, o) in WINDOWS_ZONES {
            assert!(o.parse::<Tz>().is_ok(), "{w} -> {o} is not in chrono-tz");
        }
        assert!(WINDOWS_ZONES.len() >= 40);
        assert_eq!(windows_zone("W. Europe Standard Time"), Some(Tz::Europe__Berlin));
        assert_eq!(windows_zone("Eastern Standard Time"), Some(Tz::America__New_York));
        assert_eq!(windows_zone("Pacific Standard Time"), Some(Tz::America__Los_Angeles));
        assert_eq!(windows_zone("Tokyo Standard Time"), Some(Tz::Asia__Tokyo));
        assert_eq!(windows_zone("AUS Eastern Standard Time"), Some(Tz::Australia__Sydney));
        assert_eq!(windows_zone("Pacific Standard Time (Mexico)"), Some(Tz::America__Tijuana));
    }

    const CUSTOM_EU: &str = "BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nTZID:Customized Time Zone\r\n\
BEGIN:STANDARD\r\nDTSTART:16010101T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n\
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nEND:STANDARD\r\n\
BEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n\
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\nEND:VCALENDAR\r\n";

    #[test]
    fn custom_vtimezone_matches_central_europe() {
        let tz = zone_from_vcalendar(CUSTOM_EU).unwrap();
        let z = Zone::Iana(tz);
        // Same offsets as Berlin across both 2026 transitions.
        for (m, d) in [(1, 10), (3, 28), (3, 30), (7, 1), (10, 24), (10, 26)] {
            let t = Utc.with_ymd_and_hms(2026, m, d, 12, 0, 0).unwrap();
            assert_eq!(z.offset_at(t), Zone::Iana(Tz::Europe__Berlin).offset_at(t), "{m}-{d}");
        }
    }

    #[test]
    fn windows_name_contradicted_by_vtimezone_is_not_trusted() {
        // Named "Eastern Standard Time" but the VTIMEZONE says fixed +0530.
        let text = "BEGIN:VCALENDAR\nBEGIN:VTIMEZONE\nTZID:Eastern Standard Time\nBEGIN:STANDARD\n\
DTSTART:16010101T000000\nTZOFFSETFROM:+0530\nTZOFFSETTO:+0530\nEND:STANDARD\nEND:VTIMEZONE\nEND:VCALENDAR\n";
        let tz = zone_from_vcalendar(text).unwrap();
        let t = Utc.with_ymd_and_hms(2026, 7, 1, 0, 0, 0).unwrap();
        assert_eq!(Zone::Iana(tz).offset_at(t), 5 * 3600 + 1800);
    }

    #[test]
    fn unknown_fixed_offset_falls_back() {
        let text = "BEGIN:VCALENDAR\nBEGIN:VTIMEZONE\nTZID:Nowhere\nBEGIN:STANDARD\n\
DTSTART:19700101T000000\nTZOFFSETFROM:+0317\nTZOFFSETTO:+0317\nEND:STANDARD\nEND:VTIMEZONE\nEND:VCALENDAR\n";
        let root = parse_components(text.as_bytes()).unwrap();
        let vtz = find_vtimezone(&root).unwrap();
        assert_eq!(
            resolve_tzid("Nowhere", Some(vtz)),
            Some(Zone::Fixed(FixedOffset::east_opt(3 * 3600 + 17 * 60).unwrap()))
        );
    }
}
