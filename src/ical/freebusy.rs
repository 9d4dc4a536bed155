//! Placeholder: owned by the ical helper.
