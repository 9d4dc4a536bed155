//! One RRULE value (RFC 5545 §3.3.10) stepped on the wall clock: the
//! rule is cleaned up (X- parts dropped, UNTIL brought onto the wall clock
//! of DTSTART) and run by the `rrule` crate as if local time were UTC.
//!
//! May import: [`super::value`], [`super::zone`]. Used both by time zones
//! ([`super::tz`], VTIMEZONE onsets) and by whole-object expansion
//! ([`super::expand`]).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::str::FromStr;

use chrono::{Duration, NaiveDateTime, TimeZone, Utc};
use rrule::{RRule, Unvalidated};

use super::value::parse_local_datetime;
use super::zone::Zone;

/// Expand one RRULE value from a wall-clock DTSTART. Returns wall-clock
/// starts before `limit` (at most `cap`), and whether the rule goes on past
/// `limit` or `cap`. `zone` is the zone DTSTART is read in (None: floating),
/// used to bring a UTC UNTIL onto the wall clock.
pub fn rrule_locals(
    dtstart: NaiveDateTime,
    rule: &str,
    zone: Option<Zone>,
    limit: NaiveDateTime,
    cap: usize,
) -> (Vec<NaiveDateTime>, bool) {
    let mut parts: Vec<String> = Vec::new();
    for part in rule.trim().split(';').filter(|p| !p.trim().is_empty()) {
        let Some((k, v)) = part.split_once('=') else { return (Vec::new(), false) };
        let k = k.trim().to_ascii_uppercase();
        let v = v.trim().to_ascii_uppercase();
        if k == "UNTIL" {
            let until = if v.len() == 8 {
                // A DATE UNTIL includes the whole day.
                parse_local_datetime(&v).map(|d| d + Duration::seconds(86_399))
            } else if v.ends_with('Z') {
                parse_local_datetime(&v).map(|u| match zone {
                    Some(z) => z.to_local(Utc.from_utc_datetime(&u)),
                    None => u,
                })
            } else {
                parse_local_datetime(&v)
            };
            let Some(until) = until else { return (Vec::new(), false) };
            if until < dtstart {
                return (Vec::new(), false);
            }
            parts.push(format!("UNTIL={}Z", until.format("%Y%m%dT%H%M%S")));
        } else if k.starts_with("X-") {
            continue;
        } else {
            parts.push(format!("{k}={v}"));
        }
    }
    let rule = parts.join(";");
    // An RRULE is ASCII (RFC 5545 §3.3.10). The crate slices BYDAY values
    // by bytes and panics inside a non-ASCII one (the `ical` fuzz target
    // found `BYDAY=\u{feff}-1SU`); the catch below stays as a second guard.
    if !rule.is_ascii() {
        return (Vec::new(), false);
    }
    let result = catch_unwind(AssertUnwindSafe(|| {
        let parsed: RRule<Unvalidated> = RRule::from_str(&rule).ok()?;
        let start = Utc.from_utc_datetime(&dtstart).with_timezone(&rrule::Tz::UTC);
        let set = parsed.build(start).ok()?.limit();
        let mut out = Vec::new();
        let mut more = false;
        for d in &set {
            let l = d.naive_utc();
            if l >= limit || out.len() >= cap {
                more = true;
                break;
            }
            out.push(l);
        }
        Some((out, more))
    }));
    match result {
        Ok(Some(r)) => r,
        _ => (Vec::new(), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `ical` fuzz target: a byte-order mark inside BYDAY made
    /// the `rrule` crate slice inside a character and panic (which aborts a
    /// build with `panic = "abort"`). A non-ASCII rule is no rule.
    #[test]
    fn a_non_ascii_byday_is_no_rule_and_no_panic() {
        let start = NaiveDateTime::parse_from_str("20260601T080000", "%Y%m%dT%H%M%S").unwrap();
        let limit = NaiveDateTime::parse_from_str("20300101T000000", "%Y%m%dT%H%M%S").unwrap();
        thread_local!(static PANICKED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });
        let previous = std::sync::Arc::new(std::panic::take_hook());
        let chained = previous.clone();
        std::panic::set_hook(Box::new(move |info| {
            PANICKED.with(|p| p.set(true));
            chained(info);
        }));
        let (starts, more) = rrule_locals(start, "FREQ=YEARLY;BYDAY=\u{feff}-1SU;BYMONTH=10", None, limit, 100);
        let _ = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| previous(info)));
        assert!(!PANICKED.with(|p| p.get()), "the rule reached the crate and panicked there (caught only with panic = unwind)");
        assert!(starts.is_empty() && !more);
        let (ok, _) = rrule_locals(start, "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10", None, limit, 100);
        assert_eq!(ok.len(), 4, "the ASCII rule still expands: {ok:?}");
    }
}
