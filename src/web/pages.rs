//! The askama page models: plain strings prepared by the handlers, so the
//! templates only lay them out (and escape them).

use askama::Template;

use crate::i18n::Tr;

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    /// The page's language (issue 12 §5).
    pub tr: Tr,
    pub heading: String,
    pub message: String,
    pub back_link: Option<String>,
    pub back_label: String,
}

pub struct EventTypeCard {
    pub title: String,
    pub duration: String,
    pub price: String,
    pub seats: u32,
    pub group: bool,
    pub link: String,
    /// (issue 12 §3) The event type's description and where it happens.
    pub description: crate::booking::richtext::RichText,
    pub location: String,
}

#[derive(Template)]
#[template(path = "coach.html")]
pub struct CoachPage {
    /// The page's language (issue 12 §5).
    pub tr: Tr,
    pub coach_name: String,
    pub profile: super::profile::CoachProfile,
    pub event_types: Vec<EventTypeCard>,
}

pub struct SlotButton {
    /// RFC 3339 start, posted back when the slot is picked.
    pub start: String,
    /// Local time, e.g. `09:30`.
    pub label: String,
    /// e.g. "3 places left" for group sessions, empty otherwise.
    pub seats_note: String,
}

pub struct DayRow {
    pub label: String,
    pub slots: Vec<SlotButton>,
}

/// The next open time, as a link to its day.
pub struct NextAvailable {
    /// e.g. `Tue 7 Jul, 09:00`.
    pub label: String,
    pub link: String,
}

/// The month overview of the slots page (`templates/month.html`).
pub struct MonthView {
    /// e.g. `May 2026`.
    pub label: String,
    /// The columns' heads, Monday first.
    pub weekdays: Vec<super::month::Weekday>,
    pub weeks: Vec<Vec<super::month::MonthCell>>,
    /// `None` for this month, and past the event type's horizon.
    pub prev_link: Option<String>,
    pub next_link: Option<String>,
    /// No open time in the month.
    pub empty: bool,
    /// For an empty month: the next open time after it.
    pub next_available: Option<NextAvailable>,
}

#[derive(Template)]
#[template(path = "slots.html")]
pub struct SlotsPage {
    /// The page's language (issue 12 §5).
    pub tr: Tr,
    pub title: String,
    /// (issue 12 §3) The coach's profile and the event type's details.
    pub profile: super::profile::CoachProfile,
    pub about: super::profile::EventAbout,
    pub coach_name: String,
    pub coach_link: String,
    pub duration: String,
    pub price: String,
    pub tz: String,
    /// The student chose the zone (address or cookie): no asking the browser.
    pub has_tz_param: bool,
    /// The zones the picker offers (`templates/zone_picker.html`).
    pub zone_names: &'static [&'static str],
    /// A typed zone name that names no zone.
    pub zone_unknown: Option<String>,
    /// The coach's zone, when it is not the one shown.
    pub coach_tz: Option<String>,
    /// The shown week's Monday (`YYYY-MM-DD`), or empty for a day.
    pub week: String,
    /// The shown day (`YYYY-MM-DD`), or empty for a week.
    pub day: String,
    /// "week" or "day".
    pub span_kind: &'static str,
    /// "4 May – 10 May 2026", or "Tuesday 5 May 2026" for a day.
    pub week_label: String,
    /// `None` for the current week or today: there is no going back in time.
    pub prev_link: Option<String>,
    pub next_link: String,
    /// For a day: its whole week.
    pub whole_week_link: Option<String>,
    pub days: Vec<DayRow>,
    /// No open time in the shown week or day.
    pub span_empty: bool,
    /// For an empty week or day: the next open time after it.
    pub next_available: Option<NextAvailable>,
    pub month: MonthView,
    /// The shown times as JSON, for the live refresh (`templates/live_slots.html`).
    pub live_link: String,
    /// The ETag the live list has while the shown times stay as they are.
    pub live_etag: String,
    pub hold_action: String,
    pub csrf: String,
    pub rescheduling: bool,
    pub reschedule_token: Option<String>,
    /// (D) The secret link's token of a private event type, carried by the
    /// week links and the hold forms.
    pub private_key: Option<String>,
    pub reschedule_reference: String,
    // waitlists (part A): full sessions one may wait for
    pub full_slots: Vec<FullSlot>,
    pub waitlist_action: String,
}

/// A full session of the week, with its "join the waitlist" form.
pub struct FullSlot {
    /// RFC 3339 start, posted with the form.
    pub start: String,
    /// e.g. `Wed 6 Mar 10:00`.
    pub label: String,
}

/// `/book/waitlist/{token}`: a place on a waitlist.
#[derive(Template)]
#[template(path = "waitlist.html")]
pub struct WaitlistPage {
    /// The page's language (issue 12 §5).
    pub tr: Tr,
    pub title: String,
    pub coach_name: String,
    pub when: String,
    pub tz: String,
    /// `waiting`, `offered`, `claimed`, `expired`, `left`.
    pub status: String,
    pub position: Option<usize>,
    /// When the offered seat stops being kept (offered only).
    pub offer_expires: String,
    pub claim_action: String,
    pub leave_action: String,
    pub csrf: String,
    pub notice: Option<String>,
    /// (issue 11 §4) The claim form asks for a parent or guardian.
    pub guardian_asked: bool,
    pub guardian_required: bool,
    pub guardian_name: String,
    pub guardian_email: String,
}

#[derive(Template)]
#[template(path = "hold.html")]
pub struct HoldPage {
    /// The page's language (issue 12 §5).
    pub tr: Tr,
    pub title: String,
    /// (issue 12 §3) The event type's details (location included).
    pub about: super::profile::EventAbout,
    pub when: String,
    pub tz: String,
    pub expires: String,
    pub action: String,
    pub csrf: String,
    pub error: Option<String>,
    pub name: String,
    pub email: String,
    pub note: String,
    pub price: String,
    pub submit_label: String,
    /// Set when the hold moves an existing booking: no details to fill in.
    pub reschedule_token: Option<String>,
    /// (D) The event type's questions, with what the student typed.
    pub questions: Vec<QuestionField>,
    /// (issue 11 §4) The form asks for a parent or guardian
    /// (`templates/guardian_fields.html`), and must have one.
    pub guardian_asked: bool,
    pub guardian_required: bool,
    pub guardian_name: String,
    pub guardian_email: String,
    /// (issue 11 §2) The repeat form, for a type with `repeat`.
    pub series: Option<super::series_form::SeriesFields>,
}

/// (D) One question on the details form (issue 11 §5).
pub struct QuestionField {
    /// The form field: `q_{id}`.
    pub name: String,
    pub dom_id: String,
    pub label: String,
    /// "text", "textarea", "select", "checkbox", "phone".
    pub kind: &'static str,
    pub required: bool,
    pub options: Vec<QuestionOption>,
    pub value: String,
    pub checked: bool,
    pub max_length: usize,
    /// Why the last answer was refused.
    pub error: Option<String>,
}

pub struct QuestionOption {
    pub value: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "booking.html")]
pub struct BookingPage {
    /// The page's language (issue 12 §5).
    pub tr: Tr,
    pub heading: String,
    /// (issue 12 §3) Where the booking takes place (its own video link).
    pub about: super::profile::EventAbout,
    pub message: Option<String>,
    pub message_class: String,
    pub title: String,
    pub coach_name: String,
    pub when: String,
    pub tz: String,
    pub status: String,
    pub reference: String,
    pub student_name: String,
    pub price: String,
    pub active: bool,
    pub ics_link: String,
    /// The same event prefilled in Google Calendar and Outlook on the web
    /// (`templates/add_to_calendar.html`; [`super::calendar_links`]).
    pub google_link: String,
    pub outlook_link: String,
    /// This booking as a calendar subscription (follows moves and cancellation).
    pub feed_link: String,
    pub can_reschedule: bool,
    /// issue 11 §3 (C): the pending reschedule request, in words; whether
    /// the student may still withdraw it, and where.
    pub reschedule_request: Option<String>,
    pub can_withdraw: bool,
    pub withdraw_action: String,
    pub reschedule_link: String,
    pub reschedule_closed: String,
    pub can_cancel: bool,
    /// "can be cancelled online until …" while that is so.
    pub cancel_open: String,
    pub cancel_action: String,
    pub cancel_closed: String,
    pub csrf: String,
    /// Without `?tz=` (a link from an email) the page asks the browser for
    /// its zone when JavaScript is on.
    pub has_tz_param: bool,
    /// (issue 11 §2) The series' dates page, for an occurrence of a series.
    pub series_link: Option<String>,
    /// (issue 11 §2) The series' dates with their status, listed here too.
    pub series_dates: Option<super::series::SeriesDates>,
}

/// A listed coach on the front page.
pub struct CoachLink {
    pub name: String,
    pub link: String,
}

#[derive(Template)]
#[template(path = "front.html")]
pub struct FrontPage {
    /// The page's language (issue 12 §5).
    pub tr: Tr,
    pub site_name: String,
    pub coaches: Vec<CoachLink>,
}

/// One calendar app and how to add the account in it.
pub struct ConnectApp {
    pub name: String,
    pub steps: Vec<String>,
}

#[derive(Template)]
#[template(path = "connect.html")]
pub struct ConnectPage {
    /// The page's language (issue 12 §5).
    pub tr: Tr,
    pub site_name: String,
    /// `public_url` (or the forwarded base) + `/dav/`.
    pub dav_url: String,
    pub apps: Vec<ConnectApp>,
}

/// An Apple configuration profile (an XML property list) with one CalDAV
/// account payload; the template escapes every value.
#[derive(Template)]
#[template(path = "apple_profile.xml", escape = "html")]
pub struct AppleProfile {
    pub site_name: String,
    pub user: String,
    pub identifier: String,
    pub account_uuid: String,
    pub profile_uuid: String,
    pub host: String,
    pub port: u16,
    /// Written as the plist's `<true/>` or `<false/>`.
    pub tls: bool,
    pub principal_url: String,
}

/// One published calendar of the signed-in user.
pub struct FeedLink {
    pub calendar: String,
    /// `https://…/feeds/{token}.ics`
    pub url: String,
    /// The same as `webcal://…`, which calendar apps open as a subscription.
    pub webcal: String,
}

#[derive(Template)]
#[template(path = "feed_links.html")]
pub struct FeedLinksPage {
    /// The page's language (issue 12 §5).
    pub tr: Tr,
    pub site_name: String,
    pub user: String,
    pub feeds: Vec<FeedLink>,
}
