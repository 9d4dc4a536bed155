//! Placeholder until the ical branch lands.
pub fn zone_from_vcalendar(_t: &str) -> Option<chrono_tz::Tz> { todo!() }
