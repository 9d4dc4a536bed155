//! What a write of a scheduling object sends to other users of this
//! server (RFC 6638 §3.2 organizer, §3.2.2 attendee):
//!
//! - the organizer stores or changes an event: a REQUEST to each local
//!   attendee that is new or whose copy would change (the Schedule-Tag
//!   moved), a CANCEL to each one taken off;
//! - the organizer cancels or deletes it: a CANCEL to every local attendee;
//! - an attendee changes their PARTSTAT in their copy (or deletes it:
//!   DECLINED): a REPLY to the organizer, when the organizer is local.
//!
//! Attendees with `SCHEDULE-AGENT=CLIENT` or `NONE` get nothing, nor does
//! an organizer whose ORGANIZER line says so. [`Plan::not_by_mail`] lists
//! the addresses email must leave out (local users and those).

use crate::ical::CalendarObject;
use crate::storage::User;

use super::directory::Directory;
use super::itip;
use super::queue::{Message, Method};

/// The messages one write sends to local users.
#[derive(Debug, Default)]
pub struct Plan {
    pub messages: Vec<Message>,
    /// Attendee addresses that are not for iMIP: local users (delivered
    /// here) and attendees the client schedules itself.
    pub not_by_mail: Vec<String>,
}

fn cancelled(obj: &CalendarObject) -> bool {
    obj.status().is_some_and(|s| s.eq_ignore_ascii_case("CANCELLED"))
}

/// The plan for `writer`'s change of an object from `before` to `after`
/// (`None`: did not exist / deleted).
pub fn plan(dir: &Directory, writer: &User, before: Option<&CalendarObject>, after: Option<&CalendarObject>) -> Plan {
    let mut plan = Plan::default();
    let Some(obj) = after.or(before) else { return plan };
    let Some(organizer) = obj.organizer() else { return plan };
    for o in [before, after].into_iter().flatten() {
        plan.not_by_mail.extend(itip::client_scheduled_attendees(o));
        plan.not_by_mail.extend(o.attendees().into_iter().filter(|a| dir.user_for(a).is_some()));
    }
    if dir.is(&organizer, &writer.name) {
        organizer_messages(dir, writer, before, after, &mut plan);
    } else if let Some(org_user) = dir.user_for(&organizer) {
        if organizer_agent_is_server(obj) {
            attendee_reply(dir, writer, &org_user.name, before, after, &mut plan);
        }
    }
    plan
}

fn organizer_agent_is_server(obj: &CalendarObject) -> bool {
    obj.master()
        .or_else(|| obj.components().next())
        .and_then(|c| c.prop("ORGANIZER"))
        .is_none_or(itip::server_schedules)
}

fn message(method: Method, to: &str, from: &User, from_address: String, obj: &CalendarObject) -> Message {
    Message { method, to: to.to_string(), from: from.name.clone(), from_address, object: obj.raw().to_string() }
}

fn organizer_messages(dir: &Directory, me: &User, before: Option<&CalendarObject>, after: Option<&CalendarObject>, plan: &mut Plan) {
    let me_address = Directory::address_of(me);
    let local = |addr: &str| dir.user_for(addr).filter(|u| u.name != me.name).map(|u| u.name.clone());
    let was_cancelled = before.is_some_and(cancelled);
    match after {
        Some(a) if !cancelled(a) => {
            let diff = itip::diff_attendees(before, after);
            let changed = before.is_none_or(|b| itip::schedule_tag(b) != itip::schedule_tag(a) || was_cancelled);
            let mut sent: Vec<String> = Vec::new();
            for addr in diff.added.iter().chain(diff.kept.iter().filter(|_| changed)) {
                if let Some(user) = local(addr).filter(|u| !sent.contains(u)) {
                    plan.messages.push(message(Method::Request, &user, me, me_address.clone(), a));
                    sent.push(user);
                }
            }
            for addr in &diff.removed {
                if let (Some(user), Some(b)) = (local(addr), before) {
                    if !sent.contains(&user) {
                        plan.messages.push(message(Method::Cancel, &user, me, me_address.clone(), b));
                    }
                }
            }
        }
        _ if was_cancelled => {}
        _ => {
            // Deleted or cancelled: everyone who was invited hears of it.
            let Some(obj) = after.or(before) else { return };
            let mut sent: Vec<String> = Vec::new();
            for addr in itip::scheduled_attendees(obj) {
                if let Some(user) = local(&addr).filter(|u| !sent.contains(u)) {
                    plan.messages.push(message(Method::Cancel, &user, me, me_address.clone(), obj));
                    sent.push(user);
                }
            }
        }
    }
}

fn attendee_reply(dir: &Directory, me: &User, organizer: &str, before: Option<&CalendarObject>, after: Option<&CalendarObject>, plan: &mut Plan) {
    let is_me = |a: &str| dir.is(a, &me.name);
    let Some(obj) = after.or(before) else { return };
    let Some(my_line) = obj.attendee_props().into_iter().find(|a| is_me(&a.value)).map(|a| a.value.trim().to_string()) else {
        return;
    };
    let old = before.and_then(|b| itip::partstat_of(b, &is_me)).unwrap_or_else(|| "NEEDS-ACTION".into());
    match after {
        Some(a) => {
            let new = itip::partstat_of(a, &is_me).unwrap_or_else(|| "NEEDS-ACTION".into());
            if new != old && !cancelled(a) {
                plan.messages.push(message(Method::Reply, organizer, me, my_line, a));
            }
        }
        None => {
            // RFC 6638 §3.2.2.3 (deleting an invitation): decline it.
            let Some(b) = before.filter(|b| !cancelled(b) && old != "DECLINED") else { return };
            let declined = itip::merge_reply(b, &is_me, "DECLINED", "2.0");
            if let Ok(d) = CalendarObject::parse(declined.as_bytes()) {
                plan.messages.push(message(Method::Reply, organizer, me, my_line, &d));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn user(name: &str, email: &str) -> User {
        User { name: name.into(), password_hash: String::new(), email: Some(email.into()), created: Utc::now() }
    }

    fn dir() -> Directory {
        Directory::from_users(vec![user("ann", "ann@ex.org"), user("bob", "bob@ex.org"), user("cy", "cy@ex.org")])
    }

    fn obj(attendees: &str) -> CalendarObject {
        let text = format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:u1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260601T090000Z\r\nDTEND:20260601T100000Z\r\nORGANIZER:mailto:ann@ex.org\r\n{attendees}END:VEVENT\r\nEND:VCALENDAR\r\n"
        );
        CalendarObject::parse(text.as_bytes()).unwrap()
    }

    fn sent(p: &Plan) -> Vec<(Method, String)> {
        p.messages.iter().map(|m| (m.method, m.to.clone())).collect()
    }

    #[test]
    fn the_organizer_invites_local_users_and_leaves_external_ones_to_mail() {
        let a = obj("ATTENDEE:mailto:BOB@ex.org\r\nATTENDEE:mailto:ext@else.org\r\nATTENDEE;SCHEDULE-AGENT=CLIENT:mailto:cy@ex.org\r\n");
        let p = plan(&dir(), &user("ann", "ann@ex.org"), None, Some(&a));
        assert_eq!(sent(&p), vec![(Method::Request, "bob".to_string())]);
        assert!(p.not_by_mail.iter().any(|x| x == "mailto:BOB@ex.org"));
        assert!(p.not_by_mail.iter().any(|x| x == "mailto:cy@ex.org"));
        assert!(!p.not_by_mail.iter().any(|x| x.contains("ext@")));
    }

    #[test]
    fn only_scheduling_changes_update_and_removals_cancel() {
        let a = obj("ATTENDEE:mailto:bob@ex.org\r\nATTENDEE:mailto:cy@ex.org\r\n");
        let ann = user("ann", "ann@ex.org");
        let replied = CalendarObject::parse(a.raw().replace("ATTENDEE:mailto:bob", "ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob").as_bytes()).unwrap();
        assert!(plan(&dir(), &ann, Some(&a), Some(&replied)).messages.is_empty());
        let only_bob = obj("ATTENDEE:mailto:bob@ex.org\r\n");
        assert_eq!(sent(&plan(&dir(), &ann, Some(&a), Some(&only_bob))), vec![(Method::Request, "bob".into()), (Method::Cancel, "cy".into())]);
        assert_eq!(sent(&plan(&dir(), &ann, Some(&a), None)), vec![(Method::Cancel, "bob".into()), (Method::Cancel, "cy".into())]);
    }

    #[test]
    fn an_attendee_replies_when_their_partstat_changes() {
        let copy = obj("ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:bob@ex.org\r\n");
        let bob = user("bob", "bob@ex.org");
        let accepted = CalendarObject::parse(copy.raw().replace("NEEDS-ACTION", "ACCEPTED").as_bytes()).unwrap();
        let p = plan(&dir(), &bob, Some(&copy), Some(&accepted));
        assert_eq!(sent(&p), vec![(Method::Reply, "ann".into())]);
        assert_eq!(p.messages[0].from_address, "mailto:bob@ex.org");
        assert!(plan(&dir(), &bob, Some(&accepted), Some(&accepted)).messages.is_empty());
        assert_eq!(sent(&plan(&dir(), &bob, Some(&accepted), None)), vec![(Method::Reply, "ann".into())]);
        let not_server = CalendarObject::parse(accepted.raw().replace("ORGANIZER:", "ORGANIZER;SCHEDULE-AGENT=CLIENT:").as_bytes()).unwrap();
        assert!(plan(&dir(), &bob, Some(&copy), Some(&not_server)).messages.is_empty());
    }
}
