//! The pure rules of scheduling between users of one server (RFC 6638
//! §3, iTIP RFC 5546): who among the attendees the server schedules for,
//! what changed between two versions of an organizer's event, the
//! attendee's copy of an invitation (their PARTSTAT kept unless the time
//! moved), the organizer's copy with an attendee's reply merged, and the
//! Schedule-Tag (what of an object counts as a scheduling change).
//!
//! Takes calendar user addresses as closures (`is_me`), so it knows
//! nothing of users or the store. Builds iCalendar only as
//! `ical::write` components; never formats text itself. May import `ical`.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::ical::write::{Component, Property};
use crate::ical::CalendarObject;

/// `mailto:` addresses compare without case (RFC 6638 §2.4.1 leaves the
/// comparison to the server; email addresses are case-insensitive in
/// practice); other URIs as written.
pub fn same_address(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    match (mailto(a), mailto(b)) {
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
        _ => a.eq_ignore_ascii_case(b),
    }
}

/// The email of a `mailto:` address.
pub fn mailto(address: &str) -> Option<&str> {
    let a = address.trim();
    let (scheme, rest) = a.split_once(':')?;
    scheme.eq_ignore_ascii_case("mailto").then_some(rest)
}

/// RFC 6638 §7.1 `SCHEDULE-AGENT`: whether the server schedules for this
/// attendee (absent or `SERVER`); `CLIENT` and `NONE` leave them alone.
pub fn server_schedules(attendee: &Property) -> bool {
    attendee.param("SCHEDULE-AGENT").is_none_or(|a| a.eq_ignore_ascii_case("SERVER"))
}

/// The attendees of the main component the server schedules for, each
/// address once, without the organizer.
pub fn scheduled_attendees(obj: &CalendarObject) -> Vec<String> {
    let organizer = obj.organizer().unwrap_or_default();
    let mut out: Vec<String> = Vec::new();
    for a in obj.attendee_props() {
        let addr = a.value.trim().to_string();
        if !server_schedules(a) || same_address(&addr, &organizer) || out.iter().any(|o| same_address(o, &addr)) {
            continue;
        }
        out.push(addr);
    }
    out
}

/// The attendees whose SCHEDULE-AGENT tells the server to do nothing.
pub fn client_scheduled_attendees(obj: &CalendarObject) -> Vec<String> {
    obj.attendee_props().into_iter().filter(|a| !server_schedules(a)).map(|a| a.value.trim().to_string()).collect()
}

/// Who was added and who was taken off between two versions.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct AttendeeDiff {
    pub kept: Vec<String>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

/// Compares the scheduled attendees of `before` and `after`.
pub fn diff_attendees(before: Option<&CalendarObject>, after: Option<&CalendarObject>) -> AttendeeDiff {
    let old = before.map(scheduled_attendees).unwrap_or_default();
    let new = after.map(scheduled_attendees).unwrap_or_default();
    let mut diff = AttendeeDiff::default();
    for a in &new {
        if old.iter().any(|o| same_address(o, a)) {
            diff.kept.push(a.clone());
        } else {
            diff.added.push(a.clone());
        }
    }
    diff.removed = old.into_iter().filter(|o| !new.iter().any(|n| same_address(n, o))).collect();
    diff
}

/// The time of an event moved (RFC 6638 §3.2.8: then the attendees'
/// PARTSTAT goes back to NEEDS-ACTION): start, end, duration or the
/// recurrence set of any component.
pub fn time_changed(before: &CalendarObject, after: &CalendarObject) -> bool {
    fn times(obj: &CalendarObject) -> Vec<(String, String)> {
        obj.components()
            .flat_map(|c| c.props.iter().filter(|p| matches!(p.name.as_str(), "DTSTART" | "DTEND" | "DURATION" | "DUE")))
            .map(|p| (p.name.clone(), p.value.trim().to_string()))
            .collect()
    }
    before.dtstart() != after.dtstart()
        || before.dtend() != after.dtend()
        || times(before) != times(after)
        || before.recurrence_props() != after.recurrence_props()
}

/// The PARTSTAT of the attendee `is_me` picks in the main component
/// (`NEEDS-ACTION` when not given, RFC 5545 §3.2.12).
pub fn partstat_of(obj: &CalendarObject, is_me: &dyn Fn(&str) -> bool) -> Option<String> {
    obj.attendee_props()
        .into_iter()
        .find(|a| is_me(&a.value))
        .map(|a| a.param("PARTSTAT").unwrap_or("NEEDS-ACTION").to_ascii_uppercase())
}

/// Whether `is_me` takes part: an attendee of the main component who has
/// not declined. An invitation they declined is free time.
pub fn declined_by(obj: &CalendarObject, is_me: &dyn Fn(&str) -> bool) -> bool {
    partstat_of(obj, is_me).as_deref() == Some("DECLINED")
}

fn set_param(p: &mut Property, name: &str, value: &str) {
    p.params.retain(|(n, _)| n != name);
    p.params.push((name.to_string(), vec![value.to_string()]));
}

fn remove_param(p: &mut Property, name: &str) {
    p.params.retain(|(n, _)| n != name);
}

/// The object's root without a METHOD: what is stored (RFC 4791 §4.1).
fn stored_root(obj: &CalendarObject) -> Component {
    let mut root = obj.root().clone();
    root.props.retain(|p| p.name != "METHOD");
    root
}

fn scheduling_components(root: &mut Component) -> impl Iterator<Item = &mut Component> {
    root.children.iter_mut().filter(|c| c.name != "VTIMEZONE")
}

/// The attendee's copy of an organizer's event (RFC 6638 §4.1): the
/// organizer's object, with the attendee's PARTSTAT from their `previous`
/// copy unless the time changed (then, and for a new invitation,
/// `NEEDS-ACTION`), and no SCHEDULE-STATUS (the organizer's business).
pub fn attendee_copy(organizer: &CalendarObject, previous: Option<&CalendarObject>, is_me: &dyn Fn(&str) -> bool) -> String {
    let keep = previous.filter(|p| !time_changed(p, organizer)).and_then(|p| partstat_of(p, is_me));
    let partstat = keep.unwrap_or_else(|| "NEEDS-ACTION".to_string());
    let mut root = stored_root(organizer);
    for c in scheduling_components(&mut root) {
        // The attendee's own alarms and transparency stay theirs (RFC 6638
        // §3.2.2.1): taken from the same instance of their copy.
        if let Some(mine) = previous.and_then(|p| same_instance(p, c)) {
            c.children.retain(|a| a.name != "VALARM");
            c.children.extend(mine.children.iter().filter(|a| a.name == "VALARM").cloned());
            c.props.retain(|p| p.name != "TRANSP");
            c.props.extend(mine.props.iter().filter(|p| p.name == "TRANSP").cloned());
        }
        for p in c.props.iter_mut().filter(|p| p.name == "ATTENDEE") {
            remove_param(p, "SCHEDULE-STATUS");
            if is_me(&p.value) {
                set_param(p, "PARTSTAT", &partstat);
            }
        }
    }
    root.to_ics()
}

/// The component of `obj` for the same instance as `c` (same
/// RECURRENCE-ID, or both the master).
fn same_instance<'a>(obj: &'a CalendarObject, c: &Component) -> Option<&'a Component> {
    let rid = |x: &Component| x.prop("RECURRENCE-ID").map(|p| p.value.trim().to_string());
    obj.components().find(|x| x.name == c.name && rid(x) == rid(c))
}

/// The attendee's copy once the organizer cancelled (RFC 5546 §3.2.5):
/// every component STATUS:CANCELLED, the rest as it was.
pub fn cancelled_copy(copy: &CalendarObject) -> String {
    let mut root = stored_root(copy);
    for c in scheduling_components(&mut root) {
        c.props.retain(|p| p.name != "STATUS");
        c.props.push(Property::new("STATUS", "CANCELLED"));
    }
    root.to_ics()
}

/// The organizer's copy with a reply merged (RFC 6638 §3.2.9, RFC 5546
/// §3.2.3): the replying attendee's PARTSTAT and the SCHEDULE-STATUS of
/// the delivery; nothing else changes.
pub fn merge_reply(organizer: &CalendarObject, is_attendee: &dyn Fn(&str) -> bool, partstat: &str, status: &str) -> String {
    let mut root = stored_root(organizer);
    for c in scheduling_components(&mut root) {
        for p in c.props.iter_mut().filter(|p| p.name == "ATTENDEE" && is_attendee(&p.value)) {
            set_param(p, "PARTSTAT", partstat);
            set_param(p, "SCHEDULE-STATUS", status);
        }
    }
    root.to_ics()
}

/// The organizer's object with SCHEDULE-STATUS (RFC 6638 §7.3) on each
/// attendee the server schedules for and `status_of` has a status for,
/// where the attendee has none yet or `status_of` says it must be
/// replaced; `None` when nothing changes.
pub fn with_schedule_status(obj: &CalendarObject, status_of: &dyn Fn(&Property) -> Option<(&'static str, bool)>) -> Option<String> {
    let organizer = obj.organizer().unwrap_or_default();
    let mut root = stored_root(obj);
    let mut changed = false;
    for c in scheduling_components(&mut root) {
        for p in c.props.iter_mut().filter(|p| p.name == "ATTENDEE") {
            if !server_schedules(p) || same_address(&p.value, &organizer) {
                continue;
            }
            let Some((status, replace)) = status_of(p) else { continue };
            let current = p.param("SCHEDULE-STATUS").map(str::to_string);
            if current.as_deref() == Some(status) || (current.is_some() && !replace) {
                continue;
            }
            set_param(p, "SCHEDULE-STATUS", status);
            changed = true;
        }
    }
    changed.then(|| root.to_ics())
}

/// The organizer's new version with the replies merged into the stored
/// one kept (RFC 6638 §3.2.10): a client that wrote from a copy older than
/// a merged reply (its attendee line lacks our SCHEDULE-STATUS 2.0) would
/// otherwise undo the attendee's answer. A new time asks everyone again,
/// so then nothing is kept. `None` when nothing changes.
pub fn keep_replies(stored: &CalendarObject, incoming: &CalendarObject) -> Option<String> {
    if time_changed(stored, incoming) {
        return None;
    }
    let mut root = stored_root(incoming);
    let mut changed = false;
    for c in scheduling_components(&mut root) {
        let Some(old) = same_instance(stored, c) else { continue };
        for p in c.props.iter_mut().filter(|p| p.name == "ATTENDEE") {
            if p.param("SCHEDULE-STATUS") == Some("2.0") {
                continue;
            }
            let replied = old.props_named("ATTENDEE").find(|o| same_address(&o.value, &p.value) && o.param("SCHEDULE-STATUS") == Some("2.0"));
            if let Some(r) = replied {
                let partstat = r.param("PARTSTAT").unwrap_or("NEEDS-ACTION").to_string();
                set_param(p, "PARTSTAT", &partstat);
                set_param(p, "SCHEDULE-STATUS", "2.0");
                changed = true;
            }
        }
    }
    changed.then(|| root.to_ics())
}

/// `obj` as an iTIP message of `method` (REQUEST, CANCEL): the same
/// components with `METHOD` on the VCALENDAR.
pub fn message(obj: &CalendarObject, method: &str) -> String {
    let mut root = stored_root(obj);
    root.props.push(Property::new("METHOD", method));
    root.to_ics()
}

/// A REPLY (RFC 5546 §3.2.3) from the attendee `is_me` picks in their
/// `copy`: per component the UID, RECURRENCE-ID, SEQUENCE, ORGANIZER and
/// only their own ATTENDEE line.
pub fn reply(copy: &CalendarObject, is_me: &dyn Fn(&str) -> bool, now: DateTime<Utc>) -> String {
    let mut cal = Component::calendar(Some("REPLY"));
    for c in copy.components() {
        let mut out = Component::new(&c.name).with(Property::new("UID", copy.uid())).with(Property::utc("DTSTAMP", now));
        for name in ["RECURRENCE-ID", "SEQUENCE", "DTSTART", "DTEND", "SUMMARY", "ORGANIZER"] {
            if let Some(p) = c.prop(name) {
                out.props.push(p.clone());
            }
        }
        for a in c.props_named("ATTENDEE").filter(|a| is_me(&a.value)) {
            let mut a = a.clone();
            remove_param(&mut a, "SCHEDULE-STATUS");
            remove_param(&mut a, "RSVP");
            out.props.push(a);
        }
        cal.children.push(out);
    }
    cal.to_ics()
}

/// The Schedule-Tag of a scheduling object (RFC 6638 §3.2.10): a digest of
/// everything but what a reply or a stamp changes (PARTSTAT, RSVP and
/// SCHEDULE-STATUS of attendees, DTSTAMP, LAST-MODIFIED, alarms). So an
/// attendee's PARTSTAT change, or a reply merged into the organizer's
/// copy, keeps the tag; a new time, summary or attendee list changes it.
pub fn schedule_tag(obj: &CalendarObject) -> String {
    let mut root = stored_root(obj);
    for c in scheduling_components(&mut root) {
        c.props.retain(|p| !matches!(p.name.as_str(), "DTSTAMP" | "LAST-MODIFIED"));
        c.children.retain(|a| a.name != "VALARM");
        for p in c.props.iter_mut().filter(|p| p.name == "ATTENDEE") {
            for n in ["PARTSTAT", "RSVP", "SCHEDULE-STATUS"] {
                remove_param(p, n);
            }
        }
    }
    let digest = Sha256::digest(root.to_ics().as_bytes());
    format!("s-{}", crate::hex::encode(&digest[..12]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: &str = "mailto:alice@example.org";

    fn obj(extra: &str) -> CalendarObject {
        let text = format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:m1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260601T090000Z\r\nDTEND:20260601T100000Z\r\nSUMMARY:Planning\r\nORGANIZER:{ALICE}\r\nATTENDEE;PARTSTAT=ACCEPTED:{ALICE}\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
        );
        CalendarObject::parse(text.as_bytes()).unwrap()
    }

    fn is_bob(a: &str) -> bool {
        same_address(a, "mailto:bob@example.org")
    }

    #[test]
    fn attendees_are_diffed_without_case_and_without_the_organizer() {
        let before = obj("ATTENDEE:mailto:bob@example.org\r\nATTENDEE:mailto:carol@example.org\r\n");
        let after = obj("ATTENDEE:mailto:BOB@example.org\r\nATTENDEE:mailto:dan@example.org\r\n");
        let d = diff_attendees(Some(&before), Some(&after));
        assert_eq!(d.kept, vec!["mailto:BOB@example.org"]);
        assert_eq!(d.added, vec!["mailto:dan@example.org"]);
        assert_eq!(d.removed, vec!["mailto:carol@example.org"]);
        assert_eq!(diff_attendees(Some(&before), None).removed.len(), 2);
    }

    #[test]
    fn schedule_agent_client_or_none_is_left_alone() {
        let o = obj("ATTENDEE;SCHEDULE-AGENT=CLIENT:mailto:bob@example.org\r\nATTENDEE;SCHEDULE-AGENT=NONE:mailto:c@example.org\r\nATTENDEE;SCHEDULE-AGENT=SERVER:mailto:d@example.org\r\n");
        assert_eq!(scheduled_attendees(&o), vec!["mailto:d@example.org"]);
        assert_eq!(client_scheduled_attendees(&o).len(), 2);
    }

    #[test]
    fn the_attendee_copy_keeps_partstat_unless_the_time_moved() {
        let invite = obj("ATTENDEE;RSVP=TRUE;SCHEDULE-STATUS=1.2:mailto:bob@example.org\r\n");
        let first = CalendarObject::parse(attendee_copy(&invite, None, &is_bob).as_bytes()).unwrap();
        assert_eq!(partstat_of(&first, &is_bob).as_deref(), Some("NEEDS-ACTION"));
        assert!(!first.raw().contains("SCHEDULE-STATUS"));
        let accepted = CalendarObject::parse(first.raw().replace("PARTSTAT=NEEDS-ACTION", "PARTSTAT=ACCEPTED").as_bytes()).unwrap();
        let renamed = CalendarObject::parse(invite.raw().replace("Planning", "Planning 2").as_bytes()).unwrap();
        let kept = CalendarObject::parse(attendee_copy(&renamed, Some(&accepted), &is_bob).as_bytes()).unwrap();
        assert_eq!(partstat_of(&kept, &is_bob).as_deref(), Some("ACCEPTED"));
        assert!(kept.raw().contains("Planning 2"));
        let moved = CalendarObject::parse(invite.raw().replace("T090000Z", "T080000Z").as_bytes()).unwrap();
        let reset = CalendarObject::parse(attendee_copy(&moved, Some(&accepted), &is_bob).as_bytes()).unwrap();
        assert_eq!(partstat_of(&reset, &is_bob).as_deref(), Some("NEEDS-ACTION"));
        // Bob's alarm stays his across the organizer's update.
        let with_alarm = CalendarObject::parse(accepted.raw().replace("END:VEVENT", "BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT15M\r\nDESCRIPTION:mine\r\nEND:VALARM\r\nEND:VEVENT").as_bytes()).unwrap();
        let updated = attendee_copy(&renamed, Some(&with_alarm), &is_bob);
        assert!(updated.contains("DESCRIPTION:mine") && updated.contains("Planning 2"), "{updated}");
        // Alice's own PARTSTAT is not Bob's to change.
        assert!(reset.raw().contains(&format!("ATTENDEE;PARTSTAT=ACCEPTED:{ALICE}")));
    }

    #[test]
    fn a_reply_merges_only_that_attendees_partstat() {
        let org = obj("ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:bob@example.org\r\nATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:carol@example.org\r\n");
        let merged = CalendarObject::parse(merge_reply(&org, &is_bob, "ACCEPTED", "2.0").as_bytes()).unwrap();
        assert_eq!(partstat_of(&merged, &is_bob).as_deref(), Some("ACCEPTED"));
        assert!(merged.raw().contains("SCHEDULE-STATUS=2.0:mailto:bob@"));
        let carol = |a: &str| same_address(a, "mailto:carol@example.org");
        assert_eq!(partstat_of(&merged, &carol).as_deref(), Some("NEEDS-ACTION"));
        assert_eq!(schedule_tag(&org), schedule_tag(&merged), "a merged reply keeps the organizer's Schedule-Tag");
    }

    #[test]
    fn schedule_status_is_noted_once_and_kept_out_of_the_tag() {
        let a = obj("ATTENDEE:mailto:bob@example.org\r\nATTENDEE:/dav/principals/nobody/\r\nATTENDEE:mailto:x@else.org\r\n");
        let status = |p: &Property| match p.value.as_str() {
            "mailto:bob@example.org" => Some(("1.2", false)),
            v if !v.starts_with("mailto:") => Some(("3.7", true)),
            _ => None,
        };
        let noted = CalendarObject::parse(with_schedule_status(&a, &status).unwrap().as_bytes()).unwrap();
        let raw = noted.raw().replace("\r\n ", "");
        assert!(raw.contains("ATTENDEE;SCHEDULE-STATUS=1.2:mailto:bob@"), "{raw}");
        assert!(raw.contains("ATTENDEE;SCHEDULE-STATUS=3.7:/dav/principals/nobody/"), "{raw}");
        assert!(raw.contains("ATTENDEE:mailto:x@else.org"), "{raw}");
        assert!(!raw.contains(&format!("SCHEDULE-STATUS=1.2:{ALICE}")), "not on the organizer");
        assert_eq!(with_schedule_status(&noted, &status), None, "once");
        let replied = CalendarObject::parse(merge_reply(&noted, &is_bob, "ACCEPTED", "2.0").as_bytes()).unwrap();
        assert_eq!(with_schedule_status(&replied, &status), None, "a reply's 2.0 is kept");
        assert_eq!(schedule_tag(&a), schedule_tag(&noted));
    }

    #[test]
    fn an_organizer_writing_from_an_old_copy_keeps_the_replies() {
        let sent = obj("ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:bob@example.org\r\n");
        let stored = CalendarObject::parse(merge_reply(&sent, &is_bob, "ACCEPTED", "2.0").as_bytes()).unwrap();
        let described = CalendarObject::parse(sent.raw().replace("SUMMARY:Planning", "SUMMARY:Planning\r\nDESCRIPTION:agenda").as_bytes()).unwrap();
        let kept = CalendarObject::parse(keep_replies(&stored, &described).unwrap().as_bytes()).unwrap();
        assert_eq!(partstat_of(&kept, &is_bob).as_deref(), Some("ACCEPTED"));
        assert!(kept.raw().contains("DESCRIPTION:agenda"));
        let moved = CalendarObject::parse(sent.raw().replace("T090000Z", "T080000Z").as_bytes()).unwrap();
        assert_eq!(keep_replies(&stored, &moved), None, "a new time asks again");
        assert_eq!(keep_replies(&stored, &stored), None, "a client that saw the reply");
    }

    #[test]
    fn what_changes_the_schedule_tag() {
        let a = obj("ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:bob@example.org\r\n");
        let accepted = CalendarObject::parse(a.raw().replace("NEEDS-ACTION", "ACCEPTED").replace("20260101T000000Z", "20260102T000000Z").as_bytes()).unwrap();
        assert_eq!(schedule_tag(&a), schedule_tag(&accepted));
        let moved = CalendarObject::parse(a.raw().replace("T090000Z", "T100000Z").as_bytes()).unwrap();
        assert_ne!(schedule_tag(&a), schedule_tag(&moved));
        let more = obj("ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:bob@example.org\r\nATTENDEE:mailto:c@example.org\r\n");
        assert_ne!(schedule_tag(&a), schedule_tag(&more));
    }

    #[test]
    fn a_reply_names_only_the_replying_attendee_and_cancel_marks_every_component() {
        let copy = obj("ATTENDEE;PARTSTAT=DECLINED;RSVP=TRUE:mailto:bob@example.org\r\n");
        let r = crate::ical::parse::parse_components(reply(&copy, &is_bob, Utc::now()).as_bytes()).unwrap();
        assert_eq!(r.prop("METHOD").map(|p| p.value.as_str()), Some("REPLY"));
        let attendees: Vec<&str> = r.children[0].props_named("ATTENDEE").map(|p| p.value.as_str()).collect();
        assert_eq!(attendees, vec!["mailto:bob@example.org"]);
        assert!(declined_by(&copy, &is_bob));
        let c = CalendarObject::parse(cancelled_copy(&copy).as_bytes()).unwrap();
        assert_eq!(c.status().as_deref(), Some("CANCELLED"));
    }
}
