//! The coach's profile and an event type's "about" block on the booking
//! pages (issue 12 §3): the models `templates/coach_profile.html` and
//! `templates/event_about.html` lay out (display name, photo, bio;
//! description, duration, price, location). The bio and description stay
//! the [`RichText`] block model, rendered by `templates/rich_text.html`.
//!
//! May import: `app`, `booking`, `i18n`, [`super::format`], [`super::photo`].

use crate::app::App;
use crate::booking::coach::CoachConfig;
use crate::booking::location::{LocationText, Place};
use crate::booking::policy::EventType;
use crate::booking::richtext::RichText;

use crate::i18n::Tr;

use super::format::{human_duration_in, price_in};
use super::photo::available_photo_url;

/// Who the student books.
pub struct CoachProfile {
    pub name: String,
    /// The photo's URL, when there is a usable photo.
    pub photo: Option<String>,
    pub bio: RichText,
}

impl CoachProfile {
    pub fn of(app: &App, coach: &CoachConfig) -> CoachProfile {
        CoachProfile { name: coach.display_name.clone(), photo: available_photo_url(app, coach), bio: coach.bio.clone() }
    }
}

/// What an event type is: shown on its page and on every booking step.
pub struct EventAbout {
    pub description: RichText,
    pub duration: String,
    pub price: String,
    /// "In person", "By phone", "Video call"; empty without a location.
    pub location_label: String,
    pub location_text: String,
    /// A link to open (a booking's video link, a `tel:` number).
    pub location_link: Option<String>,
}

impl EventAbout {
    /// Before booking: a per-booking video link is not known yet.
    pub fn of(tr: &Tr, et: &EventType) -> EventAbout {
        let (label, text) = match et.location.as_ref().map(|l| l.summary()) {
            Some((label, LocationText::Given(text))) => (tr.t(label), text),
            Some((label, LocationText::Message(key))) => (tr.t(label), tr.t(key)),
            None => (String::new(), String::new()),
        };
        let link = match &et.location {
            Some(l @ crate::booking::location::Location::Phone(_)) => l.place_for("").link(),
            _ => None,
        };
        EventAbout::with_place(tr, et, label, text, link)
    }

    /// For a booking: its own place (video link included).
    pub fn of_booking(tr: &Tr, et: &EventType, booking_id: &str) -> EventAbout {
        match et.location.as_ref().map(|l| l.place_for(booking_id)) {
            Some(place) => EventAbout::with_place(tr, et, tr.t(place.label_key()), place.text().to_string(), Place::link(&place)),
            None => EventAbout::of(tr, et),
        }
    }

    fn with_place(tr: &Tr, et: &EventType, label: String, text: String, link: Option<String>) -> EventAbout {
        EventAbout {
            description: et.description.clone(),
            duration: human_duration_in(tr, et.duration),
            price: price_in(tr, &et.price),
            location_label: label,
            location_text: text,
            location_link: link,
        }
    }
}
