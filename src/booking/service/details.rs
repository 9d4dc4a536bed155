//! (D) What a booking carries besides its record (issue 11 §5): the
//! student's answers to the event type's questions, in the
//! `booking-details` table keyed by booking id, written in the booking's
//! own batch (the `Booking` record's layout stays as it is). Answers are
//! kept as (question id, answer) in question order; labels come from the
//! configuration when shown.

use serde::{Deserialize, Serialize};

use crate::storage::table::{Table, TableValue};
use crate::storage::table::RecordWrite;
use crate::storage::{Storage, StorageError};

use super::super::policy::EventType;

/// The `booking-details` table: booking id → [`BookingDetails`].
const DETAILS: Table<BookingDetails> = Table::new("booking-details");

/// A booking's answers to its event type's questions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingDetails {
    pub answers: Vec<(String, String)>,
}

impl TableValue for BookingDetails {
    const KIND: &'static str = "booking-details";
}

/// The write that stores `details` of booking `id`.
pub fn put(id: &str, details: &BookingDetails) -> RecordWrite {
    DETAILS.put(id.to_string(), details)
}

/// The stored details of booking `id` (none: no answers).
pub fn get(storage: &dyn Storage, id: &str) -> Result<BookingDetails, StorageError> {
    Ok(DETAILS.get(storage, id)?.unwrap_or_default())
}

/// `(label, answer)` pairs for showing: the question's label where the
/// event type still has it, else its id.
pub fn labelled(et: &EventType, answers: &[(String, String)]) -> Vec<(String, String)> {
    answers
        .iter()
        .map(|(id, value)| {
            let label = et.questions.iter().find(|q| &q.id == id).map_or(id.clone(), |q| q.label.clone());
            (label, value.clone())
        })
        .collect()
}
