//! What a webhook receives: the event names a booking change stands for,
//! the JSON body (schema version [`SCHEMA_VERSION`], docs/webhooks.md) and
//! the `Slotdav-Signature` header. Pure: no I/O, time as a parameter.

use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::booking::{Attendance, Booking, BookingChange, BookingStatus, ChangeKind};

/// The `version` field of every body; bumped only when a field changes
/// meaning or goes away (new fields may appear in any version).
pub const SCHEMA_VERSION: u32 = 1;

/// The event a booking change is, if any.
pub fn event_name(change: &BookingChange) -> Option<&'static str> {
    Some(match change.kind {
        ChangeKind::Booked => "booking.created",
        ChangeKind::ConfirmedByCoach => "booking.confirmed",
        ChangeKind::Rescheduled | ChangeKind::MovedByCoach | ChangeKind::RescheduleApproved => "booking.rescheduled",
        // issue 11 §3 (C): a request is not a change of the booking.
        ChangeKind::RescheduleRequested | ChangeKind::RescheduleDeclined | ChangeKind::RescheduleLapsed | ChangeKind::RescheduleWithdrawn => {
            return None
        }
        ChangeKind::CancelledByStudent | ChangeKind::CancelledByCoach => "booking.cancelled",
        ChangeKind::DeclinedByCoach => "booking.declined",
        ChangeKind::AttendanceMarked => match change.booking.outcome.attendance? {
            Attendance::NoShow => "booking.no_show",
            Attendance::Attended => "booking.attended",
        },
    })
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn status(s: BookingStatus) -> &'static str {
    match s {
        BookingStatus::Confirmed => "confirmed",
        BookingStatus::Tentative => "tentative",
        BookingStatus::Cancelled => "cancelled",
    }
}

fn booking_data(b: &Booking) -> serde_json::Value {
    let mut data = serde_json::json!({
        "reference": b.reference,
        "coach": b.coach,
        "event_type": b.event_type,
        "start": time(b.range.start),
        "end": time(b.range.end),
        "status": status(b.status),
        "student": {"name": b.student_name, "email": b.student_email},
    });
    // issue 11 §4: the guardian who follows the booking, when there is one
    if let Some(g) = &b.guardian {
        data["guardian"] = serde_json::json!({"name": g.name, "email": g.email});
    }
    data
}

/// The body of event `id` of type `event` about `change`.
pub fn body(id: &str, event: &str, change: &BookingChange) -> Vec<u8> {
    let b = change.booking;
    let mut data = booking_data(b);
    data["price"] = b.price.as_str().into();
    data["actor"] = change.actor.kind().into();
    data["attendance"] = match b.outcome.attendance {
        Some(Attendance::Attended) => "attended".into(),
        Some(Attendance::NoShow) => "no_show".into(),
        None => serde_json::Value::Null,
    };
    if let Some(prev) = change.previous {
        data["previous"] = serde_json::json!({"start": time(prev.range.start), "end": time(prev.range.end), "status": status(prev.status)});
    }
    let v = serde_json::json!({
        "id": id,
        "type": event,
        "created_at": time(change.now),
        "version": SCHEMA_VERSION,
        "data": data,
    });
    serde_json::to_vec(&v).expect("JSON values serialise")
}

/// The `Slotdav-Signature` value: `t=UNIX_SECONDS,v1=HEX`, HEX the
/// lower-case hex HMAC-SHA256 with `secret` over `UNIX_SECONDS.body`.
pub fn signature(secret: &str, at: DateTime<Utc>, body: &[u8]) -> String {
    let t = at.timestamp();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={t},v1={}", crate::hex::encode(&mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::booking::coach::CoachConfig;
    use crate::booking::Actor;
    use crate::model::TimeRange;
    use chrono::{Duration, TimeZone};

    fn coach() -> CoachConfig {
        crate::config::Config::parse(
            "[[coach]]\nuser = \"anna\"\ntimezone = \"UTC\"\n[[coach.event_type]]\nslug = \"x\"\ntitle = \"X\"\nduration = \"1h\"\n",
            std::path::Path::new("t.toml"),
        )
        .unwrap()
        .coaches
        .remove(0)
    }

    /// Attendance marks are the no-show and attended events; the body
    /// carries the documented fields and, after a change, the previous times.
    #[test]
    fn attendance_marks_are_their_own_events_and_bodies_keep_the_schema() {
        let t = Utc.with_ymd_and_hms(2030, 3, 6, 9, 0, 0).unwrap();
        let before = crate::booking::holds::tests::booking("b1", "x", TimeRange::new(t, t + Duration::hours(1)), "ann@example.org");
        let mut absent = before.clone();
        absent.outcome.attendance = Some(Attendance::NoShow);
        let mut after = before.clone();
        after.outcome.attendance = Some(Attendance::Attended);
        let coach = coach();
        fn of<'a>(b: &'a Booking, previous: &'a Booking, kind: ChangeKind, coach: &'a CoachConfig, now: DateTime<Utc>) -> BookingChange<'a> {
            BookingChange { booking: b, previous: Some(previous), kind, actor: Actor::CoachDashboard { coach: "anna".into() }, coach, now, coach_message: None }
        }
        let change = |b, kind| of(b, &before, kind, &coach, t);
        assert_eq!(event_name(&change(&absent, ChangeKind::AttendanceMarked)), Some("booking.no_show"));
        assert_eq!(event_name(&change(&after, ChangeKind::AttendanceMarked)), Some("booking.attended"));
        assert_eq!(event_name(&change(&before, ChangeKind::AttendanceMarked)), None, "no mark, no event");
        assert_eq!(event_name(&change(&before, ChangeKind::DeclinedByCoach)), Some("booking.declined"));
        let v: serde_json::Value = serde_json::from_slice(&body("evt_1", "booking.attended", &change(&after, ChangeKind::AttendanceMarked))).unwrap();
        assert_eq!(v["version"], SCHEMA_VERSION);
        assert_eq!(v["data"]["attendance"], "attended");
        assert_eq!(v["data"]["actor"], "coach-dashboard");
        assert_eq!(v["data"]["previous"]["start"], "2030-03-06T09:00:00Z");
        for key in ["reference", "coach", "event_type", "start", "end", "status", "student"] {
            assert!(v["data"].get(key).is_some(), "{key} in {v}");
        }
    }

    /// issue 11 §4: a booking with a guardian lists them beside the student.
    #[test]
    fn a_guardian_is_in_the_body_only_when_there_is_one() {
        let t = Utc.with_ymd_and_hms(2030, 3, 6, 9, 0, 0).unwrap();
        let mut b = crate::booking::holds::tests::booking("b1", "x", TimeRange::new(t, t + Duration::hours(1)), "ann@example.org");
        let coach = coach();
        let body_of = |b: &Booking| -> serde_json::Value {
            let change = BookingChange { booking: b, previous: None, kind: ChangeKind::Booked, actor: Actor::Student { email: "ann@example.org".into() }, coach: &coach, now: t, coach_message: None };
            serde_json::from_slice(&body("evt_1", "booking.created", &change)).unwrap()
        };
        assert!(body_of(&b)["data"].get("guardian").is_none());
        b.guardian = Some(crate::booking::guardian::Guardian { name: "Pat".into(), email: "pat@example.org".into() });
        assert_eq!(body_of(&b)["data"]["guardian"], serde_json::json!({"name": "Pat", "email": "pat@example.org"}));
    }

    /// The recipe in docs/webhooks.md, worked by hand: HMAC-SHA256 of
    /// "1700000000.{}" with key "whsec_test_secret_123".
    #[test]
    fn the_signature_is_hmac_sha256_over_timestamp_dot_body() {
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let sig = signature("whsec_test_secret_123", at, b"{}");
        let (t, v1) = sig.split_once(",v1=").unwrap();
        assert_eq!(t, "t=1700000000");
        assert_eq!(v1.len(), 64);
        assert!(v1.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        let mut mac = Hmac::<Sha256>::new_from_slice(b"whsec_test_secret_123").unwrap();
        mac.update(b"1700000000.{}");
        mac.verify_slice(&(0..32).map(|i| u8::from_str_radix(&v1[2 * i..2 * i + 2], 16).unwrap()).collect::<Vec<_>>()).expect("verifies");
        assert_ne!(signature("another_secret_456", at, b"{}"), sig);
        assert_ne!(signature("whsec_test_secret_123", at, b"{ }"), sig);
    }
}
