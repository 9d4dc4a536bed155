//! How a [`BookingError`] is answered over HTTP: status, the JSON API's
//! error code, the page's heading and text. This is the one table for both
//! surfaces that take bookings: the pages ([`crate::web`], through
//! [`PageError`]) and the JSON API (`api`, which imports
//! [`booking_answer`]). A new `BookingError` variant gets its row here and
//! nowhere else.
//!
//! Storage failures are 5xx, never 4xx: a full home (the per-user quota,
//! reached when a booking is written into the coach's calendar) is 507
//! with a readable text; any other storage failure, and a booking event we
//! could not generate, is 500 with a generic text (the cause is logged).
//!
//! May import: `booking` (its error), `storage` (its error), hyper's
//! `StatusCode`, the page models and response helpers of `web`.

use hyper::{Response, StatusCode};

use crate::booking::service::BookingError;
use crate::http::Body;
use crate::storage::StorageError;

use crate::i18n::Tr;

use super::respond::error_page_in;

/// The answer to one [`BookingError`], for a page and for the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingAnswer {
    pub status: StatusCode,
    /// The API's machine-readable `error` code (docs/api.md).
    pub code: &'static str,
    /// The page's heading.
    pub heading: &'static str,
    /// The page's text, for a student.
    pub message: String,
    /// The API's `message`: the error's own description, or a generic text
    /// for 5xx (whose cause is logged, never sent).
    pub detail: String,
}

const SOMETHING_WENT_WRONG: &str = "Please try again in a moment.";

/// The one mapping of booking failures to HTTP. Logs 5xx causes.
pub fn booking_answer(e: &BookingError) -> BookingAnswer {
    use BookingError as B;
    let answer = |status, code, heading, message: String| BookingAnswer { status, code, heading, message, detail: e.to_string() };
    match e {
        // waitlists (part A)
        B::SlotAvailable => answer(StatusCode::CONFLICT, "slot_available", "This time is open", "This time can be booked right now; no need to wait. Pick it on the booking page.".into()),
        B::AlreadyWaiting => answer(StatusCode::CONFLICT, "already_waiting", "Already waiting", "You are already on the waitlist for this time. Your email has the link to your place.".into()),
        B::NoWaitlist => answer(StatusCode::CONFLICT, "no_waitlist", "No waitlist", "There is no waitlist for this time. Please pick another time.".into()),
        B::WaitlistFull => answer(StatusCode::CONFLICT, "waitlist_full", "Waitlist full", "So many people are waiting for this time already that we cannot add more. Please pick another time.".into()),
        B::WaitlistNotFound => answer(StatusCode::NOT_FOUND, "waitlist_not_found", "Not on a waitlist", "This link does not belong to a waitlist place. Check the link in your email.".into()),
        B::NotOffered => answer(StatusCode::CONFLICT, "not_offered", "No seat for you yet", "No seat is offered to you at the moment. We will email you when one is.".into()),
        B::OfferExpired => answer(StatusCode::GONE, "offer_expired", "The offer has expired", "The seat was kept for you for a while, but that time is up, so it went to the next person.".into()),
        B::UnknownCoach => answer(StatusCode::NOT_FOUND, "unknown_coach", "Coach not found", "We could not find this coach. Check the link you were given.".into()),
        B::UnknownEventType => answer(StatusCode::NOT_FOUND, "unknown_event_type", "Not offered", "This coach does not offer this kind of session.".into()),
        B::SlotUnavailable => answer(
            StatusCode::CONFLICT,
            "slot_unavailable",
            "This time is gone",
            "Sorry, someone else just took this time, or it is no longer open. Please pick another one.".into(),
        ),
        // (B) recurring sessions: the dates are listed by the page and in
        // the API's `conflicts`.
        B::SeriesConflicts { conflicts } => answer(
            StatusCode::CONFLICT,
            "slot_unavailable",
            "Some dates are taken",
            format!(
                "{} of the dates of this series {} not free. Leave them out and try again, or pick another time.",
                conflicts.len(),
                if conflicts.len() == 1 { "is" } else { "are" }
            ),
        ),
        B::HoldExpired => answer(
            StatusCode::GONE,
            "hold_expired",
            "Your hold has expired",
            "We kept the time for you for a few minutes, but that time is up. Please pick a time again.".into(),
        ),
        B::HoldNotFound => answer(StatusCode::NOT_FOUND, "hold_not_found", "Hold not found", "This hold does not exist (any more). Please pick a time again.".into()),
        B::BookingNotFound => answer(
            StatusCode::NOT_FOUND,
            "booking_not_found",
            "Booking not found",
            "This link does not belong to a booking. Check the link in your email.".into(),
        ),
        B::BookingCancelled => answer(StatusCode::CONFLICT, "booking_cancelled", "Booking cancelled", "This booking is already cancelled.".into()),
        B::InvalidInput { field, reason } => answer(
            StatusCode::UNPROCESSABLE_ENTITY,
            match *field {
                "email" => "invalid_email",
                "name" => "invalid_name",
                _ => "invalid_input",
            },
            "Please check your details",
            reason.clone(),
        ),
        // (D) questions on the booking form
        B::InvalidAnswer(a) => answer(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", "Please check your answers", a.to_string()),
        B::AlreadyBooked => answer(
            StatusCode::CONFLICT,
            "already_booked",
            "Already booked",
            "You already have a booking of this kind with this coach; it can be booked once per person.".into(),
        ),
        B::TooLate { deadline } => answer(
            StatusCode::CONFLICT,
            "too_late",
            "Too late to change online",
            format!("This booking could be changed online until {}. Please contact your coach.", deadline.format("%Y-%m-%d %H:%M UTC")),
        ),
        B::TooManyHolds { limit } => answer(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_holds",
            "Too many open holds",
            format!(
                "Your address already holds {limit} times that are not booked yet. Finish one of those bookings, or wait a few minutes until the holds lapse."
            ),
        ),
        B::TooManyBookings { limit } => answer(
            StatusCode::CONFLICT,
            "too_many_bookings",
            "Too many bookings",
            format!("This email address already has {limit} upcoming bookings with this coach. Please contact your coach to book more."),
        ),
        B::NotYours => answer(
            StatusCode::FORBIDDEN,
            "not_yours",
            "Not your booking",
            "This booking belongs to another coach. You can only see and change your own bookings.".into(),
        ),
        B::NotAwaitingConfirmation => answer(
            StatusCode::CONFLICT,
            "not_awaiting_confirmation",
            "Nothing to confirm",
            "This booking is not waiting for confirmation (any more).".into(),
        ),
        B::NotStarted { start } => answer(
            StatusCode::CONFLICT,
            "not_started",
            "Not yet",
            format!("Attendance can be marked once the session has started ({}).", start.format("%Y-%m-%d %H:%M UTC")),
        ),
        // issue 11 §3 (C): reschedules the coach approves
        B::ReschedulePending => answer(
            StatusCode::CONFLICT,
            "reschedule_pending",
            "A request already waits",
            "You already asked your coach to move this session. Withdraw that request first if you want another time.".into(),
        ),
        B::NoRescheduleRequest => answer(
            StatusCode::CONFLICT,
            "no_reschedule_request",
            "No request waiting",
            "There is no reschedule request waiting for this booking (any more).".into(),
        ),
        // issue 11 §4: a guardian's read-only link
        B::ReadOnly => answer(
            StatusCode::FORBIDDEN,
            "read_only",
            "This link is read-only",
            "This guardian's link shows the booking but cannot cancel or move it. Please ask the student, or contact the coach.".into(),
        ),
        B::Storage(StorageError::QuotaExceeded { user }) => {
            tracing::warn!(coach = %user, "booking refused: the coach's storage quota is used up");
            BookingAnswer {
                status: StatusCode::INSUFFICIENT_STORAGE,
                code: "quota_exceeded",
                heading: "The coach's calendar is full",
                message: "The coach's calendar has no room for new bookings right now. Nothing was booked. Please contact your coach.".into(),
                detail: "the coach's calendar has no room for new bookings; nothing was booked".into(),
            }
        }
        B::Storage(StorageError::Full(why)) => {
            tracing::warn!(error = %why, "booking refused: the server's disk is full");
            BookingAnswer {
                status: StatusCode::INSUFFICIENT_STORAGE,
                code: "storage_full",
                heading: "No room to save your booking",
                message: "The server has no room to save anything right now, so nothing was booked. Please try again in a little while.".into(),
                detail: "the server's disk is full; nothing was booked, try again later".into(),
            }
        }
        B::Storage(_) | B::InvalidEvent(_) => {
            tracing::error!(error = %e, "booking failed");
            internal()
        }
    }
}

/// The answer to a failure whose cause is ours (logged where it happened).
pub fn internal() -> BookingAnswer {
    BookingAnswer {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        code: "internal",
        heading: "Something went wrong",
        message: SOMETHING_WENT_WRONG.into(),
        detail: "something went wrong".into(),
    }
}

/// Why a page could not be shown, mapped to a friendly page in one place
/// ([`PageError::into_response`]).
#[derive(Debug)]
pub enum PageError {
    /// The booking service refused; see [`booking_answer`].
    Booking(BookingError),
    /// No page at this path. (404)
    NotFound,
    /// A path of a page, with a method it does not take. (405)
    MethodNotAllowed,
    /// A form field is missing or malformed; the text says which. (400)
    BadRequest(String),
    /// The form's CSRF token does not match the browser's cookie. (403)
    Csrf,
    /// Too many holds or bookings from this address in a minute. (429)
    RateLimited,
    /// A page failed to render. (500, logged)
    Internal(String),
}

impl From<BookingError> for PageError {
    fn from(e: BookingError) -> Self {
        PageError::Booking(e)
    }
}

impl PageError {
    /// Status, heading and text of the page for this error.
    pub fn answer(self) -> (StatusCode, &'static str, String) {
        match self {
            PageError::NotFound => (StatusCode::NOT_FOUND, "Page not found", "There is nothing at this address.".into()),
            PageError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "Not allowed", "This page cannot be used that way.".into()),
            PageError::BadRequest(m) => (StatusCode::BAD_REQUEST, "Something is missing", m),
            PageError::Csrf => (
                StatusCode::FORBIDDEN,
                "Please try again",
                "The form had expired or came from another site. Go back, reload the page and try again.".into(),
            ),
            PageError::RateLimited => (
                StatusCode::TOO_MANY_REQUESTS,
                "Slow down a little",
                "Too many bookings were tried from your address in the last minute. Please wait a minute.".into(),
            ),
            PageError::Internal(m) => {
                tracing::error!(error = %m, "booking page failed");
                let a = internal();
                (a.status, a.heading, a.message)
            }
            PageError::Booking(e) => {
                let a = booking_answer(&e);
                (a.status, a.heading, a.message)
            }
        }
    }

    pub fn into_response(self) -> Response<Body> {
        self.into_response_in(&Tr::default())
    }

    /// The error page in the page's language.
    pub fn into_response_in(self, tr: &Tr) -> Response<Body> {
        let (status, heading, message) = self.answer_in(tr);
        error_page_in(tr, status, &heading, &message, None)
    }

    /// Status, heading and text of the page for this error, in the page's
    /// language (`locales/*/errors.ftl`: `error-{name}-heading` and
    /// `-text`, named after the API's code). The reasons a student's
    /// details or answers were refused come from the booking rules and
    /// stay as written there in English; other languages get a text per field.
    pub fn answer_in(self, tr: &Tr) -> (StatusCode, String, String) {
        use crate::i18n::Arg;
        let text = |name: &str, args: &[(&str, Arg)]| {
            (tr.t_args(&format!("error-{name}-heading"), args), tr.t_args(&format!("error-{name}-text"), args))
        };
        let english = tr.locale.messages() == "en";
        let (name, args): (String, Vec<(&str, Arg)>) = match &self {
            PageError::NotFound => ("not-found".into(), vec![]),
            PageError::MethodNotAllowed => ("method-not-allowed".into(), vec![]),
            // The handlers write what is missing (in the page's language where they can).
            PageError::BadRequest(m) => return (StatusCode::BAD_REQUEST, tr.t("error-bad-request-heading"), m.clone()),
            PageError::Csrf => ("csrf".into(), vec![]),
            PageError::RateLimited => ("rate-limited".into(), vec![]),
            PageError::Internal(_) => ("internal".into(), vec![]),
            PageError::Booking(e) => {
                let a = booking_answer(e);
                let status = a.status;
                let utc = |t: &chrono::DateTime<chrono::Utc>| Arg::from(t.format("%Y-%m-%d %H:%M UTC").to_string());
                let (name, args): (&str, Vec<(&str, Arg)>) = match e {
                    BookingError::SeriesConflicts { conflicts } => ("series-conflicts", vec![("n", Arg::from(conflicts.len()))]),
                    BookingError::TooLate { deadline } => ("too-late", vec![("deadline", utc(deadline))]),
                    BookingError::NotStarted { start } => ("not-started", vec![("start", utc(start))]),
                    BookingError::TooManyHolds { limit } => ("too-many-holds", vec![("limit", Arg::from(*limit))]),
                    BookingError::TooManyBookings { limit } => ("too-many-bookings", vec![("limit", Arg::from(*limit))]),
                    BookingError::InvalidInput { field, .. } if !english => (invalid_input_name(field), vec![]),
                    BookingError::InvalidInput { .. } => return (status, tr.t("error-invalid-details-heading"), a.message),
                    BookingError::InvalidAnswer(_) if english => return (status, tr.t("error-invalid-answer-heading"), a.message),
                    BookingError::InvalidAnswer(_) => ("invalid-answer", vec![]),
                    _ => (a.code, vec![]),
                };
                let (heading, message) = text(&name.replace('_', "-"), &args);
                return (status, heading, message);
            }
        };
        let status = self.answer().0;
        let (heading, message) = text(&name, &args);
        (status, heading, message)
    }
}

/// Why a student's detail was refused, in the page's language: the booking
/// rules' own English reason, or a text per field in other languages.
pub fn invalid_input_text(tr: &Tr, field: &str, reason: String) -> String {
    if tr.locale.messages() == "en" {
        reason
    } else {
        tr.t(&format!("error-{}-text", invalid_input_name(field)))
    }
}

/// The error text of a refused detail in languages other than English.
fn invalid_input_name(field: &str) -> &'static str {
    match field {
        "name" => "invalid-name",
        "email" => "invalid-email",
        _ => "invalid-details",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn storage(e: StorageError) -> BookingError {
        BookingError::Storage(e)
    }

    #[test]
    fn storage_failures_are_5xx_never_4xx() {
        for e in [
            storage(StorageError::Backend("disk gone".into())),
            storage(StorageError::NotFound),
            storage(StorageError::QuotaExceeded { user: "alice".into() }),
        ] {
            let a = booking_answer(&e);
            assert!(a.status.is_server_error(), "{e:?} → {}", a.status);
        }
    }

    #[test]
    fn a_full_coach_calendar_is_507_with_a_readable_text() {
        let a = booking_answer(&storage(StorageError::QuotaExceeded { user: "alice".into() }));
        assert_eq!(a.status, StatusCode::INSUFFICIENT_STORAGE);
        assert_eq!(a.code, "quota_exceeded");
        assert!(a.message.contains("calendar"), "{}", a.message);
        assert!(!a.detail.contains("alice"), "the coach's user name stays private: {}", a.detail);
    }

    #[test]
    fn a_full_disk_is_507_storage_full_without_its_cause() {
        let a = booking_answer(&storage(StorageError::Full("/var/lib/slotdav/db: No space left on device".into())));
        assert_eq!((a.status, a.code), (StatusCode::INSUFFICIENT_STORAGE, "storage_full"));
        assert!(a.message.contains("nothing was booked"), "{}", a.message);
        assert!(!a.detail.contains("/var/lib") && !a.message.contains("/var/lib"), "{}", a.detail);
    }

    #[test]
    fn internal_causes_are_not_sent() {
        let a = booking_answer(&storage(StorageError::Backend("secret path /var/lib".into())));
        assert_eq!((a.status, a.code), (StatusCode::INTERNAL_SERVER_ERROR, "internal"));
        assert!(!a.detail.contains("secret") && !a.message.contains("secret"));
    }

    #[test]
    fn invalid_input_codes_name_the_field() {
        let e = |field| BookingError::InvalidInput { field, reason: "no".into() };
        assert_eq!(booking_answer(&e("email")).code, "invalid_email");
        assert_eq!(booking_answer(&e("name")).code, "invalid_name");
        assert_eq!(booking_answer(&e("note")).code, "invalid_input");
        let a = booking_answer(&e("email"));
        assert_eq!((a.status, a.message.as_str(), a.detail.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "no", "invalid email: no"));
    }

    #[test]
    fn client_errors_keep_their_statuses() {
        use BookingError as B;
        let cases = [
            (B::UnknownCoach, 404),
            (B::UnknownEventType, 404),
            (B::SlotUnavailable, 409),
            (B::HoldExpired, 410),
            (B::HoldNotFound, 404),
            (B::BookingNotFound, 404),
            (B::BookingCancelled, 409),
            (B::AlreadyBooked, 409),
            (B::TooLate { deadline: chrono::DateTime::UNIX_EPOCH }, 409),
            (B::TooManyHolds { limit: 3 }, 429),
            (B::TooManyBookings { limit: 3 }, 409),
            (B::NotYours, 403),
            (B::NotAwaitingConfirmation, 409),
            (B::NotStarted { start: chrono::DateTime::UNIX_EPOCH }, 409),
            (B::ReschedulePending, 409),
            (B::NoRescheduleRequest, 409),
            (B::ReadOnly, 403),
        ];
        for (e, status) in cases {
            assert_eq!(booking_answer(&e).status.as_u16(), status, "{e:?}");
        }
    }

    /// The English pages read exactly as before (the texts moved to
    /// `locales/en/errors.ftl`), and every error has a German page.
    #[test]
    fn error_pages_speak_the_pages_language() {
        use crate::i18n::Locale;
        use BookingError as B;
        let errors = || {
            vec![
                PageError::NotFound,
                PageError::MethodNotAllowed,
                PageError::Csrf,
                PageError::RateLimited,
                PageError::Booking(B::SlotAvailable),
                PageError::Booking(B::AlreadyWaiting),
                PageError::Booking(B::NoWaitlist),
                PageError::Booking(B::WaitlistFull),
                PageError::Booking(B::WaitlistNotFound),
                PageError::Booking(B::NotOffered),
                PageError::Booking(B::OfferExpired),
                PageError::Booking(B::UnknownCoach),
                PageError::Booking(B::UnknownEventType),
                PageError::Booking(B::SlotUnavailable),
                PageError::Booking(B::HoldExpired),
                PageError::Booking(B::HoldNotFound),
                PageError::Booking(B::BookingNotFound),
                PageError::Booking(B::BookingCancelled),
                PageError::Booking(B::AlreadyBooked),
                PageError::Booking(B::TooLate { deadline: chrono::DateTime::UNIX_EPOCH }),
                PageError::Booking(B::TooManyHolds { limit: 3 }),
                PageError::Booking(B::TooManyBookings { limit: 1 }),
                PageError::Booking(B::NotYours),
                PageError::Booking(B::NotAwaitingConfirmation),
                PageError::Booking(B::NotStarted { start: chrono::DateTime::UNIX_EPOCH }),
                PageError::Booking(B::ReschedulePending),
                PageError::Booking(B::NoRescheduleRequest),
                PageError::Booking(B::InvalidInput { field: "email", reason: "that is not an email address".into() }),
                PageError::Booking(storage(StorageError::QuotaExceeded { user: "alice".into() })),
                PageError::Booking(storage(StorageError::Full("disk".into()))),
                PageError::Booking(storage(StorageError::Backend("x".into()))),
            ]
        };
        for (before, after) in errors().into_iter().zip(errors()) {
            let (status, heading, message) = before.answer();
            assert_eq!(after.answer_in(&Tr::new(Locale::En)), (status, heading.to_string(), message.clone()), "{heading}");
        }
        for e in errors() {
            let (_, heading, message) = e.answer_in(&Tr::new(Locale::De));
            assert!(!heading.starts_with("error-") && !message.starts_with("error-"), "{heading} / {message}");
        }
        let (_, heading, message) = PageError::Booking(B::TooManyHolds { limit: 3 }).answer_in(&Tr::new(Locale::De));
        assert_eq!(heading, "Zu viele offene Reservierungen");
        assert!(message.contains('3'), "{message}");
        let (_, heading, _) = PageError::NotFound.answer_in(&Tr::new(Locale::Fr));
        assert_eq!(heading, "Page introuvable");
    }

    #[test]
    fn page_errors_have_their_statuses() {
        assert_eq!(PageError::NotFound.answer().0, StatusCode::NOT_FOUND);
        assert_eq!(PageError::MethodNotAllowed.answer().0, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(PageError::Csrf.answer().0, StatusCode::FORBIDDEN);
        assert_eq!(PageError::RateLimited.answer().0, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(PageError::Internal("x".into()).answer().0, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(PageError::Booking(BookingError::HoldExpired).answer().0, StatusCode::GONE);
    }
}
