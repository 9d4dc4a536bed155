//! The coach's profile and an event type's "about" block on the booking
//! pages (issue 12 §3): the models `templates/coach_profile.html` and
//! `templates/event_about.html` lay out (display name, photo, bio;
//! description, duration, price, location). The bio and description stay
//! the [`RichText`] block model, rendered by `templates/rich_text.html`.
//!
//! May import: `app`, `booking`, [`super::format`], [`super::photo`].

use crate::app::App;
use crate::booking::coach::CoachConfig;
use crate::booking::location::Place;
use crate::booking::policy::EventType;
use crate::booking::richtext::RichText;

use super::format::{human_duration, price};
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
    pub fn of(et: &EventType) -> EventAbout {
        let (label, text) = et.location.as_ref().map(|l| l.summary()).unwrap_or(("", String::new()));
        let link = match &et.location {
            Some(l @ crate::booking::location::Location::Phone(_)) => l.place_for("").link(),
            _ => None,
        };
        EventAbout::with_place(et, label, text, link)
    }

    /// For a booking: its own place (video link included).
    pub fn of_booking(et: &EventType, booking_id: &str) -> EventAbout {
        match et.location.as_ref().map(|l| l.place_for(booking_id)) {
            Some(place) => EventAbout::with_place(et, place.label(), place.text().to_string(), Place::link(&place)),
            None => EventAbout::of(et),
        }
    }

    fn with_place(et: &EventType, label: &str, text: String, link: Option<String>) -> EventAbout {
        EventAbout {
            description: et.description.clone(),
            duration: human_duration(et.duration),
            price: price(&et.price),
            location_label: label.to_string(),
            location_text: text,
            location_link: link,
        }
    }
}
