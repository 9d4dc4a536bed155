//! Free/busy (RFC 4791 §7.10): merging busy occurrences into sorted,
//! coalesced periods per FBTYPE, the busy time stored VFREEBUSY components
//! publish, and writing the VFREEBUSY answer.

use chrono::{DateTime, Utc};

use super::object::CalendarObject;
use super::value::{PeriodEnd, RDateValue};
use super::write::{push_utc_stamp, Component, Property};
use super::zone::Zone;
use super::{BusyKind, ComponentKind, IndexEntry, Occurrence};
use crate::model::TimeRange;

impl BusyKind {
    /// The FBTYPE value (RFC 5545 §3.2.9).
    pub fn fbtype(self) -> &'static str {
        match self {
            BusyKind::Busy => "BUSY",
            BusyKind::BusyTentative => "BUSY-TENTATIVE",
            BusyKind::BusyUnavailable => "BUSY-UNAVAILABLE",
        }
    }
}

impl CalendarObject {
    /// The busy time a stored VFREEBUSY publishes (RFC 4791 §7.10: "VFREEBUSY
    /// components SHOULD be considered"): each FREEBUSY period overlapping
    /// `range`, with its FBTYPE (BUSY when absent or unknown, RFC 5545
    /// §3.2.9); FREE periods are left out. Empty for other kinds.
    pub fn published_busy(&self, range: TimeRange) -> Vec<Occurrence> {
        if self.kind() != ComponentKind::FreeBusy {
            return Vec::new();
        }
        let mut out = Vec::new();
        for c in self.components() {
            for p in c.props_named("FREEBUSY") {
                let busy = match p.param("FBTYPE").map(str::to_ascii_uppercase).as_deref() {
                    Some("FREE") => continue,
                    Some("BUSY-TENTATIVE") => BusyKind::BusyTentative,
                    Some("BUSY-UNAVAILABLE") => BusyKind::BusyUnavailable,
                    _ => BusyKind::Busy,
                };
                for period in self.rdates(p) {
                    let span = match period {
                        RDateValue::Period(v, PeriodEnd::End(e)) => TimeRange::new(v.resolve(Zone::UTC), e.resolve(Zone::UTC)),
                        RDateValue::Period(v, PeriodEnd::Duration(d)) => {
                            TimeRange::new(v.resolve(Zone::UTC), d.add_to(v.local(), v.zone(Zone::UTC)))
                        }
                        RDateValue::At(_) => continue,
                    };
                    if span.start < span.end && span.overlaps(&range) {
                        out.push(Occurrence { range: span, busy: Some(busy), all_day: false });
                    }
                }
            }
        }
        out
    }
}

/// Busy occurrences clipped to `range`, merged per [`BusyKind`] (overlapping
/// or touching periods coalesce), sorted by start then kind. Occurrences
/// with `busy: None` and empty spans are left out.
pub fn busy_periods<'a>(
    occurrences: impl IntoIterator<Item = &'a Occurrence>,
    range: TimeRange,
) -> Vec<(TimeRange, BusyKind)> {
    let mut by_kind: Vec<(BusyKind, Vec<TimeRange>)> = Vec::new();
    for o in occurrences {
        let Some(kind) = o.busy else { continue };
        let clipped = TimeRange::new(o.range.start.max(range.start), o.range.end.min(range.end));
        if clipped.start >= clipped.end {
            continue;
        }
        match by_kind.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, v)) => v.push(clipped),
            None => by_kind.push((kind, vec![clipped])),
        }
    }
    let mut out = Vec::new();
    for (kind, mut spans) in by_kind {
        spans.sort();
        let mut cur: Option<TimeRange> = None;
        for s in spans {
            cur = match cur {
                Some(c) if s.start <= c.end => Some(TimeRange::new(c.start, c.end.max(s.end))),
                Some(c) => {
                    out.push((c, kind));
                    Some(s)
                }
                None => Some(s),
            };
        }
        if let Some(c) = cur {
            out.push((c, kind));
        }
    }
    out.sort_by_key(|(r, k)| (r.start, *k, r.end));
    out
}

/// [`busy_periods`] over several index entries.
pub fn busy_periods_from_entries<'a>(
    entries: impl IntoIterator<Item = &'a IndexEntry>,
    range: TimeRange,
) -> Vec<(TimeRange, BusyKind)> {
    busy_periods(entries.into_iter().flat_map(|e| e.occurrences.iter()), range)
}

/// The answer to a free-busy-query REPORT: a VCALENDAR with one VFREEBUSY
/// covering `range`, periods clipped to it, one FREEBUSY line per FBTYPE.
pub fn vfreebusy(range: TimeRange, periods: &[(TimeRange, BusyKind)], dtstamp: DateTime<Utc>) -> String {
    let mut fb = Component::new("VFREEBUSY")
        .with(Property::utc("DTSTAMP", dtstamp))
        .with(Property::utc("DTSTART", range.start))
        .with(Property::utc("DTEND", range.end));
    for kind in [BusyKind::Busy, BusyKind::BusyTentative, BusyKind::BusyUnavailable] {
        let mut spans: Vec<TimeRange> = periods
            .iter()
            .filter(|(_, k)| *k == kind)
            .map(|(r, _)| TimeRange::new(r.start.max(range.start), r.end.min(range.end)))
            .filter(|r| r.start < r.end)
            .collect();
        if spans.is_empty() {
            continue;
        }
        spans.sort();
        let mut values = String::with_capacity(spans.len() * 33);
        for (i, r) in spans.iter().enumerate() {
            if i > 0 {
                values.push(',');
            }
            push_utc_stamp(&mut values, r.start);
            values.push('/');
            push_utc_stamp(&mut values, r.end);
        }
        fb = fb.with(Property::new("FREEBUSY", &values).with_param("FBTYPE", kind.fbtype()));
    }
    Component::calendar(None).with_child(fb).to_ics()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, d, h, 0, 0).unwrap()
    }

    fn occ(s: DateTime<Utc>, e: DateTime<Utc>, busy: Option<BusyKind>) -> Occurrence {
        Occurrence { range: TimeRange::new(s, e), busy, all_day: false }
    }

    #[test]
    fn stored_vfreebusy_publishes_its_busy_periods() {
        let text = "BEGIN:VCALENDAR\r\nBEGIN:VFREEBUSY\r\nUID:f\r\nFREEBUSY;FBTYPE=FREE:20260105T080000Z/PT1H\r\nFREEBUSY:20260105T090000Z/PT1H,20260106T090000Z/20260106T100000Z\r\nFREEBUSY;FBTYPE=X-OUT:20260105T110000Z/PT1H\r\nFREEBUSY;FBTYPE=busy-tentative:20260105T120000Z/PT1H\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n";
        let obj = CalendarObject::parse(text.as_bytes()).unwrap();
        let got = obj.published_busy(TimeRange::new(at(5, 0), at(6, 0)));
        assert_eq!(
            got,
            vec![
                occ(at(5, 9), at(5, 10), Some(BusyKind::Busy)),
                occ(at(5, 11), at(5, 12), Some(BusyKind::Busy)),
                occ(at(5, 12), at(5, 13), Some(BusyKind::BusyTentative)),
            ]
        );
        let event = CalendarObject::parse(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:e\r\nDTSTART:20260105T090000Z\r\nFREEBUSY:20260105T090000Z/PT1H\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").unwrap();
        assert!(event.published_busy(TimeRange::new(at(5, 0), at(6, 0))).is_empty());
    }

    #[test]
    fn merges_clips_and_skips_free() {
        let range = TimeRange::new(at(5, 8), at(5, 18));
        let occs = vec![
            occ(at(5, 7), at(5, 9), Some(BusyKind::Busy)),
            occ(at(5, 9), at(5, 10), Some(BusyKind::Busy)),
            occ(at(5, 12), at(5, 13), Some(BusyKind::BusyTentative)),
            occ(at(5, 14), at(5, 15), None),
            occ(at(5, 17), at(5, 20), Some(BusyKind::Busy)),
            occ(at(6, 9), at(6, 10), Some(BusyKind::Busy)),
        ];
        let p = busy_periods(&occs, range);
        assert_eq!(
            p,
            vec![
                (TimeRange::new(at(5, 8), at(5, 10)), BusyKind::Busy),
                (TimeRange::new(at(5, 12), at(5, 13)), BusyKind::BusyTentative),
                (TimeRange::new(at(5, 17), at(5, 18)), BusyKind::Busy),
            ]
        );
        let text = vfreebusy(range, &p, at(1, 0));
        assert!(text.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//slotdav//EN\r\nBEGIN:VFREEBUSY\r\n"));
        assert!(text.contains("DTSTART:20260105T080000Z\r\nDTEND:20260105T180000Z\r\n"));
        assert!(text.contains(
            "FREEBUSY;FBTYPE=BUSY:20260105T080000Z/20260105T100000Z,20260105T170000Z/202\r\n 60105T180000Z\r\n"
        ), "{text}");
        assert!(text.contains("FREEBUSY;FBTYPE=BUSY-TENTATIVE:20260105T120000Z/20260105T130000Z\r\n"));
        assert!(text.ends_with("END:VFREEBUSY\r\nEND:VCALENDAR\r\n"));
    }

    #[test]
    fn vfreebusy_clips_given_periods() {
        let range = TimeRange::new(at(5, 8), at(5, 18));
        let text = vfreebusy(range, &[(TimeRange::new(at(5, 6), at(5, 9)), BusyKind::BusyUnavailable)], at(1, 0));
        assert!(text.contains("FREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20260105T080000Z/20260105T090000Z\r\n"));
        let empty = vfreebusy(range, &[(TimeRange::new(at(4, 6), at(4, 9)), BusyKind::Busy)], at(1, 0));
        assert!(!empty.contains("FREEBUSY;"));
    }
}
