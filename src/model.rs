//! Small shared value types that every layer speaks: time ranges and the
//! names of things. Nothing here knows about HTTP, XML or sled.

use chrono::{DateTime, Utc};

/// A half-open span of absolute time, `[start, end)`.
///
/// RFC 4791 §9.9 compares every component against such a span; so do the
/// free/busy engine and the booking rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct TimeRange {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl TimeRange {
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        TimeRange { start, end }
    }

    /// True when the two spans share at least one instant. A zero-length
    /// span at `t` overlaps a span that contains `t` (RFC 4791 §9.9).
    pub fn overlaps(&self, other: &TimeRange) -> bool {
        if self.start == self.end {
            return other.start <= self.start && self.start < other.end
                || other.start == other.end && other.start == self.start;
        }
        if other.start == other.end {
            return other.overlaps(self);
        }
        self.start < other.end && other.start < self.end
    }

    pub fn contains(&self, other: &TimeRange) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    pub fn duration(&self) -> chrono::Duration {
        self.end - self.start
    }
}

/// A time-range as a client asks for it: either end may be open
/// (RFC 4791 §9.9: "start" or "end" may be omitted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OpenTimeRange {
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

impl OpenTimeRange {
    /// The same range with open ends replaced by the far past/future.
    pub fn closed(&self) -> TimeRange {
        TimeRange {
            start: self.start.unwrap_or(DateTime::<Utc>::MIN_UTC),
            end: self.end.unwrap_or(DateTime::<Utc>::MAX_UTC),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, h, 0, 0).unwrap()
    }

    #[test]
    fn half_open_ranges_touching_do_not_overlap() {
        let a = TimeRange::new(at(9), at(10));
        let b = TimeRange::new(at(10), at(11));
        assert!(!a.overlaps(&b));
        assert!(!b.overlaps(&a));
        assert!(a.overlaps(&TimeRange::new(at(9), at(11))));
    }

    #[test]
    fn instant_inside_range_overlaps() {
        let instant = TimeRange::new(at(10), at(10));
        assert!(instant.overlaps(&TimeRange::new(at(9), at(11))));
        assert!(!instant.overlaps(&TimeRange::new(at(11), at(12))));
        assert!(TimeRange::new(at(9), at(11)).overlaps(&instant));
    }
}
