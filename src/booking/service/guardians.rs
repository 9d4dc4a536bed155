//! (issue 11 §4) Guardians applied: the guardian's own manage link, who a
//! manage token stands for ([`ManageRole`]), the refusal of a read-only
//! guardian link's changes, and the actor a change by either link is
//! recorded as. The rules are `booking::guardian`.

use super::super::change::Actor;
use super::super::guardian::ManageRole;
use super::super::{token, Booking};
use super::{BookingError, BookingService, Result};

impl BookingService {
    /// The guardian's manage token of a booking (whether or not it has a
    /// guardian; only a booking with one answers to it).
    pub fn guardian_manage_token(&self, booking: &Booking) -> String {
        token::sign_guardian(&booking.id, &self.secret)
    }

    /// The guardian's manage link (`/book/manage/{token}`).
    pub fn guardian_manage_url(&self, booking: &Booking) -> String {
        format!("{}/book/manage/{}", super::super::links::base(&self.public_url), self.guardian_manage_token(booking))
    }

    /// The booking a manage token stands for and whose link it is: the
    /// student's, or the guardian's (of a booking that has a guardian),
    /// read-only when its event type has `guardian_can_manage = false`.
    pub fn manage_access(&self, manage_token: &str) -> Result<(Booking, ManageRole)> {
        if let Some(id) = token::verify(manage_token, &self.secret) {
            return Ok((self.load_booking(&id)?.ok_or(BookingError::BookingNotFound)?, ManageRole::Student));
        }
        let id = token::verify_guardian(manage_token, &self.secret).ok_or(BookingError::BookingNotFound)?;
        let booking = self.load_booking(&id)?.filter(|b| b.guardian.is_some()).ok_or(BookingError::BookingNotFound)?;
        let can_manage = self
            .coach_by_user(&booking.coach)
            .ok()
            .and_then(|c| c.policy.event_type(&booking.event_type))
            .is_none_or(|et| et.guardian_can_manage);
        Ok((booking, ManageRole::Guardian { can_manage }))
    }

    /// The booking a manage token may change: [`BookingError::ReadOnly`]
    /// for a read-only guardian link. The notice rules still apply after.
    pub fn booking_to_change(&self, manage_token: &str) -> Result<(Booking, Actor)> {
        let (booking, role) = self.manage_access(manage_token)?;
        if !role.may_change() {
            return Err(BookingError::ReadOnly);
        }
        let actor = change_actor(&booking, role);
        Ok((booking, actor))
    }
}

/// Who a change through a manage link is recorded as: the student, or
/// their guardian (as a student-side actor with the guardian's address).
pub(super) fn change_actor(booking: &Booking, role: ManageRole) -> Actor {
    match (role, &booking.guardian) {
        (ManageRole::Guardian { .. }, Some(g)) => Actor::Student { email: g.email.clone() },
        _ => Actor::Student { email: booking.student_email.clone() },
    }
}
