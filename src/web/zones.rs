//! The student's time zone on the booking pages: the list the picker
//! offers (IANA names under a region, sorted), what a typed name means
//! (a zone's name, or just its city: "new york" is America/New_York), and
//! the zone remembered in a cookie once picked, so the next page opens in
//! it without JavaScript.
//!
//! Pure but for the cookie header helpers. May import: chrono-tz, hyper's
//! header types.

use std::sync::OnceLock;

use chrono_tz::Tz;
use hyper::header::{HeaderMap, COOKIE};

/// The cookie that remembers the zone a student picked.
pub const ZONE_COOKIE: &str = "slotdav_tz";

/// The regions whose zones the picker lists (the IANA areas people live
/// in); other names (`US/Eastern`, `Etc/GMT+5`, …) are still accepted when
/// typed, just not offered.
const REGIONS: [&str; 9] = ["Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific"];

/// The zones the picker offers: `UTC`, then every `Region/City` name of
/// [`REGIONS`], sorted.
pub fn offered_zones() -> &'static [&'static str] {
    static LIST: OnceLock<Vec<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| {
        let mut names: Vec<&'static str> = chrono_tz::TZ_VARIANTS
            .iter()
            .map(|z| z.name())
            .filter(|n| n.split_once('/').is_some_and(|(region, _)| REGIONS.contains(&region)))
            .collect();
        names.sort_unstable();
        names.insert(0, "UTC");
        names
    })
}

/// What a student typed into the zone field: a zone's name (any case), or
/// the city of exactly one offered zone ("sao paulo", "Port-au-Prince").
/// `None` when it names no zone, or several.
pub fn find_zone(typed: &str) -> Option<Tz> {
    let typed = typed.trim();
    if typed.is_empty() || typed.len() > 64 {
        return None;
    }
    if let Ok(tz) = typed.parse::<Tz>() {
        return Some(tz);
    }
    if let Some(tz) = chrono_tz::TZ_VARIANTS.iter().find(|z| z.name().eq_ignore_ascii_case(typed)) {
        return Some(*tz);
    }
    let wanted = typed.replace(' ', "_").to_ascii_lowercase();
    let mut matches = offered_zones().iter().filter(|name| name.rsplit('/').next().is_some_and(|city| city.eq_ignore_ascii_case(&wanted)));
    match (matches.next(), matches.next()) {
        (Some(name), None) => name.parse().ok(),
        _ => None,
    }
}

/// The zone a student chose for a page, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudentZone {
    pub tz: Tz,
    /// Chosen by the student (the address or the cookie): the page does
    /// not ask the browser for its zone.
    pub chosen: bool,
    /// What the student typed when it named no zone (shown with a hint).
    pub unknown: Option<String>,
    /// The cookie to set: the address picked a zone the cookie lacks.
    pub remember: Option<Tz>,
}

/// The zone of a page: the `tz` parameter when it names one, else the
/// remembered one, else the coach's.
pub fn student_zone(param: Option<&String>, remembered: Option<Tz>, coach: Tz) -> StudentZone {
    let fallback = remembered.unwrap_or(coach);
    match param.map(|p| p.trim()).filter(|p| !p.is_empty()) {
        Some(typed) => match find_zone(typed) {
            Some(tz) => StudentZone { tz, chosen: true, unknown: None, remember: (remembered != Some(tz)).then_some(tz) },
            None => StudentZone { tz: fallback, chosen: true, unknown: Some(typed.chars().take(64).collect()), remember: None },
        },
        None => StudentZone { tz: fallback, chosen: remembered.is_some(), unknown: None, remember: None },
    }
}

/// The zone remembered in the browser's cookie.
pub fn remembered_zone(headers: &HeaderMap) -> Option<Tz> {
    headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|c| {
        let (k, v) = c.trim().split_once('=')?;
        (k == ZONE_COOKIE).then(|| percent_encoding::percent_decode_str(v).decode_utf8().ok()?.parse().ok()).flatten()
    })
}

/// The `Set-Cookie` value remembering `tz` for a year on the booking pages.
pub fn zone_set_cookie(tz: Tz) -> String {
    format!("{ZONE_COOKIE}={}; Path=/book; Max-Age=31536000; SameSite=Lax", crate::http::encode_segment(tz.name()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offered_zones_are_regional_names_sorted() {
        let zones = offered_zones();
        assert_eq!(zones[0], "UTC");
        assert!(zones.contains(&"Europe/Berlin") && zones.contains(&"America/Argentina/Buenos_Aires"));
        assert!(!zones.contains(&"US/Eastern") && !zones.iter().any(|z| z.starts_with("Etc/")));
        assert!(zones[1..].windows(2).all(|w| w[0] < w[1]));
        assert!(zones.len() > 300 && zones.len() < 500, "{}", zones.len());
    }

    #[test]
    fn a_typed_zone_may_be_a_name_or_a_city() {
        assert_eq!(find_zone("Europe/Berlin"), Some(chrono_tz::Europe::Berlin));
        assert_eq!(find_zone("europe/berlin"), Some(chrono_tz::Europe::Berlin));
        assert_eq!(find_zone("  New York "), Some(chrono_tz::America::New_York));
        assert_eq!(find_zone("port-au-prince"), Some(chrono_tz::America::PortauPrince));
        assert_eq!(find_zone("US/Eastern"), Some(chrono_tz::US::Eastern), "typed, an alias still counts");
        assert_eq!(find_zone("Atlantis"), None);
        assert_eq!(find_zone(""), None);
        assert_eq!(find_zone(&"a".repeat(5000)), None);
    }

    #[test]
    fn the_address_beats_the_cookie_which_beats_the_coach() {
        let (berlin, ny, tokyo) = (chrono_tz::Europe::Berlin, chrono_tz::America::New_York, chrono_tz::Asia::Tokyo);
        let s = |v: &str| Some(v.to_string());
        let z = student_zone(None, None, berlin);
        assert_eq!((z.tz, z.chosen, z.remember), (berlin, false, None));
        let z = student_zone(None, Some(tokyo), berlin);
        assert_eq!((z.tz, z.chosen, z.remember), (tokyo, true, None));
        let z = student_zone(s("America/New_York").as_ref(), Some(tokyo), berlin);
        assert_eq!((z.tz, z.chosen, z.remember), (ny, true, Some(ny)));
        let z = student_zone(s("America/New_York").as_ref(), Some(ny), berlin);
        assert_eq!(z.remember, None, "already remembered");
        let z = student_zone(s("Atlantis").as_ref(), Some(tokyo), berlin);
        assert_eq!((z.tz, z.unknown.as_deref(), z.remember), (tokyo, Some("Atlantis"), None));
    }

    #[test]
    fn the_cookie_round_trips() {
        let mut h = HeaderMap::new();
        let set = zone_set_cookie(chrono_tz::America::New_York);
        let pair = set.split(';').next().unwrap();
        h.insert(COOKIE, format!("slotdav_csrf=abc; {pair}").parse().unwrap());
        assert_eq!(remembered_zone(&h), Some(chrono_tz::America::New_York));
        h.insert(COOKIE, "slotdav_tz=Mars%2FOlympus".parse().unwrap());
        assert_eq!(remembered_zone(&h), None);
    }
}
