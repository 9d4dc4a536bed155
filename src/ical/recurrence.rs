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
