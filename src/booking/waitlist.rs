//! Waitlists of full slots (issue 11 §1): who waits for a seat of one
//! slot, in which order, and who is offered a freed seat. Pure data and
//! rules — no storage, time is a parameter; `service::waitlist` applies
//! them to the store. Imports the booking rules and model only.
//!
//! An entry is live while it is [`WaitlistStatus::Waiting`] or
//! [`WaitlistStatus::Offered`]; an offer is a hold in the hold table (so
//! the slot computation counts it like any other hold) whose id the entry
//! keeps. A freed seat goes to the first live entry that waits
//! ([`to_offer`]); an offer that lapses or is declined passes on.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::coach::CoachConfig;
use super::policy::EventType;
use crate::model::TimeRange;

/// Where a waitlist entry stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum WaitlistStatus {
    /// In line for a seat.
    Waiting,
    /// A seat is held for them by the hold `hold_id` until `expires_at`.
    Offered { hold_id: String, expires_at: DateTime<Utc> },
    /// They booked the slot (through the offer or another way).
    Claimed { booking_id: String },
    /// Their offer lapsed, or the slot passed while they waited.
    Expired,
    /// They left the list (or declined their offer).
    Left,
}

impl WaitlistStatus {
    /// The name the API answers: `waiting`, `offered`, `claimed`, `expired`, `left`.
    pub fn name(&self) -> &'static str {
        match self {
            WaitlistStatus::Waiting => "waiting",
            WaitlistStatus::Offered { .. } => "offered",
            WaitlistStatus::Claimed { .. } => "claimed",
            WaitlistStatus::Expired => "expired",
            WaitlistStatus::Left => "left",
        }
    }

    /// Waiting or offered: still in the list.
    pub fn is_live(&self) -> bool {
        matches!(self, WaitlistStatus::Waiting | WaitlistStatus::Offered { .. })
    }
}

/// One person waiting for one slot of one event type of one coach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitlistEntry {
    /// Unguessable id (the `waitlist_token` of links and the API).
    pub id: String,
    /// The coach's user name.
    pub coach: String,
    pub event_type: String,
    /// The slot waited for (without buffers).
    pub range: TimeRange,
    pub name: String,
    pub email: String,
    pub joined_at: DateTime<Utc>,
    /// Place in line at joining: one more than the last live entry's, so
    /// people who join at the same instant keep their order.
    pub order: u64,
    pub status: WaitlistStatus,
    /// (issue 12 §5) The language they joined in (a locale tag) for their
    /// mails and pages; empty for places taken before it was kept (the
    /// coach's language then).
    pub locale: String,
}

/// The record layout before `locale` (postcard is not self-describing:
/// an older record is shorter, so it fails to decode as the current one).
#[derive(Deserialize)]
struct WaitlistEntryV1 {
    id: String,
    coach: String,
    event_type: String,
    range: TimeRange,
    name: String,
    email: String,
    joined_at: DateTime<Utc>,
    order: u64,
    status: WaitlistStatus,
}

impl WaitlistEntry {
    /// Decodes a stored record, in the current layout or the older one.
    pub fn decode(bytes: &[u8]) -> Result<WaitlistEntry, postcard::Error> {
        postcard::from_bytes::<WaitlistEntry>(bytes).or_else(|e| {
            let v1: WaitlistEntryV1 = postcard::from_bytes(bytes).map_err(|_| e)?;
            Ok(WaitlistEntry {
                id: v1.id,
                coach: v1.coach,
                event_type: v1.event_type,
                range: v1.range,
                name: v1.name,
                email: v1.email,
                joined_at: v1.joined_at,
                order: v1.order,
                status: v1.status,
                locale: String::new(),
            })
        })
    }

    /// The hold of a standing offer.
    pub fn offer_hold(&self) -> Option<&str> {
        match &self.status {
            WaitlistStatus::Offered { hold_id, .. } => Some(hold_id),
            _ => None,
        }
    }
}

/// The 1-based place of `id` among the live entries of its slot (given in
/// join order), `None` when it is not live.
pub fn position(live: &[WaitlistEntry], id: &str) -> Option<usize> {
    live.iter().filter(|e| e.status.is_live()).position(|e| e.id == id).map(|p| p + 1)
}

/// Which waiting entries (of the live ones, in join order) get an offer
/// when `seats_free` seats of the slot are open: the first that wait, one
/// each. Entries with an offer already are skipped, so no one is offered
/// twice and no seat goes to two people.
pub fn to_offer(live: &[WaitlistEntry], seats_free: u32) -> Vec<&WaitlistEntry> {
    live.iter().filter(|e| e.status == WaitlistStatus::Waiting).take(seats_free as usize).collect()
}

/// What happened to a waitlist entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitlistChangeKind {
    /// They joined (the mail tells their position).
    Joined,
    /// A freed seat is held for them (the mail carries the claim link).
    Offered,
    /// They booked the slot.
    Claimed,
    /// Their offer lapsed.
    Expired,
    /// They left or declined.
    Left,
}

impl WaitlistChangeKind {
    /// `waitlist.joined` … as the audit trail and webhooks name it.
    pub fn action(self) -> &'static str {
        match self {
            WaitlistChangeKind::Joined => "waitlist.joined",
            WaitlistChangeKind::Offered => "waitlist.offered",
            WaitlistChangeKind::Claimed => "waitlist.claimed",
            WaitlistChangeKind::Expired => "waitlist.expired",
            WaitlistChangeKind::Left => "waitlist.left",
        }
    }
}

/// One change of one waitlist entry, handed to every hook registered with
/// `BookingService::add_waitlist_hook` (mail, audit, webhooks), whose
/// records go into the same batch.
pub struct WaitlistChange<'a> {
    /// The entry after the change.
    pub entry: &'a WaitlistEntry,
    pub kind: WaitlistChangeKind,
    pub coach: &'a CoachConfig,
    pub event_type: &'a EventType,
    /// 1-based place in the list (for `Joined`).
    pub position: Option<usize>,
    /// The entry's status page (leave, claim).
    pub status_url: &'a str,
    pub now: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn entry(id: &str, status: WaitlistStatus) -> WaitlistEntry {
        let t = Utc.with_ymd_and_hms(2030, 1, 7, 10, 0, 0).unwrap();
        WaitlistEntry {
            id: id.into(),
            coach: "c".into(),
            event_type: "g".into(),
            range: TimeRange::new(t, t + chrono::Duration::hours(1)),
            name: id.into(),
            email: format!("{id}@example.org"),
            joined_at: t,
            order: 0,
            status,
            locale: "de".into(),
        }
    }

    #[test]
    fn a_place_of_the_first_layout_decodes_without_a_language() {
        let now = entry("a", WaitlistStatus::Offered { hold_id: "h".into(), expires_at: Utc::now() });
        let v1 = (&now.id, &now.coach, &now.event_type, now.range, &now.name, &now.email, now.joined_at, now.order, &now.status);
        let old = WaitlistEntry::decode(&postcard::to_allocvec(&v1).unwrap()).unwrap();
        assert_eq!(old, WaitlistEntry { locale: String::new(), ..now.clone() });
        assert_eq!(WaitlistEntry::decode(&postcard::to_allocvec(&now).unwrap()).unwrap(), now);
        assert!(WaitlistEntry::decode(b"\x05abc").is_err());
    }

    #[test]
    fn offers_go_to_the_first_waiting_once() {
        let offered = WaitlistStatus::Offered { hold_id: "h".into(), expires_at: Utc::now() };
        let live = vec![entry("a", offered), entry("b", WaitlistStatus::Waiting), entry("c", WaitlistStatus::Waiting)];
        let ids: Vec<&str> = to_offer(&live, 1).iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["b"]);
        assert_eq!(to_offer(&live, 5).len(), 2);
        assert!(to_offer(&live, 0).is_empty());
        assert_eq!(position(&live, "c"), Some(3));
        assert_eq!(position(&live, "x"), None);
    }

    #[test]
    fn offer_expiry_never_passes_start_minus_min_notice() {
        let mut et = EventType::new("g", "G", chrono::Duration::hours(1));
        let now = Utc.with_ymd_and_hms(2030, 1, 7, 9, 0, 0).unwrap();
        let start = now + chrono::Duration::hours(3);
        assert_eq!(et.offer_expiry(start, now), Some(now + chrono::Duration::hours(2)));
        et.min_notice = chrono::Duration::hours(2);
        assert_eq!(et.offer_expiry(start, now), Some(now + chrono::Duration::hours(1)));
        et.min_notice = chrono::Duration::hours(3);
        assert_eq!(et.offer_expiry(start, now), None);
        assert!(!et.has_waitlist());
        et.seats = 4;
        assert!(et.has_waitlist());
        et.waitlist = Some(false);
        assert!(!et.has_waitlist());
    }
}
