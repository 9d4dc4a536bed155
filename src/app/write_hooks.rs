//! The write hooks `app` registers with the DAV surface: how domain work
//! rides along with a coach's or organizer's calendar writes, in the same
//! storage batch. `dav` calls them without naming booking or mail.

use std::sync::Arc;

use crate::booking::service::{BookingError, BookingService};
use crate::dav::xml::PropName;
use crate::dav::{HookError, ObjectWrite, WriteHook};
use crate::clock::Clock;
use crate::ical::CalendarObject;
use crate::mail::scheduling::{attendees_per_instance, organizer_records, Organizer};
use crate::scheduling::queue::Delivery;
use crate::scheduling::{local, Directory, LocalDelivery};
use lettre::message::Mailbox;

use crate::mail::Outbox;
use crate::storage::{RecordWrites, Storage};

/// A PUT or DELETE of a booking's event (the coach's app moving, confirming
/// or cancelling it) changes the booking record in the same write.
pub struct BookingReconciliation {
    pub booking: Arc<BookingService>,
    pub outbox: Arc<Outbox>,
}

/// A booking-service failure: storage errors keep their meaning, anything
/// else is an internal error.
fn hook_error(e: BookingError) -> HookError {
    match e {
        BookingError::Storage(s) => HookError::Storage(s),
        other => HookError::Failed(other.to_string()),
    }
}

impl WriteHook for BookingReconciliation {
    /// A series' dates already cancelled stay cancelled in what is stored
    /// (issue 11 §2), whatever the coach's app sent.
    fn stored_form(&self, write: &ObjectWrite, object: &CalendarObject) -> Result<Option<String>, HookError> {
        self.booking.stored_form(write.calendar, object).map_err(hook_error)
    }
    fn on_put(&self, write: &ObjectWrite, object: &CalendarObject) -> Result<Option<RecordWrites>, HookError> {
        self.booking.reconcile_put(write.calendar, object).map_err(hook_error)
    }
    fn on_delete(&self, write: &ObjectWrite, uid: &str) -> Result<Option<RecordWrites>, HookError> {
        self.booking.reconcile_delete(write.calendar, uid).map_err(hook_error)
    }
    fn after_write(&self) {
        // A reschedule request the coach approved in their app moves its
        // booking now (issue 11 §3); the sweep retries after a failure.
        if let Err(e) = self.booking.finish_approved_requests() {
            tracing::warn!(error = %e, "cannot apply an approved reschedule request yet; the sweep retries");
        }
        self.outbox.wake();
    }
}

/// RFC 6638 implicit scheduling: the attendees of an event the user
/// organizes hear of its changes — users of this server through their
/// schedule inbox and calendar (`scheduling`, queued in the same batch and
/// delivered once it is durable), everyone else by email (`mail`). An
/// attendee's change of their PARTSTAT goes back to a local organizer as
/// a REPLY. One write invites at most `max_attendees` per instance (RFC
/// 4791 §5.3.2.1), and the outbox's hourly quota caps what a user mails.
pub struct ImplicitScheduling {
    pub outbox: Arc<Outbox>,
    pub local: Arc<LocalDelivery>,
    pub storage: Arc<dyn Storage>,
    pub clock: Arc<dyn Clock>,
    pub from: Mailbox,
    pub max_attendees: u32,
}

impl ImplicitScheduling {
    fn records(&self, write: &ObjectWrite, after: Option<&CalendarObject>) -> Result<Option<RecordWrites>, HookError> {
        let before = write.stored_object()?;
        if before.is_none() && after.is_none() {
            return Ok(None);
        }
        let directory = Directory::load(&*self.storage)?;
        let plan = local::plan(&directory, write.user, before.as_ref(), after);
        let principal = crate::dav::path::principal_href(&write.user.name);
        let organizer = Organizer {
            name: &write.user.name,
            email: write.user.email.as_deref(),
            principal_href: &principal,
            not_by_mail: &plan.not_by_mail,
        };
        let mut records = organizer_records(&organizer, &self.from, self.outbox.quota(), before.as_ref(), after, write.now);
        // Deliveries to local users count against the same hourly cap as
        // email, so no user can fill another's inbox and calendar.
        let mut messages = plan.messages;
        let (allowed, count) = self.outbox.quota().reserve(&write.user.name, messages.len(), write.now);
        if allowed < messages.len() {
            tracing::warn!(user = %write.user.name, wanted = messages.len(), delivered = allowed, "hourly limit of scheduling messages reached (mail.max_messages_per_user_hour); the rest are not delivered");
            messages.truncate(allowed);
        }
        records.extend(count);
        if !messages.is_empty() {
            records.push(Delivery::new(messages, write.now).queued());
        }
        Ok(Some(records).filter(|m| !m.is_empty()))
    }
}

impl WriteHook for ImplicitScheduling {
    fn check_put(&self, _write: &ObjectWrite, object: &CalendarObject) -> Result<(), HookError> {
        if attendees_per_instance(object) > self.max_attendees as usize {
            return Err(HookError::Forbidden(PropName::caldav("max-attendees-per-instance")));
        }
        Ok(())
    }
    /// RFC 6638 §7.3 on the organizer's copy: 1.2 (delivered) for users
    /// of this server, 3.7 for an address that is neither email nor a user.
    fn stored_form(&self, write: &ObjectWrite, object: &CalendarObject) -> Result<Option<String>, HookError> {
        let Some(organizer) = object.organizer() else { return Ok(None) };
        let directory = Directory::load(&*self.storage)?;
        if !directory.is(&organizer, &write.user.name) {
            return Ok(None);
        }
        // A client writing from a copy older than a merged reply keeps it.
        let kept = match write.stored_object()? {
            Some(stored) => crate::scheduling::itip::keep_replies(&stored, object)
                .and_then(|t| CalendarObject::parse(t.as_bytes()).ok()),
            None => None,
        };
        let object = kept.as_ref().unwrap_or(object);
        let status = |p: &crate::ical::write::Property| {
            if directory.user_for(&p.value).is_some() {
                Some(("1.2", false))
            } else if crate::scheduling::itip::mailto(&p.value).is_none() {
                Some(("3.7", true))
            } else {
                None
            }
        };
        Ok(crate::scheduling::itip::with_schedule_status(object, &status).or_else(|| kept.as_ref().map(|k| k.raw().to_string())))
    }
    fn on_put(&self, write: &ObjectWrite, object: &CalendarObject) -> Result<Option<RecordWrites>, HookError> {
        if object.organizer().is_none() {
            return Ok(None);
        }
        self.records(write, Some(object))
    }
    fn on_delete(&self, write: &ObjectWrite, _uid: &str) -> Result<Option<RecordWrites>, HookError> {
        self.records(write, None)
    }
    fn after_write(&self) {
        self.outbox.wake();
        if let Err(e) = self.local.run(self.clock.now()) {
            tracing::error!(error = %e, "delivering to local attendees failed; retried on the next write or start");
        }
    }
}
