//! What an audit entry says: the kind names of booking and hold changes
//! and the fields of a booking that changed, before and after. Pure.

use crate::booking::change::HoldChangeKind;
use crate::booking::service::HoldRecord;
use crate::booking::{Attendance, Booking, BookingStatus, ChangeKind};

use super::FieldChange;

/// The action name of a booking change (stable: scripts read them).
pub fn booking_action(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Booked => "booking.booked",
        ChangeKind::Rescheduled => "booking.rescheduled",
        ChangeKind::CancelledByStudent => "booking.cancelled-by-student",
        ChangeKind::CancelledByCoach => "booking.cancelled-by-coach",
        ChangeKind::MovedByCoach => "booking.moved-by-coach",
        ChangeKind::ConfirmedByCoach => "booking.confirmed-by-coach",
        ChangeKind::DeclinedByCoach => "booking.declined-by-coach",
        ChangeKind::AttendanceMarked => "booking.attendance-marked",
        // issue 11 §3 (C)
        ChangeKind::RescheduleRequested => "booking.reschedule-requested",
        ChangeKind::RescheduleDeclined => "booking.reschedule-declined",
        ChangeKind::RescheduleLapsed => "booking.reschedule-lapsed",
        ChangeKind::RescheduleWithdrawn => "booking.reschedule-withdrawn",
        ChangeKind::RescheduleApproved => "booking.reschedule-approved",
    }
}

/// The action name of a hold change.
pub fn hold_action(kind: HoldChangeKind) -> &'static str {
    match kind {
        HoldChangeKind::Placed => "hold.placed",
        HoldChangeKind::Replaced => "hold.replaced",
        HoldChangeKind::Expired => "hold.expired",
    }
}

pub fn status_name(s: BookingStatus) -> &'static str {
    match s {
        BookingStatus::Confirmed => "confirmed",
        BookingStatus::Tentative => "tentative",
        BookingStatus::Cancelled => "cancelled",
    }
}

fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The audited fields of a booking, by name.
fn booking_fields(b: &Booking) -> Vec<(&'static str, Option<String>)> {
    let attendance = b.outcome.attendance.map(|a| match a {
        Attendance::Attended => "attended".to_string(),
        Attendance::NoShow => "no-show".to_string(),
    });
    let cancelled = b.outcome.cancelled.as_ref();
    vec![
        ("status", Some(status_name(b.status).to_string())),
        ("start", Some(time(b.range.start))),
        ("end", Some(time(b.range.end))),
        ("event_type", Some(b.event_type.clone())),
        ("student_name", Some(b.student_name.clone())),
        ("student_email", Some(b.student_email.clone())),
        // issue 11 §4: the guardian who follows the booking (none: not listed)
        ("guardian_name", b.guardian.as_ref().map(|g| g.name.clone())),
        ("guardian_email", b.guardian.as_ref().map(|g| g.email.clone())),
        ("attendance", attendance),
        ("cancelled_by", cancelled.map(|c| c.by.kind().to_string())),
        ("late", cancelled.map(|c| c.late.to_string())),
    ]
}

/// The fields that differ between `previous` (none: a new booking) and
/// `now`, in a fixed order.
pub fn booking_changes(previous: Option<&Booking>, now: &Booking) -> Vec<FieldChange> {
    let after = booking_fields(now);
    let before = previous.map(booking_fields);
    after
        .into_iter()
        .enumerate()
        .filter_map(|(i, (field, a))| {
            let b = before.as_ref().and_then(|f| f[i].1.clone());
            (b != a).then(|| FieldChange::new(field, b, a))
        })
        .collect()
}

/// The audited fields of a hold.
pub fn hold_fields(rec: &HoldRecord) -> Vec<(&'static str, String)> {
    let mut out = vec![
        ("event_type", rec.hold.event_type.clone()),
        ("start", time(rec.hold.range.start)),
        ("end", time(rec.hold.range.end)),
        ("expires_at", time(rec.hold.expires_at)),
    ];
    if let Some(b) = &rec.reschedule_of {
        out.push(("reschedule_of", b.clone()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::booking::{Actor, Cancellation};
    use crate::model::TimeRange;
    use chrono::{Duration, TimeZone, Utc};

    #[test]
    fn a_cancellation_shows_only_what_changed() {
        let t = Utc.with_ymd_and_hms(2030, 3, 6, 9, 0, 0).unwrap();
        let before = crate::booking::holds::tests::booking("b1", "trial", TimeRange::new(t, t + Duration::minutes(30)), "ann@example.org");
        let mut after = before.clone();
        after.status = BookingStatus::Cancelled;
        after.outcome.cancelled = Some(Cancellation { at: t, by: Actor::CoachCalendar { coach: "alice".into() }, late: true });
        let changes = booking_changes(Some(&before), &after);
        let fields: Vec<_> = changes.iter().map(|c| (c.field.as_str(), c.before.as_deref(), c.after.as_deref())).collect();
        assert_eq!(
            fields,
            vec![
                ("status", Some(status_name(before.status)), Some("cancelled")),
                ("cancelled_by", None, Some("coach-calendar")),
                ("late", None, Some("true")),
            ]
        );
        let new = booking_changes(None, &before);
        assert!(new.iter().all(|c| c.before.is_none()));
        assert!(new.iter().any(|c| c.field == "start" && c.after.as_deref() == Some("2030-03-06T09:00:00Z")));
        assert!(!new.iter().any(|c| c.field == "attendance"), "unset stays out");
    }
}
