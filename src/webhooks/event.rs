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
        ChangeKind::Rescheduled | ChangeKind::MovedByCoach => "booking.rescheduled",
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
    serde_json::json!({
        "reference": b.reference,
        "coach": b.coach,
        "event_type": b.event_type,
        "start": time(b.range.start),
        "end": time(b.range.end),
        "status": status(b.status),
        "student": {"name": b.student_name, "email": b.student_email},
    })
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
