//! The waitlist's webhook events (issue 11 §1): `waitlist.offered` when a
//! freed seat is held for the first person waiting, `waitlist.claimed`
//! when they book it. The name and the JSON body of a waitlist change
//! (schema [`super::SCHEMA_VERSION`], docs/webhooks.md). Pure.

use chrono::SecondsFormat;

use crate::booking::waitlist::{WaitlistChange, WaitlistChangeKind, WaitlistStatus};

/// The event a waitlist change is, if any.
pub fn event_name(change: &WaitlistChange) -> Option<&'static str> {
    match change.kind {
        WaitlistChangeKind::Offered => Some("waitlist.offered"),
        WaitlistChangeKind::Claimed => Some("waitlist.claimed"),
        _ => None,
    }
}

/// The body of event `id` of type `event` about `change`.
pub fn body(id: &str, event: &str, change: &WaitlistChange) -> Vec<u8> {
    let e = change.entry;
    let time = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let offer_expires_at = match &e.status {
        WaitlistStatus::Offered { expires_at, .. } => Some(time(*expires_at)),
        _ => None,
    };
    let v = serde_json::json!({
        "id": id,
        "type": event,
        "created_at": time(change.now),
        "version": super::SCHEMA_VERSION,
        "data": {
            "coach": e.coach,
            "event_type": e.event_type,
            "start": time(e.range.start),
            "end": time(e.range.end),
            "status": e.status.name(),
            "student": {"name": e.name, "email": e.email},
            "offer_expires_at": offer_expires_at,
        },
    });
    serde_json::to_vec(&v).expect("JSON values serialise")
}
