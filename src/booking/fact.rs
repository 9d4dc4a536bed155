//! A booking as analytics reads it: the few facts of a [`Booking`] that
//! figures are made of, with times as integers, kept by the booking store
//! beside every booking record (table `booking-fact`, written in the same
//! batch as the record, so it never disagrees with it) because decoding
//! ten thousand full records (their times are RFC 3339 text) takes longer
//! than a page may. Pure data.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::change::{Actor, Attendance};
use super::{Booking, BookingStatus};
use crate::model::TimeRange;

/// Who cancelled, in the terms analytics counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CancelledBy {
    Student,
    Coach,
    /// An admin, slotdav itself, or a record from before cancellations
    /// were recorded.
    Other,
}

/// How a booking was cancelled, with the time as milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelFact {
    /// When (milliseconds since 1970); a record from before cancellations
    /// were recorded gives the session's start.
    pub at_ms: i64,
    pub by: CancelledBy,
    pub late: bool,
}

/// The facts of one booking (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingFact {
    pub created_ms: i64,
    pub start_ms: i64,
    pub end_ms: i64,
    pub cancelled: Option<CancelFact>,
    pub attendance: Option<Attendance>,
    /// As the student wrote it (compare lower-cased).
    pub email: String,
    pub name: String,
    /// The price label at booking time.
    pub price: String,
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn time(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

impl BookingFact {
    pub fn of(b: &Booking) -> BookingFact {
        let cancelled = (b.status == BookingStatus::Cancelled).then(|| match &b.outcome.cancelled {
            Some(c) => CancelFact {
                at_ms: ms(c.at),
                by: match c.by {
                    Actor::Student { .. } => CancelledBy::Student,
                    ref a if a.is_coach() => CancelledBy::Coach,
                    _ => CancelledBy::Other,
                },
                late: c.late,
            },
            None => CancelFact { at_ms: ms(b.range.start), by: CancelledBy::Other, late: false },
        });
        BookingFact {
            created_ms: ms(b.created_at),
            start_ms: ms(b.range.start),
            end_ms: ms(b.range.end),
            cancelled,
            attendance: b.outcome.attendance,
            email: b.student_email.clone(),
            name: b.student_name.clone(),
            price: b.price.clone(),
        }
    }

    pub fn created_at(&self) -> DateTime<Utc> {
        time(self.created_ms)
    }

    pub fn range(&self) -> TimeRange {
        TimeRange::new(time(self.start_ms), time(self.end_ms))
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::booking::Cancellation;
    use chrono::TimeZone;

    #[test]
    fn facts_keep_what_analytics_counts() {
        let t = Utc.with_ymd_and_hms(2026, 5, 4, 9, 0, 0).unwrap();
        let mut b = crate::booking::holds::tests::booking("b1", "x", TimeRange::new(t, t + chrono::Duration::hours(1)), "Ann@x.org");
        b.created_at = t - chrono::Duration::days(2);
        let f = BookingFact::of(&b);
        assert_eq!((f.created_at(), f.range(), f.is_cancelled(), f.email.as_str()), (b.created_at, b.range, false, "Ann@x.org"));
        b.status = BookingStatus::Cancelled;
        assert_eq!(BookingFact::of(&b).cancelled, Some(CancelFact { at_ms: ms(t), by: CancelledBy::Other, late: false }));
        b.outcome.cancelled = Some(Cancellation { at: t - chrono::Duration::hours(1), by: Actor::CoachDashboard { coach: "a".into() }, late: true });
        assert_eq!(BookingFact::of(&b).cancelled.unwrap().by, CancelledBy::Coach);
    }
}
