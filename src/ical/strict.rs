//! The RFC 5545 rules a *new* calendar object resource must meet before it
//! is stored (RFC 4791 §5.3.2.1 `CALDAV:valid-calendar-data`), beyond what
//! the forgiving reader ([`super::parse`]) checks. Only PUT applies them:
//! objects already in the store, feeds we import and our own booking events
//! are read as before, so data written under older rules still reads.
//!
//! - RRULE (§3.3.10): FREQ exactly once, known parts only (X- parts aside),
//!   no part twice, not both COUNT and UNTIL, every BYxxx value in range and
//!   allowed with the FREQ (numeric BYDAY only with MONTHLY or YEARLY, and
//!   not with YEARLY and BYWEEKNO; BYMONTHDAY not with WEEKLY; BYYEARDAY
//!   not with DAILY, WEEKLY or MONTHLY; BYWEEKNO only with YEARLY).
//! - TEXT values (§3.3.11) use only the escapes `\\` `\;` `\,` `\n` `\N`.
//! - No control characters but HTAB in any value or parameter (§3.1).
//! - DATE and DATE-TIME fields in range (§3.3.4, §3.3.5: second 60 is a
//!   leap second; 61 is not), also in DTSTAMP, LAST-MODIFIED and RDATE.
//! - A RECURRENCE-ID (§3.8.4.4) has the value type of the master's DTSTART
//!   and names one of the master's instances (DTSTART, an RRULE or RDATE
//!   instance); without a master (an invitation to one instance) it is not
//!   compared.
//! - A TZID names a VTIMEZONE in the object (RFC 4791 §4.1). A TZID without
//!   one is still accepted when it is a zone name we know (IANA, Windows):
//!   clients in the wild rely on that (RFC 7809 behaviour we do not
//!   advertise) — python-caldav's `save_event` with a zoneinfo datetime,
//!   and so caldav-server-tester's `save-load.event.timezone` check, PUTs
//!   `DTSTART;TZID=America/Los_Angeles` with no VTIMEZONE — and refusing
//!   them would lose their users' events. A TZID neither defined nor known
//!   is refused: its times cannot be placed.
//!
//! May import everything of the reader and [`super::recurrence`]; it sits
//! above [`super::expand`] in the layering order.

use super::component::Component;
use super::contentline::Property;
use super::object::CalendarObject;
use super::recurrence::rrule_locals;
use super::tz::resolve_tzid;
use super::value::{DateValue, PeriodEnd, RDateValue};
use super::zone::Zone;
use super::{Error, Result};

/// Properties whose value type is TEXT (RFC 5545 §3.8), whose escapes are
/// checked. X- properties are not: their value type is the client's.
const TEXT_PROPS: &[&str] = &["SUMMARY", "DESCRIPTION", "LOCATION", "COMMENT", "CATEGORIES", "RESOURCES", "CONTACT"];

/// Properties holding DATE or DATE-TIME values whose fields are checked.
const DATE_PROPS: &[&str] =
    &["DTSTART", "DTEND", "DUE", "RECURRENCE-ID", "EXDATE", "RDATE", "COMPLETED", "CREATED", "DTSTAMP", "LAST-MODIFIED"];

/// How many instances of a master are stepped to find a RECURRENCE-ID.
/// Beyond it the override is accepted unchecked.
const RECURRENCE_ID_SEARCH: usize = 10_000;

fn invalid(why: String) -> Error {
    Error::InvalidData(why)
}

impl CalendarObject {
    /// The rules above, for an object about to be stored by a client.
    pub fn check_storable(&self) -> Result<()> {
        check_controls(self.root())?;
        check_tzids(self)?;
        for c in self.components() {
            for p in &c.props {
                if TEXT_PROPS.contains(&p.name.as_str()) {
                    check_text_escapes(p)?;
                }
                if DATE_PROPS.contains(&p.name.as_str()) {
                    check_date_fields(p)?;
                }
                if p.name == "RRULE" {
                    check_rrule(&p.value)?;
                }
            }
        }
        if self.kind() == super::ComponentKind::Availability {
            super::availability::check(self)?;
        }
        check_recurrence_ids(self)
    }
}

/// RFC 5545 §3.1: CONTROL = %x00-08 / %x0A-1F / %x7F are not allowed in
/// values or parameter values.
fn check_controls(c: &Component) -> Result<()> {
    let bad = |s: &str| s.chars().any(|ch| (ch.is_ascii_control() && ch != '\t') || ch == '\u{7f}');
    for p in &c.props {
        if bad(&p.value) || p.params.iter().any(|(_, vs)| vs.iter().any(|v| bad(v))) {
            return Err(invalid(format!("{}: control character in value", p.name)));
        }
    }
    c.children.iter().try_for_each(check_controls)
}

/// RFC 5545 §3.3.11: ESCAPED-CHAR = "\\" / "\;" / "\," / "\N" / "\n".
fn check_text_escapes(p: &Property) -> Result<()> {
    let mut chars = p.value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' && !matches!(chars.next(), Some('\\' | ';' | ',' | 'n' | 'N')) {
            return Err(invalid(format!("{}: bad escape sequence", p.name)));
        }
    }
    Ok(())
}

/// Each DATE / DATE-TIME in the value has its fields in range. (Months,
/// days, hours and minutes out of range do not parse at all; the reader
/// reads seconds up to 99 as 59.)
fn check_date_fields(p: &Property) -> Result<()> {
    for v in p.value.split(',').map(str::trim).filter(|v| !v.is_empty()) {
        // The start of a PERIOD (its end may be a duration).
        let v = v.split('/').next().unwrap_or(v);
        let digits = v.strip_suffix(['Z', 'z']).unwrap_or(v);
        if digits.len() == 15 {
            match digits.get(13..15).and_then(|s| s.parse::<u32>().ok()) {
                Some(s) if s <= 60 => {}
                _ => return Err(invalid(format!("{}: second out of range in {v:?}", p.name))),
            }
        }
        if !matches!(digits.len(), 8 | 15) || super::value::parse_local_datetime(digits).is_none() {
            return Err(invalid(format!("{}: bad date value {v:?}", p.name)));
        }
    }
    Ok(())
}

const WEEKDAYS: &[&str] = &["SU", "MO", "TU", "WE", "TH", "FR", "SA"];
const FREQS: &[&str] = &["SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"];

/// A comma-separated list of integers, each `±n` with `min <= |n| <= max`
/// (`signed`) or `min <= n <= max`.
fn int_list(v: &str, min: i64, max: i64, signed: bool) -> bool {
    !v.is_empty()
        && v.split(',').all(|n| {
            let unsigned = n.strip_prefix(['+', '-']).filter(|_| signed).unwrap_or(n);
            !unsigned.is_empty()
                && unsigned.bytes().all(|b| b.is_ascii_digit())
                && unsigned.parse::<i64>().is_ok_and(|n| (min..=max).contains(&n))
        })
}

/// RFC 5545 §3.3.10, the RECUR value.
fn check_rrule(rule: &str) -> Result<()> {
    let bad = |why: &str| Err(invalid(format!("RRULE {rule:?}: {why}")));
    let mut seen: Vec<String> = Vec::new();
    let mut numeric_byday = false;
    for part in rule.trim().split(';') {
        let Some((name, value)) = part.split_once('=') else { return bad("a part without a value") };
        let name = name.trim().to_ascii_uppercase();
        let value = value.trim().to_ascii_uppercase();
        if name.starts_with("X-") {
            continue;
        }
        if seen.contains(&name) {
            return bad("a part given twice");
        }
        let ok = match name.as_str() {
            "FREQ" => FREQS.contains(&value.as_str()),
            "UNTIL" => matches!(value.strip_suffix('Z').unwrap_or(&value).len(), 8 | 15)
                && super::value::parse_local_datetime(&value).is_some(),
            "COUNT" | "INTERVAL" => int_list(&value, 1, i64::from(u32::MAX), false) && !value.contains(','),
            "BYSECOND" => int_list(&value, 0, 60, false),
            "BYMINUTE" => int_list(&value, 0, 59, false),
            "BYHOUR" => int_list(&value, 0, 23, false),
            "BYMONTHDAY" => int_list(&value, 1, 31, true),
            "BYYEARDAY" | "BYSETPOS" => int_list(&value, 1, 366, true),
            "BYWEEKNO" => int_list(&value, 1, 53, true),
            "BYMONTH" => int_list(&value, 1, 12, false),
            "WKST" => WEEKDAYS.contains(&value.as_str()),
            "BYDAY" => value.split(',').all(|d| {
                let Some(day) = d.get(d.len().saturating_sub(2)..) else { return false };
                let n = &d[..d.len() - 2];
                if !n.is_empty() {
                    numeric_byday = true;
                }
                WEEKDAYS.contains(&day) && (n.is_empty() || int_list(n, 1, 53, true))
            }),
            _ => return bad("an unknown part"),
        };
        if !ok {
            return bad(&format!("{name} out of range"));
        }
        seen.push(name);
    }
    let has = |n: &str| seen.iter().any(|s| s == n);
    let freq = rule
        .split(';')
        .filter_map(|p| p.split_once('='))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case("FREQ"))
        .map(|(_, v)| v.trim().to_ascii_uppercase());
    let Some(freq) = freq else { return bad("no FREQ") };
    if has("COUNT") && has("UNTIL") {
        return bad("both COUNT and UNTIL");
    }
    if numeric_byday && !(freq == "MONTHLY" || (freq == "YEARLY" && !has("BYWEEKNO"))) {
        return bad("a numeric BYDAY with this FREQ");
    }
    if has("BYMONTHDAY") && freq == "WEEKLY" {
        return bad("BYMONTHDAY with FREQ=WEEKLY");
    }
    if has("BYYEARDAY") && matches!(freq.as_str(), "DAILY" | "WEEKLY" | "MONTHLY") {
        return bad("BYYEARDAY with this FREQ");
    }
    if has("BYWEEKNO") && freq != "YEARLY" {
        return bad("BYWEEKNO without FREQ=YEARLY");
    }
    Ok(())
}

/// RFC 4791 §4.1: a TZID is defined by a VTIMEZONE in the object; one we
/// know by name is let through (see the module doc).
fn check_tzids(obj: &CalendarObject) -> Result<()> {
    let defined = |tzid: &str| {
        obj.root().children.iter().any(|c| c.name == "VTIMEZONE" && c.prop("TZID").is_some_and(|p| p.value.trim() == tzid))
    };
    for c in obj.root().children.iter().filter(|c| c.name != "VTIMEZONE") {
        for p in c.props.iter().chain(c.children.iter().flat_map(|a| a.props.iter())) {
            if let Some(tzid) = p.param("TZID") {
                if !defined(tzid.trim()) && resolve_tzid(tzid, None).is_none() {
                    return Err(invalid(format!("{}: TZID {tzid:?} has no VTIMEZONE", p.name)));
                }
            }
        }
    }
    Ok(())
}

/// RFC 5545 §3.8.4.4: an override names an instance of the master, with
/// the master DTSTART's value type.
fn check_recurrence_ids(obj: &CalendarObject) -> Result<()> {
    let Some(master) = obj.master() else { return Ok(()) };
    let Some(start) = master.prop("DTSTART").and_then(|p| obj.date_value(p)) else { return Ok(()) };
    // Floating times are compared on the wall clock (both read as UTC).
    let zone = start.zone(Zone::UTC);
    let until_zone = if start.is_floating() { None } else { Some(zone) };
    let first = zone.to_utc(start.local());
    // The instants the overrides name, each checked for its value type.
    let mut named = Vec::new();
    for c in obj.components().filter(|c| c.has("RECURRENCE-ID")) {
        let Some(rid) = c.prop("RECURRENCE-ID").and_then(|p| obj.date_value(p)) else { continue };
        if rid.is_date() != start.is_date() {
            return Err(invalid("RECURRENCE-ID: not the value type of the master's DTSTART".into()));
        }
        let rid_zone = match rid {
            DateValue::Date(_) | DateValue::Floating(_) => zone,
            _ => rid.zone(Zone::UTC),
        };
        let at = rid_zone.to_utc(rid.local());
        if at != first {
            named.push(at);
        }
    }
    let Some(last) = named.iter().max().copied() else { return Ok(()) };
    // The master's instances up to the last one named, expanded once for
    // all overrides, within one search budget for all RRULEs together.
    let limit = zone.to_local(last) + chrono::Duration::days(2);
    let mut instances = std::collections::HashSet::new();
    let mut budget = RECURRENCE_ID_SEARCH;
    for p in master.props_named("RRULE") {
        let (locals, _) = rrule_locals(start.local(), &p.value, until_zone, limit, budget);
        if locals.len() >= budget {
            // Too many instances before them to tell: not refused.
            return Ok(());
        }
        budget -= locals.len();
        instances.extend(locals.into_iter().map(|l| zone.to_utc(l)));
    }
    for p in master.props_named("RDATE") {
        instances.extend(obj.rdates(p).into_iter().map(|r| {
            let v = match r {
                RDateValue::At(v) | RDateValue::Period(v, PeriodEnd::End(_) | PeriodEnd::Duration(_)) => v,
            };
            let v_zone = match v {
                DateValue::Date(_) | DateValue::Floating(_) => zone,
                _ => v.zone(Zone::UTC),
            };
            v_zone.to_utc(v.local())
        }));
    }
    if named.iter().any(|at| !instances.contains(at)) {
        return Err(invalid("RECURRENCE-ID: names no instance of the master".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_rrule;
    use crate::ical::CalendarObject;

    /// What real clients send (fixtures/clients) and the valid samples stay
    /// storable.
    #[test]
    fn client_fixtures_are_storable() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/");
        let mut checked = 0;
        let mut dirs = vec![std::path::PathBuf::from(format!("{root}clients")), std::path::PathBuf::from(format!("{root}ical/accepted"))];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "ics") {
                    let bytes = std::fs::read(&path).unwrap();
                    // Objects the reader refuses are not client PUTs (feeds, iMIP).
                    if let Ok(obj) = CalendarObject::parse(&bytes) {
                        obj.check_storable().unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 5, "only {checked} fixtures");
    }

    #[test]
    fn rrules() {
        for ok in [
            "FREQ=WEEKLY;BYDAY=MO,WE",
            "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10",
            "FREQ=MONTHLY;BYDAY=+2TU;COUNT=3",
            "FREQ=DAILY;UNTIL=20261231",
            "FREQ=DAILY;UNTIL=20261231T000000Z;X-FOO=1",
            "FREQ=MONTHLY;BYMONTHDAY=-1;INTERVAL=2;WKST=MO",
            "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO",
        ] {
            assert!(check_rrule(ok).is_ok(), "{ok}");
        }
        for bad in [
            "BYDAY=MO",
            "FREQ=WEEKLY;BYDAY=9MO",
            "FREQ=MONTHLY;BYDAY=54MO",
            "FREQ=YEARLY;BYMONTH=13",
            "FREQ=DAILY;COUNT=3;UNTIL=20261231",
            "FREQ=DAILY;FOO=1",
            "FREQ=DAILY;FREQ=WEEKLY",
            "FREQ=FORTNIGHTLY",
            "FREQ=DAILY;COUNT=0",
            "FREQ=WEEKLY;BYMONTHDAY=1",
            "FREQ=MONTHLY;BYWEEKNO=1",
            "FREQ=YEARLY;BYWEEKNO=1;BYDAY=1MO",
            "FREQ=DAILY;BYHOUR=24",
            "FREQ=DAILY;BYDAY=XX",
        ] {
            assert!(check_rrule(bad).is_err(), "{bad}");
        }
    }
}
