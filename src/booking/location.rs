//! Where an event type's sessions take place (issue 12 §3): an address, a
//! phone number, one video link, or a video link per booking
//! (`video_per_booking = "https://meet.example/{room}"`, `{room}` replaced
//! by an unguessable name derived from the booking). [`Location`] is what
//! the coach configured; [`Place`] is where one booking happens, and
//! [`Place::ical_properties`] its iCalendar form (LOCATION, and RFC 7986
//! CONFERENCE for video and phone), written by `ical::write`. Pure.
//!
//! May import: `ical::write`.

use sha2::{Digest, Sha256};

use crate::ical::write::Property;

/// The placeholder of `video_per_booking` replaced by the booking's room.
pub const ROOM_PLACEHOLDER: &str = "{room}";

/// The longest address, number or link accepted, in characters.
pub const MAX_LOCATION_CHARS: usize = 500;

/// An event type's `location`, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// In person: a postal address (lines separated by commas or line breaks).
    Address(String),
    /// By phone: the number to call.
    Phone(String),
    /// One video link for every session.
    Video(String),
    /// A video link per booking: an http(s) URL with [`ROOM_PLACEHOLDER`].
    VideoPerBooking(String),
}

/// The text of a location before booking: the coach's own words, or the
/// key of a message in the page's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocationText {
    Given(String),
    Message(&'static str),
}

/// Where one booking takes place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Address(String),
    Phone(String),
    Video(String),
}

/// Why a `location` was refused; the config layer names the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocationError {
    #[error("give exactly one of address, phone, video or video_per_booking")]
    NotExactlyOne,
    #[error("must be 1 to 500 characters, without control characters other than line breaks")]
    BadText,
    #[error("a phone number uses digits, spaces and + - ( ) / . only, with at least 3 digits")]
    BadPhone,
    #[error("must be an http:// or https:// link without spaces")]
    BadLink,
    #[error("must contain {{room}} exactly once, where the booking's own room name goes")]
    NoRoom,
}

impl Location {
    /// The configured location from its one given key.
    pub fn from_keys(
        address: Option<&str>,
        phone: Option<&str>,
        video: Option<&str>,
        video_per_booking: Option<&str>,
    ) -> Result<Location, LocationError> {
        let given = [address, phone, video, video_per_booking].iter().filter(|v| v.is_some()).count();
        if given != 1 {
            return Err(LocationError::NotExactlyOne);
        }
        if let Some(a) = address {
            let a = a.trim();
            let ok = !a.is_empty() && a.chars().count() <= MAX_LOCATION_CHARS && !a.chars().any(|c| c.is_control() && c != '\n');
            return if ok { Ok(Location::Address(a.to_string())) } else { Err(LocationError::BadText) };
        }
        if let Some(p) = phone {
            let p = p.trim();
            let ok = p.chars().count() <= 40
                && p.chars().all(|c| c.is_ascii_digit() || " +-()/.".contains(c))
                && p.chars().filter(char::is_ascii_digit).count() >= 3;
            return if ok { Ok(Location::Phone(p.to_string())) } else { Err(LocationError::BadPhone) };
        }
        if let Some(v) = video {
            return web_link(v).map(Location::Video);
        }
        let pattern = web_link(video_per_booking.unwrap_or_default())?;
        if pattern.matches(ROOM_PLACEHOLDER).count() != 1 {
            return Err(LocationError::NoRoom);
        }
        Ok(Location::VideoPerBooking(pattern))
    }

    /// Where the booking with this id takes place.
    pub fn place_for(&self, booking_id: &str) -> Place {
        match self {
            Location::Address(a) => Place::Address(a.clone()),
            Location::Phone(p) => Place::Phone(p.clone()),
            Location::Video(v) => Place::Video(v.clone()),
            Location::VideoPerBooking(pattern) => Place::Video(pattern.replace(ROOM_PLACEHOLDER, &room_name(booking_id))),
        }
    }

    /// How the location reads before anything is booked: the message key
    /// of its label and its text; a video link is not shown yet (the
    /// text is a message saying it comes with the booking).
    pub fn summary(&self) -> (&'static str, LocationText) {
        match self {
            Location::Address(a) => (Place::Address(String::new()).label_key(), LocationText::Given(a.clone())),
            Location::Phone(p) => (Place::Phone(String::new()).label_key(), LocationText::Given(p.clone())),
            Location::Video(_) => ("location-video", LocationText::Message("location-video-later")),
            Location::VideoPerBooking(_) => ("location-video", LocationText::Message("location-video-own-later")),
        }
    }
}

/// An http(s) link without whitespace or control characters.
fn web_link(v: &str) -> Result<String, LocationError> {
    let v = v.trim();
    let lower = v.to_ascii_lowercase();
    let scheme = ["http://", "https://"].iter().any(|s| lower.starts_with(s) && lower.len() > s.len());
    let chars = !v.chars().any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>');
    if scheme && chars && v.chars().count() <= MAX_LOCATION_CHARS {
        Ok(v.to_string())
    } else {
        Err(LocationError::BadLink)
    }
}

/// The room name of a booking: 20 hex digits of SHA-256 over its id, so
/// the link is the booking's own and does not reveal the id (which signs
/// the manage link).
pub fn room_name(booking_id: &str) -> String {
    let digest = Sha256::digest(format!("slotdav video room\0{booking_id}").as_bytes());
    digest.iter().take(10).map(|b| format!("{b:02x}")).collect()
}

impl Place {
    /// The message key of "In person", "By phone", "Video call".
    pub fn label_key(&self) -> &'static str {
        match self {
            Place::Address(_) => "location-in-person",
            Place::Phone(_) => "location-phone",
            Place::Video(_) => "location-video",
        }
    }

    /// The address, number or link.
    pub fn text(&self) -> &str {
        match self {
            Place::Address(t) | Place::Phone(t) | Place::Video(t) => t,
        }
    }

    /// The link to open, if there is one: the video link, or the number as
    /// a `tel:` URI.
    pub fn link(&self) -> Option<String> {
        match self {
            Place::Address(_) => None,
            Place::Phone(p) => Some(tel_uri(p)),
            Place::Video(v) => Some(v.clone()),
        }
    }

    /// LOCATION (the address on one line, the number, or the link), and
    /// for video and phone the RFC 7986 §5.11 CONFERENCE property
    /// (`VALUE=URI`, `FEATURE=VIDEO` / `PHONE`, a `LABEL`) that calendar
    /// apps show as a "join" button. `label` is [`Place::label_key`]'s
    /// text in the booking's language.
    pub fn ical_properties(&self, label: &str) -> Vec<Property> {
        let location = match self {
            Place::Address(a) => a.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(", "),
            Place::Phone(p) => format!("{label}: {p}"),
            Place::Video(v) => v.clone(),
        };
        let mut props = vec![Property::new_text("LOCATION", &location)];
        let conference = |uri: String, feature: &str, label: &str| {
            Property::new("CONFERENCE", &uri).with_param("VALUE", "URI").with_param("FEATURE", feature).with_param("LABEL", label)
        };
        match self {
            Place::Address(_) => {}
            Place::Phone(p) => props.push(conference(tel_uri(p), "PHONE", label)),
            Place::Video(v) => props.push(conference(v.clone(), "VIDEO", label)),
        }
        props
    }
}

/// A `tel:` URI of a number as written: its digits and a leading `+`.
fn tel_uri(number: &str) -> String {
    let plus = if number.trim_start().starts_with('+') { "+" } else { "" };
    format!("tel:{plus}{}", number.chars().filter(char::is_ascii_digit).collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ical::write::Component;

    fn vevent(place: &Place) -> String {
        vevent_in(place, crate::i18n::Locale::En)
    }

    fn vevent_in(place: &Place, locale: crate::i18n::Locale) -> String {
        let label = crate::i18n::Tr::new(locale).t(place.label_key());
        let mut event = Component::new("VEVENT");
        for p in place.ical_properties(&label) {
            event = event.with(p);
        }
        Component::calendar(None).with_child(event).to_ics().replace("\r\n ", "")
    }

    #[test]
    fn exactly_one_key_and_each_is_checked() {
        assert_eq!(Location::from_keys(None, None, None, None), Err(LocationError::NotExactlyOne));
        assert_eq!(Location::from_keys(Some("a"), Some("123"), None, None), Err(LocationError::NotExactlyOne));
        assert_eq!(Location::from_keys(Some("  "), None, None, None), Err(LocationError::BadText));
        assert_eq!(Location::from_keys(Some("a\u{7}b"), None, None, None), Err(LocationError::BadText));
        assert_eq!(Location::from_keys(None, Some("call me"), None, None), Err(LocationError::BadPhone));
        assert_eq!(Location::from_keys(None, None, Some("javascript:alert(1)"), None), Err(LocationError::BadLink));
        assert_eq!(Location::from_keys(None, None, Some("https://a b"), None), Err(LocationError::BadLink));
        assert_eq!(Location::from_keys(None, None, None, Some("https://meet.example/fixed")), Err(LocationError::NoRoom));
        assert_eq!(
            Location::from_keys(None, None, None, Some("https://meet.example/{room}")),
            Ok(Location::VideoPerBooking("https://meet.example/{room}".into()))
        );
        assert_eq!(Location::from_keys(None, Some(" +49 (30) 123-45 "), None, None), Ok(Location::Phone("+49 (30) 123-45".into())));
    }

    #[test]
    fn a_per_booking_link_is_the_bookings_own_and_hides_its_id() {
        let l = Location::VideoPerBooking("https://meet.example/coach-{room}".into());
        let (a, b) = (l.place_for("booking-one"), l.place_for("booking-two"));
        assert_ne!(a, b);
        assert_eq!(a, l.place_for("booking-one"), "the same booking, the same room");
        let Place::Video(url) = a else { panic!() };
        assert!(url.starts_with("https://meet.example/coach-") && url.len() == "https://meet.example/coach-".len() + 20, "{url}");
        assert!(!url.contains("booking-one"));
    }

    #[test]
    fn video_maps_to_location_and_a_video_conference() {
        let ics = vevent(&Place::Video("https://meet.example/r/42?pwd=x,y".into()));
        assert!(ics.contains("LOCATION:https://meet.example/r/42?pwd=x\\,y\r\n"), "{ics}");
        assert!(ics.contains("CONFERENCE;VALUE=URI;FEATURE=VIDEO;LABEL=Video call:https://meet.example/r/42?pwd=x,y\r\n"), "{ics}");
        let de = vevent_in(&Place::Video("https://meet.example/r/42".into()), crate::i18n::Locale::De);
        assert!(de.contains("FEATURE=VIDEO;LABEL=Videoanruf:https://meet.example/r/42\r\n"), "{de}");
    }

    #[test]
    fn phone_and_address_map_to_location() {
        let ics = vevent(&Place::Phone("+49 30 1234-567".into()));
        assert!(ics.contains("LOCATION:By phone: +49 30 1234-567\r\n"), "{ics}");
        assert!(ics.contains("CONFERENCE;VALUE=URI;FEATURE=PHONE;LABEL=By phone:tel:+49301234567\r\n"), "{ics}");
        let ics = vevent(&Place::Address("Music School\nMain Street 1; Room 2".into()));
        assert!(ics.contains("LOCATION:Music School\\, Main Street 1\\; Room 2\r\n"), "{ics}");
        assert!(!ics.contains("CONFERENCE"), "{ics}");
    }
}
